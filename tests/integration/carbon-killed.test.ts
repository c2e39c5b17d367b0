// Issue 17: a message the app showed is in its history, also when the app is killed right after showing it. The
// integration run under load lost one: a contact's message that reached the app as a carbon (XEP-0280: the server
// delivered it to another resource of ours, here a killed life of the app still held open for resumption) was shown,
// but went to disk only with the next batch of writes; killed in between, it was gone after the restart. Live
// messages were already on disk before they were shown; copies are now too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import type { ChatMessage } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTcpProxy, type TcpProxy } from '../fixtures/tcp-proxy.js';
import { until } from '../fixtures/until.js';
import { startRecordedHost, type HostEvent, type RecordedHost } from '../fixtures/dev-host-client.js';
import { jidOn, loginOn, openDevice, usersWith } from '../fixtures/xmpp-server.js';

/** Each chat starts with all of its stored messages (the development host's option; the app starts with a page). */
const WHOLE_CHAT = ['--history-recent-per-chat', '100000'];
const password = 'carbon-killed-pw';

/** The incoming message an event shows, if it shows one with this text. */
function shownWith(event: HostEvent, body: string): ChatMessage | undefined {
  if (event.name !== 'messageUpserted') return undefined;
  const message = (event.payload as { message: ChatMessage }).message;
  return message.direction === 'in' && message.body === body ? message : undefined;
}

describe('the app is killed right after showing a carbon copy', () => {
  let server: ProsodyServer;
  /** In front of the app's connection: blocked for its restart, so that only its history can show the message. */
  let proxy: TcpProxy;
  let alice: RecordedHost | undefined;
  /** alice's other device (the message goes there) and bob's device (it sends). */
  let laptop: XmppSession;
  let bobDevice: XmppSession;
  const jid = (user: string) => jidOn(server, user);

  before(async () => {
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
  });
  after(async () => {
    await alice?.dispose();
    await laptop?.close();
    await bobDevice?.close();
    await proxy?.close();
    await server?.dispose();
  });

  test('a contact’s message shown as a carbon is in the chat after a kill right after it was shown', async () => {
    alice = await startRecordedHost({ caFile: server.ca.caCertFile, args: WHOLE_CHAT });
    const added = await alice.request('addAccount', { ...loginOn(server, 'alice', password), port: proxy.port });
    assert.ok(added.ok, JSON.stringify(!added.ok && added.error));
    const accountId = added.value.id;
    assert.ok(await alice.online());
    assert.ok((await alice.request('setOtrPolicy', { accountId, peer: jid('bob'), policy: 'never' })).ok);
    laptop = await openDevice(server, 'alice', password, { priority: -1 });
    laptop.start();
    bobDevice = await openDevice(server, 'bob', password);
    bobDevice.start();

    // Carbons are on once a copy shows (the app enables them right after signing in).
    const app = alice;
    let carbonsOn = false;
    for (let warm = 0; warm < 20 && !carbonsOn; warm++) {
      const body = `warm-up ${warm}`;
      await bobDevice.send(chatMessage(laptop.jid, `warm-${warm}`, body));
      carbonsOn = await until(() => app.events.some((e) => shownWith(e, body) !== undefined), 1_000);
    }
    assert.ok(carbonsOn, 'the app shows carbon copies');

    // Killed the moment it shows the copy (the history writes its batch later).
    const body = 'To your laptop, shown here as a copy';
    let shown: ChatMessage | undefined;
    app.onEvent = (event) => {
      const message = shownWith(event, body);
      if (!message || shown) return;
      shown = message;
      void app.kill();
    };
    await bobDevice.send(chatMessage(laptop.jid, 'carbon-killed-1', body));
    assert.ok(await until(() => shown !== undefined, 20_000), 'the app showed the copy');
    await app.kill();

    // Started again without its server: what it shows is what its history kept.
    await proxy.block(true);
    alice = await startRecordedHost({ caFile: server.ca.caCertFile, profileDir: app.profileDir, args: WHOLE_CHAT });
    const snapshot = await alice.request('getSnapshot', {});
    assert.ok(snapshot.ok);
    const chat = snapshot.value.chats[accountId]?.[jid('bob')] ?? [];
    assert.ok(
      chat.some((m) => m.id === shown!.id && m.direction === 'in' && m.body === body),
      `the copy shown before the kill is in the chat after it: ${JSON.stringify(chat.map((m) => m.body))}`,
    );
    await proxy.block(false);
  });
});
