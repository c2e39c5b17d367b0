// XEP-0198 against a real Prosody (mod_smacks): a dropped TCP connection is resumed, what the server
// did not acknowledge goes out again, what was sent to us meanwhile arrives — each stanza exactly once.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy.js';
import { ConnectionManager } from '../../electron/core/xmpp/connection-manager.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';

const password = 'sm-secret-1';

describe('stream management (XEP-0198) against Prosody', () => {
  let server: ProsodyServer;
  let proxy: TcpProxy;
  const managers: ConnectionManager[] = [];

  const manager = (local: string, port: number, streamManagement = true) => {
    const m = new ConnectionManager({
      target: () => ({ local, domain: server.domain, override: { host: '127.0.0.1', port, directTls: false }, trust: { kind: 'verified', extraAnchors: [server.ca.caCertPem] } }),
      lookup: async () => {
        throw Object.assign(new Error('no SRV in tests'), { code: 'ENOTFOUND' });
      },
      backoff: { baseMs: 100, maxMs: 500 },
      stepTimeoutMs: 5_000,
      keepalive: { everyMs: 60_000, timeoutMs: 5_000 },
      streamManagement,
    });
    managers.push(m);
    return m;
  };
  const nextSession = (m: ConnectionManager) => new Promise<XmppSession>((resolve) => m.once('session', resolve));
  /** Messages with a body, by id, as they arrive. */
  const inbox = (m: ConnectionManager) => {
    const ids: string[] = [];
    const listen = (s: XmppSession) => s.on('stanza', (el: Element) => el.name === 'message' && el.getChild('body') && ids.push(el.attrs.id ?? ''));
    m.on('session', listen);
    if (m.activeSession) listen(m.activeSession);
    return ids;
  };
  const until = async (what: () => boolean, ms = 15_000) => {
    const end = Date.now() + ms;
    while (!what()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const message = (to: string, id: string) => xml('message', { to, id, type: 'chat' }, xml('body', {}, `text ${id}`));

  before(async () => {
    server = await startProsody({
      users: [
        { username: 'alice', password },
        { username: 'bob', password },
      ],
      contacts: [['alice', 'bob']],
    });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    for (const m of managers) await m.disconnect();
    await proxy?.close();
    await server?.dispose();
  });

  test('a dropped connection is resumed: same JID, stanzas both ways arrive once, unacknowledged ones are sent again', async () => {
    const alice = manager('alice', proxy.port);
    const bob = manager('bob', server.c2sPort);
    const first = await alice.connect(password);
    const bobSession = await bob.connect(password);
    assert.equal(first.resumed, false);
    assert.equal(alice.canResume, true, 'Prosody enabled resumable stream management');
    await first.send(xml('presence'));
    await bobSession.send(xml('presence'));
    const aliceGot = inbox(alice);
    const bobGot = inbox(bob);

    // Acknowledged before the drop: never sent again.
    const acked: string[] = [];
    alice.on('acked', (el: Element) => el.name === 'message' && acked.push(el.attrs.id ?? ''));
    await first.send(message(bobSession.jid, 'before-drop'));
    await until(() => acked.includes('before-drop'));

    // Written and cut at once: the server may or may not have it; <resumed h> says which, and only the rest goes again.
    const resumedSession = nextSession(alice);
    await first.send(message(bobSession.jid, 'at-drop'));
    proxy.cut();
    // Sent to alice while she is away: Prosody keeps it for the hibernating session.
    await until(() => !alice.activeSession);
    await bobSession.send(message(first.jid, 'while-away'));

    const second = await resumedSession;
    assert.equal(second.resumed, true, 'the stream was resumed, not bound anew');
    assert.equal(second.jid, first.jid, 'same full JID');
    await until(() => aliceGot.includes('while-away') && bobGot.includes('at-drop') && acked.includes('at-drop')).catch((e) => {
      throw new Error(`${e} ${JSON.stringify({ aliceGot, bobGot, acked })}`);
    });
    await second.send(message(bobSession.jid, 'after-resume'));
    await until(() => bobGot.includes('after-resume'));
    assert.deepEqual(bobGot, ['before-drop', 'at-drop', 'after-resume'], 'each message once, in order');
    assert.deepEqual(aliceGot, ['while-away']);
    assert.deepEqual(acked, ['before-drop', 'at-drop', 'after-resume'].slice(0, acked.length));
  });

  test('what the server replays on resumption reaches the listener, also while several of ours are sent again', async () => {
    // The tester's failure: bob's stream died with 2 or more of his messages unacknowledged; alice's 3 sent meanwhile
    // were counted as handled on resumption but emitted before anyone listened — gone, and the server forgot them.
    const alice = manager('alice', server.c2sPort);
    const bob = manager('bob', proxy.port);
    const aliceSession = await alice.connect(password);
    const first = await bob.connect(password);
    await aliceSession.send(xml('presence'));
    await first.send(xml('presence'));
    const bobGot = inbox(bob);
    const aliceGot = inbox(alice);
    const aliceAcked: string[] = [];
    alice.on('acked', (el: Element) => el.name === 'message' && aliceAcked.push(el.attrs.id ?? ''));

    proxy.drop(); // the network goes silent: bob's 5 never reach the server, alice's 3 never reach bob
    const mine = ['b1', 'b2', 'b3', 'b4', 'b5'];
    for (const id of mine) await first.send(message(aliceSession.jid, id));
    const theirs = ['a1', 'a2', 'a3'];
    for (const id of theirs) await aliceSession.send(message(first.jid, id));
    await until(() => theirs.every((id) => aliceAcked.includes(id))); // the server has them, for bob's stream
    const resumedSession = nextSession(bob);
    proxy.cut();
    const second = await resumedSession;
    assert.equal(second.resumed, true, 'the stream was resumed');
    await until(() => mine.every((id) => aliceGot.includes(id)));
    await second.send(message(aliceSession.jid, 'marker'));
    await until(() => aliceGot.includes('marker'));
    await until(() => theirs.every((id) => bobGot.includes(id)), 5_000).catch(() => undefined);
    assert.deepEqual(bobGot, theirs, "alice's messages, each once, in order");
    assert.deepEqual(aliceGot, [...mine, 'marker'], "bob's messages sent again, each once, in order");
    await alice.disconnect();
    await bob.disconnect();
  });

  test('a server restart cannot be resumed: a new stream is bound, and stream management is enabled on it', async () => {
    const carol = manager('alice', server.c2sPort);
    const first = await carol.connect(password);
    assert.equal(carol.canResume, true);
    const next = nextSession(carol);
    await server.stop();
    await server.start();
    const second = await next;
    assert.equal(second.resumed, false, 'the restarted server knows no old stream');
    assert.notEqual(second.jid, first.jid, 'a new resource was bound');
    assert.equal(carol.canResume, true, 'and the new stream is resumable again');
    await carol.disconnect();
  });

  test('without stream management, a ping after a message is the server acknowledging it', async () => {
    const plain = manager('bob', server.c2sPort, false);
    const session = await plain.connect(password);
    assert.equal(plain.canResume, false);
    const acked: string[] = [];
    plain.on('acked', (el: Element) => acked.push(el.attrs.id ?? ''));
    await session.send(message(`alice@${server.domain}`, 'no-sm-1'));
    await session.send(message(`alice@${server.domain}`, 'no-sm-2'));
    await until(() => acked.length === 2);
    assert.deepEqual(acked, ['no-sm-1', 'no-sm-2']);
  });
});
