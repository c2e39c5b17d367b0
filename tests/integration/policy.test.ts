/**
 * The administrator's policy against a real Prosody: certificates pinned by
 * policy (and nothing else accepted, no user override), remote addresses
 * refused before anything crosses the wire, no plaintext when the policy
 * forbids it, and messages from denied addresses dropped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { makeSelfSigned } from '../fixtures/ca.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { failureOf } from '../fixtures/harness.js';

const password = 'policy-integration-7';
const gate = (values: object) => new PolicyGate(readPolicy(values, '/etc/klatsch/policy.json'));


describe('certificates pinned by policy', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];
  before(async () => {
    server = await startProsody({ certificate: 'self-signed', users: [{ username: 'carol', password }] });
  });
  after(async () => {
    for (const c of cores) await c.dispose();
    await server?.dispose();
  });
  const login = (core: TestCore, extra: object = {}) =>
    core.request('addAccount', { jid: `carol@${server.domain}`, password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort, ...extra });

  test('the pinned certificate is accepted without any user decision', async () => {
    const core = await startTestCore({ caPem: server.ca.caCertPem, policy: gate({ serverDomain: server.domain, pinnedCertificates: [server.serverCert.certPem] }) });
    cores.push(core);
    const result = await login(core);
    assert.equal(result.ok, true, JSON.stringify(result));
    const account = (result as { ok: true; value: AccountView }).value;
    assert.equal(account.connection.kind, 'online');
    assert.equal(account.pinnedCertificate, undefined, 'nothing pinned by the user');
    assert.deepEqual(core.core.snapshot().policy?.pinnedCertificates, [server.serverCert.sha256]);
  });

  test('any other certificate is refused, and the user cannot trust it instead', async () => {
    const other = await makeSelfSigned(server.dir, server.domain);
    const core = await startTestCore({ caPem: server.ca.caCertPem, policy: gate({ serverDomain: server.domain, pinnedCertificates: [other.certPem] }) });
    cores.push(core);
    const refused = await failureOf(core, 'addAccount', { jid: `carol@${server.domain}`, password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort });
    assert.equal(refused.code, 'untrusted-certificate');
    assert.match(refused.message, /administrator has not approved/);
    const override = await failureOf(core, 'addAccount', {
      jid: `carol@${server.domain}`, password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort, trustCertificate: server.serverCert.sha256,
    });
    assert.equal(override.code, 'forbidden-by-policy');
  });
});

describe('remote addresses and plaintext', () => {
  let server: ProsodyServer;
  const cores: TestCore[] = [];
  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
        { username: 'mallory', password },
      ],
      contacts: [['alice', 'bob'], ['alice', 'mallory']],
    });
  });
  after(async () => {
    for (const c of cores) await c.dispose();
    await server?.dispose();
  });

  async function online(user: string, policy?: PolicyGate): Promise<{ core: TestCore; account: AccountView }> {
    const core = await startTestCore({ caPem: server.ca.caCertPem, ...(policy ? { policy } : {}) });
    cores.push(core);
    const account = await core.call('addAccount', { jid: `${user}@${server.domain}`, password, rememberPassword: false, host: '127.0.0.1', port: server.c2sPort });
    await core.waitFor('rosterReplaced', (e) => e.accountId === account.id);
    return { core, account };
  }

  test('a denied address is refused before anything is sent; its messages do not reach the user', async () => {
    const policy = gate({ serverDomain: server.domain, remoteDeny: [`mallory@${server.domain}`], allowPlaintext: false });
    const alice = await online('alice', policy);
    const error = await failureOf(alice.core, 'sendMessage', { accountId: alice.account.id, to: `mallory@${server.domain}`, body: 'denied text 5521' });
    assert.equal(error.code, 'forbidden-by-policy');

    // No plaintext at all: a message to an allowed contact waits for a private conversation instead.
    const held = await alice.core.call('sendMessage', { accountId: alice.account.id, to: `bob@${server.domain}`, body: 'held plaintext 9034' });
    assert.notEqual(held.state, 'sent');
    assert.equal(alice.core.core.snapshot().policy?.plaintextAllowed, false);

    const mallory = await online('mallory');
    const add = await failureOf(alice.core, 'addContact', { accountId: alice.account.id, jid: `mallory@${server.domain}` });
    assert.equal(add.code, 'forbidden-by-policy', 'a denied address cannot be added either');
    await mallory.core.call('addContact', { accountId: mallory.account.id, jid: `alice@${server.domain}` });
    await mallory.core.call('sendMessage', { accountId: mallory.account.id, to: `alice@${server.domain}`, body: 'from the deny list 7781' });
    // mallory's message reached the server (so the refusal is alice's core, not the network)…
    await waitUntil(async () => (await server.receivedStanzas()).includes('from the deny list 7781'));
    const stanzas = await server.receivedStanzas();
    assert.ok(!stanzas.includes('denied text 5521'), 'the refused message never crossed the wire');
    assert.ok(!stanzas.includes('held plaintext 9034'), 'no plaintext crossed the wire');
    // …and alice never shows it (give her core a moment to have processed it).
    await new Promise((r) => setTimeout(r, 500));
    const chats = alice.core.core.snapshot().chats[alice.account.id] ?? {};
    assert.equal(chats[`mallory@${server.domain}`], undefined);
    assert.deepEqual(alice.core.core.snapshot().subscriptionRequests?.[alice.account.id] ?? [], [], 'nor its contact request');
  });
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
