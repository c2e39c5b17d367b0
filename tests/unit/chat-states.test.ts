import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import {
  chatStateMessage,
  NS_CHAT_STATES,
  OutgoingChatStates,
  parseChatState,
  PAUSE_AFTER_MS,
  withChatState,
  type ChatState,
} from '../../electron/core/chat-states/chat-states.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';

describe('chat state stanzas (XEP-0085)', () => {
  test('a standalone notification has the state and no body', () => {
    const m = chatStateMessage('bob@example.com', 'id-1', 'composing');
    assert.equal(m.attrs.type, 'chat');
    assert.equal(m.attrs.to, 'bob@example.com');
    assert.ok(m.getChild('composing', NS_CHAT_STATES));
    assert.equal(m.getChild('body'), undefined);
  });

  test('a message gets <active/> next to its body', () => {
    const m = withChatState(chatMessage('bob@example.com', 'id-2', 'hi', true), 'active');
    assert.equal(m.getChildText('body'), 'hi');
    assert.ok(m.getChild('active', NS_CHAT_STATES));
    assert.match(m.toString(), /<active xmlns="http:\/\/jabber.org\/protocol\/chatstates"\/>/);
  });

  test('parsing takes exactly one known state; errors, group chat, unknown or doubled states are none', () => {
    const msg = (attrs: Record<string, string>, ...children: ReturnType<typeof xml>[]) => xml('message', { from: 'bob@example.com/r', ...attrs }, ...children);
    assert.equal(parseChatState(msg({ type: 'chat' }, xml('composing', { xmlns: NS_CHAT_STATES }))), 'composing');
    assert.equal(parseChatState(msg({}, xml('paused', { xmlns: NS_CHAT_STATES }))), 'paused');
    assert.equal(parseChatState(msg({ type: 'chat' }, xml('body', {}, 'x'), xml('active', { xmlns: NS_CHAT_STATES }))), 'active');
    assert.equal(parseChatState(msg({ type: 'error' }, xml('composing', { xmlns: NS_CHAT_STATES }))), undefined);
    assert.equal(parseChatState(msg({ type: 'groupchat' }, xml('composing', { xmlns: NS_CHAT_STATES }))), undefined);
    assert.equal(parseChatState(msg({ type: 'chat' }, xml('composing', { xmlns: 'urn:other' }))), undefined);
    assert.equal(parseChatState(msg({ type: 'chat' }, xml('dancing', { xmlns: NS_CHAT_STATES }))), undefined);
    assert.equal(
      parseChatState(msg({ type: 'chat' }, xml('composing', { xmlns: NS_CHAT_STATES }), xml('paused', { xmlns: NS_CHAT_STATES }))),
      undefined,
    );
    assert.equal(parseChatState(msg({ type: 'chat' }, xml('body', {}, 'plain'))), undefined);
  });
});

/** OutgoingChatStates with a hand-driven clock. */
function harness(allowed: (peer: string) => boolean = () => true) {
  const sent: [string, ChatState][] = [];
  const timers: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const states = new OutgoingChatStates({
    allowed,
    send: async (peer, state) => {
      sent.push([peer, state]);
    },
    setTimer: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t as unknown as NodeJS.Timeout;
    },
    clearTimer: (t) => {
      (t as unknown as { cleared: boolean }).cleared = true;
    },
  });
  const fire = async () => {
    const live = timers.filter((t) => !t.cleared);
    for (const t of live) {
      t.cleared = true;
      t.fn();
    }
    await new Promise((r) => setImmediate(r));
  };
  return { states, sent, timers, fire };
}

describe('outgoing chat states', () => {
  const bob = 'bob@example.com';

  test('only changes go out; typing turns into paused after the pause', async () => {
    const { states, sent, timers, fire } = harness();
    await states.set(bob, 'composing');
    await states.set(bob, 'composing');
    await states.set(bob, 'composing');
    assert.deepEqual(sent, [[bob, 'composing']]);
    assert.equal(timers.at(-1)!.ms, PAUSE_AFTER_MS);
    assert.equal(timers.filter((t) => !t.cleared).length, 1, 'each keystroke restarts the one timer');
    await fire();
    assert.deepEqual(sent, [
      [bob, 'composing'],
      [bob, 'paused'],
    ]);
    await states.set(bob, 'paused');
    assert.equal(sent.length, 2, 'paused again is no change');
    await states.set(bob, 'composing');
    assert.deepEqual(sent.at(-1), [bob, 'composing']);
  });

  test('nothing said yet: paused, active or inactive tell nothing and stay home', async () => {
    const { states, sent } = harness();
    await states.set(bob, 'paused');
    await states.set(bob, 'active');
    await states.set(bob, 'inactive');
    assert.deepEqual(sent, []);
  });

  test('a sent message carries active (and typing is over); the next keystroke is a change again', async () => {
    const { states, sent, timers } = harness();
    await states.set(bob, 'composing');
    assert.equal(states.messageSent(bob), true);
    assert.ok(timers.every((t) => t.cleared), 'no paused after the message');
    await states.set(bob, 'active');
    assert.equal(sent.length, 1, 'active was said by the message');
    await states.set(bob, 'composing');
    assert.equal(sent.length, 2);
  });

  test('never while private: no stanza and no active on a message', async () => {
    let isPrivate = true;
    const { states, sent, fire } = harness(() => !isPrivate);
    await states.set(bob, 'composing');
    await fire();
    await states.set(bob, 'inactive');
    assert.deepEqual(sent, [], 'nothing goes out while private');
    assert.equal(states.messageSent(bob), false, 'a message while private carries no state');
    isPrivate = false;
    await states.set(bob, 'composing');
    assert.deepEqual(sent, [[bob, 'composing']]);
    // It turns private while typing: the paused that would follow stays home.
    isPrivate = true;
    states.privacyChanged(bob);
    await fire();
    await states.set(bob, 'paused');
    assert.deepEqual(sent, [[bob, 'composing']]);
  });

  test('after a reset (reconnect) the state is said again', async () => {
    const { states, sent } = harness();
    await states.set(bob, 'composing');
    states.reset();
    await states.set(bob, 'composing');
    assert.equal(sent.length, 2);
  });
});
