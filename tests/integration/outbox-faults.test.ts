// The outbox under the faults an outside tester used (1,000 messages each way on a real Prosody with TCP cuts and
// stalls): a plaintext message whose stream died before the server took it goes out again on the next stream — it
// is never "failed" for a connection problem — and arrives once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy.js';
import { tempProfiles, type TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { until as untilHolds } from '../fixtures/until.js';
import { usersWith } from '../fixtures/xmpp-server.js';

const password = 'outbox-faults-pw';

describe('outbox under connection faults', () => {
  let server: ProsodyServer;
  let proxy: TcpProxy;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const profiles = tempProfiles('klatsch-outbox-faults-');
  const jid = (user: string) => `${user}@${server.domain}`;

  const chatOf = (core: TestCore, account: AccountView, peer: string): ChatMessage[] => core.core.snapshot().chats[account.id]?.[jid(peer)] ?? [];
  const until = (what: () => boolean, ms = 60_000) => untilHolds(what, ms);

  before(async () => {
    server = await startProsody({
      users: usersWith(password, 'alice', 'bob'),
      contacts: [['alice', 'bob']],
      logLevel: 'debug', // to see the stream error it sent (the passwords are the test's own)
    });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
    // Alice through the proxy; plaintext: the plaintext path is what is tested here.
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, {
      password,
      policy: 'never',
      cores: [{ profileDir: await profiles.make() }, { profileDir: await profiles.make() }],
      login: [{ port: proxy.port }, {}],
    }));
  });
  after(async () => {
    await alice?.dispose();
    await bob?.dispose();
    await proxy?.close();
    await server?.dispose();
    await profiles.removeAll();
  });

  test('a resumed stream the server ends as not-well-formed: what went out on it goes out again on the next stream — never "failed"', async () => {
    // The tester's failure: Prosody closed a just-resumed stream as not-well-formed, and 126 plaintext messages ended
    // "failed" at once. Not a stanza of ours: Prosody 0.12 resumes by handing the new connection's bytes to the old
    // connection's XML parser (mod_smacks keeps the old session's `data` handler), which still holds the half stanza
    // the network cut off — here the first 16 KB (one TLS record) of a long message, ending inside "</body>". Every
    // message the outbox wrote on that stream between the stream error and the socket's close failed, for good.
    const from = alice.events.length;
    const sample = chatMessage(jid('bob'), randomUUID(), 'L').toString();
    const prefix = sample.slice(0, sample.indexOf('<body>') + '<body>'.length);
    const long = 'L'.repeat(16_384 - prefix.length - '</b'.length); // the first record ends with "…LLL</b"
    proxy.loseInsideLongWrite();
    const cutShort = await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body: long });
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from, timeoutMs: 30_000 });
    // Written while the network is down: they wait in the outbox and go out together on the next stream.
    const bodies = Array.from({ length: 60 }, (_, i) => `RESUMED-${String(i).padStart(2, '0')}`);
    const sent = [cutShort];
    for (const body of bodies) sent.push(await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body }));
    const resumedFrom = alice.events.length;
    proxy.cut(); // the network is back
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: resumedFrom, timeoutMs: 30_000 });
    const mine = () => sent.map((s) => chatOf(alice, aliceAccount, 'bob').find((m) => m.id === s.id));
    const done = (m: ChatMessage | undefined) => m?.state === 'sent' || m?.state === 'delivered' || m?.state === 'failed';
    await until(() => mine().every(done));
    const failed = mine().filter((m) => m?.state === 'failed');
    assert.deepEqual(failed.map((m) => `${m?.body.slice(0, 10)}: ${m?.error}`), [], 'none failed for a connection problem');
    assert.ok(mine().every(done), `every message went out: ${mine().map((m) => m?.state).join(' ')}`);
    assert.match(await server.logText(), /mod_smacks resuming existing session[\s\S]*<not-well-formed/, 'Prosody ended the resumed stream as not-well-formed');
    const all = [long, ...bodies];
    assert.ok(await until(() => all.every((body) => chatOf(bob, bobAccount, 'alice').some((m) => m.body === body))), 'bob got every message');
    for (const body of all) assert.equal(chatOf(bob, bobAccount, 'alice').filter((m) => m.direction === 'in' && m.body === body).length, 1, 'once');
  });

  test('after a reconnect that was not resumed, what waited during the outage goes out before anything newer', async () => {
    // The tester's failure: 10–35 % of the messages shown out of order after reconnects that were not resumed — a
    // message written just after the new stream came up went out at once, before the outbox's older ones.
    const from = alice.events.length;
    await server.stop(); // a restarted server knows no old stream: nothing is resumed
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'reconnecting', { after: from, timeoutMs: 30_000 });
    const waited = Array.from({ length: 10 }, (_, i) => `WAITED-${i}`);
    for (const body of waited) await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
    const back = alice.events.length;
    await server.start();
    await alice.waitFor('accountUpdated', (a) => a.connection.kind === 'online', { after: back, timeoutMs: 30_000 });
    const newer = Array.from({ length: 10 }, (_, i) => `NEWER-${i}`);
    for (const body of newer) await alice.call('sendMessage', { accountId: aliceAccount.id, to: jid('bob'), body });
    const all = [...waited, ...newer];
    assert.ok(await until(() => all.every((body) => chatOf(bob, bobAccount, 'alice').some((m) => m.body === body))), 'bob got every message');
    const order = chatOf(bob, bobAccount, 'alice').filter((m) => all.includes(m.body)).map((m) => m.body);
    assert.deepEqual(order, all, 'shown in the order alice wrote them');
  });
});
