/**
 * The first OMEMO message to a Klatsch that is not running (issue 15): the reference peer (python-omemo)
 * starts a session with a key exchange (a prekey message) while the Klatsch core is stopped; the server keeps
 * it (offline storage, and the archive). Klatsch starts again on the same profile — its device, prekeys and
 * trust come from its encrypted store — and decrypts it; the session it started then works both ways.
 * In XEP-0384 0.3 and in omemo:2.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AccountView, ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';

const password = 'omemo-restart-pw';

describe('the first OMEMO message to a Klatsch that was not running', () => {
  let server: ProsodyServer;
  let dir: string;
  const peers: OmemoPeer[] = [];
  const cores: TestCore[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: [{ username: 'alice', password }, { username: 'anna', password }],
      contacts: [['alice', 'olga'], ['anna', 'otto']],
      extraConfig: `${OMEMO_PROSODY_CONFIG}\tdefault_archive_policy = true\n`,
    });
    dir = await mkdtemp(path.join(os.tmpdir(), 'klatsch-omemo-restart-'));
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.close()));
    for (const core of cores) await core.dispose();
    await server?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [version, user, peerUser] of [['oldmemo', 'alice', 'olga'], ['twomemo', 'anna', 'otto']] as const) {
    test(`${version}: a key exchange sent while Klatsch was stopped decrypts after it starts on its profile`, async () => {
      const profileDir = await mkdtemp(path.join(dir, `${user}-`));
      const first = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, profileDir });
      const account: AccountView = await first.call('addAccount', { jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
      const peer = await startOmemoPeer({ server, username: peerUser, password, versions: [version] });
      peers.push(peer);
      // Klatsch's device is published before it stops: the peer will find its bundle.
      let deviceId: number | undefined;
      for (let tries = 0; deviceId === undefined && tries < 100; tries++) {
        deviceId = (await peer.devices(jid(user))).find((d) => d.versions.includes(version))?.deviceId;
        if (deviceId === undefined) await new Promise((resolve) => setTimeout(resolve, 200));
      }
      assert.ok(deviceId, 'Klatsch published its device');
      await first.dispose();

      // Klatsch is stopped: the peer's first message starts the session (a key exchange) and waits on the server.
      const sent = await peer.send(jid(user), `first words while you were off (${version})`);
      assert.deepEqual(sent.errors, []);
      assert.ok(sent.messages[0]!.recipients.some((r) => r.jid === jid(user) && r.deviceId === deviceId && r.keyExchange), 'a key exchange for the stopped device');

      const again = await startTestCore({ caPem: server.ca.caCertPem, omemo: true, profileDir });
      cores.push(again);
      const got = await again.waitFor('messageUpserted', (e) => e.message.peer === peer.jid && e.message.direction === 'in' && e.message.body === `first words while you were off (${version})`, { timeoutMs: 30_000 });
      assert.equal(got.message.encrypted, true);
      const chat = (): ChatMessage[] => again.core.snapshot().chats[account.id]?.[peer.jid] ?? [];
      // Nothing raw and no "could not be read"; the one notice allowed is the trust notice of the contact's device, new to us.
      assert.ok(chat().every((m) => (m.direction !== 'notice' || m.notice?.kind === 'omemo-device-new') && !/OMEMO encrypted message/.test(m.body)), JSON.stringify(chat()));
      assert.equal(chat().filter((m) => m.body === `first words while you were off (${version})`).length, 1, 'shown once (offline storage and the archive hold the same message)');

      // The session the key exchange started works both ways.
      const from = peer.events.length;
      await again.call('sendMessage', { accountId: account.id, to: peer.jid, body: `back on, ${peerUser}` });
      const answer = await peer.nextMessage((m) => m.text === `back on, ${peerUser}`, 20_000, from);
      assert.equal(answer.version, version);
    });
  }
});
