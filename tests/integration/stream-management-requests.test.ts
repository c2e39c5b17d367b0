// XEP-0198: every <r/> of the server is answered with the right h, also one that comes in the same write as
// <enabled/> or <resumed/> (Prosody asks right after <resumed/> and its replayed backlog) — before the session
// existed to listen, it went unanswered: Prosody kept the replayed stanzas unacknowledged and the stream went quiet.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import xml, { type Element } from '@xmpp/xml';
import { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { StreamManagement } from '../../electron/core/xmpp/stream-management.js';
import { startScriptedServer, type ScriptedServer } from '../fixtures/hostile-server.js';
import { hostileLogins, type HostileLogins } from '../fixtures/hostile-login.js';
import { until } from '../fixtures/until.js';

const domain = 'klatsch.test';
const username = 'alice';
const password = 'Tr0ub4dor&3-horse';

const incoming = (id: string) =>
  `<message from='bob@${domain}/phone' to='${username}@${domain}/scripted' type='chat' id='${id}'><body>text ${id}</body></message>`;
const request = "<r xmlns='urn:xmpp:sm:3'/>";

describe('stream management: the server asks in the same write as <enabled/> or <resumed/>', { timeout: 60_000 }, () => {
  let logins: HostileLogins;

  before(async () => {
    logins = await hostileLogins({ tempPrefix: 'klatsch-sm-requests-', domain, username, password, loginTimeoutMs: 20_000 });
  });
  after(() => logins.dispose());

  const open = (server: ScriptedServer, sm: StreamManagement) =>
    XmppSession.open({
      local: username,
      domain,
      password,
      trust: { kind: 'verified', extraAnchors: [logins.ca.caCertPem] },
      endpoints: [{ host: '127.0.0.1', port: server.port, directTls: true }],
      stepTimeoutMs: 2_000, // also how long close() waits for the scripted server's </stream:stream>, which never comes
      loginTimeoutMs: 20_000,
      keepalive: { everyMs: 600_000, timeoutMs: 5_000 },
      sm,
    });
  /** The h of every `<a/>` the client sent, in order. */
  const answers = (server: ScriptedServer) => [...server.received().matchAll(/<a\b[^>]*\bh=["'](\d+)["'][^>]*\/>/g)].map((m) => m[1]);
  /** Starts the session; returns the ids of the stanzas it hands on, as they come. */
  const listen = (session: XmppSession) => {
    const ids: string[] = [];
    session.on('stanza', (stanza: Element) => ids.push(stanza.attrs.id ?? ''));
    session.start();
    return ids;
  };

  test('an <r/> in the same write as <enabled/> and a stanza is answered with h=1', async () => {
    const server = logins.track(await startScriptedServer(domain, logins.cert, { username, sm: { afterEnabled: incoming('m1') + request } }));
    const sm = new StreamManagement({ acked: () => undefined });
    const session = await open(server, sm);
    try {
      const seen = listen(session);
      const answered = await until(() => answers(server).length > 0, 10_000);
      assert.ok(answered, "the server's <r/> was answered with an <a/>");
      assert.deepEqual(answers(server), ['1']);
      assert.deepEqual(seen, ['m1']);
    } finally {
      await session.close();
    }
  });

  test('an <r/> in the same write as <resumed/> and the replayed stanzas is answered with h counting each once', async () => {
    const server = logins.track(
      await startScriptedServer(domain, logins.cert, { username, sm: { afterEnabled: incoming('m1'), afterResumed: incoming('r1') + incoming('r2') + request } }),
    );
    const sm = new StreamManagement({ acked: () => undefined });
    const first = await open(server, sm);
    const firstSeen = listen(first);
    assert.ok(await until(() => firstSeen.includes('m1'), 10_000), 'the first stream carried m1');
    const closed = once(first, 'closed');
    server.cut(); // the network drops: the stream can be resumed
    await closed;

    const second = await open(server, sm);
    try {
      assert.equal(second.resumed, true, 'the stream was resumed');
      assert.match(server.received(), /<resume\b[^>]*\bh=["']1["']/, 'the resume request counted m1');
      // Before start() the replayed stanzas are counted but not the app's yet: the answer waits. A presence written
      // now shares a batch with anything answered now, and TCP keeps the order: once it arrived, so would have the <a/>.
      await second.send(xml('presence', { id: 'before-start' }), { confirm: false });
      assert.ok(await until(() => server.received().includes('before-start'), 10_000), 'the presence arrived');
      assert.deepEqual(answers(server), [], 'no <a/> before the app has the stanzas it counts');
      const seen = listen(second);
      const answered = await until(() => answers(server).length > 0, 10_000);
      assert.ok(answered, "the server's <r/> after <resumed/> was answered with an <a/>");
      // m1 from the first stream, r1 and r2 replayed: each counted once, and handed to the app once.
      assert.deepEqual(answers(server), ['3']);
      assert.deepEqual(seen, ['r1', 'r2']);
      assert.equal(sm.handled, 3);
    } finally {
      await second.close();
    }
  });
});
