import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import type { ChatMessage } from '../../shared/contract.js';
import { correctable, correctionMessage, correctionTarget, NS_CORRECT, parseReplace } from '../../electron/core/correction/correction.js';

const peer = 'bob@example.com';
const msg = (id: string, direction: ChatMessage['direction'], extra: Partial<ChatMessage> = {}): ChatMessage => ({
  id,
  peer,
  direction,
  body: `text of ${id}`,
  timestamp: 1,
  state: direction === 'out' ? 'sent' : 'received',
  ...extra,
});

describe('correction stanzas (XEP-0308)', () => {
  test('the correction carries the new text, a new id and the replaced id', () => {
    const m = correctionMessage(peer, 'new-id', 'fixed', 'old-id');
    assert.equal(m.attrs.id, 'new-id');
    assert.equal(m.attrs.type, 'chat');
    assert.equal(m.getChildText('body'), 'fixed');
    assert.equal(m.getChild('replace', NS_CORRECT)?.attrs.id, 'old-id');
    assert.equal(parseReplace(m), 'old-id');
  });

  test('parsing: one bounded id, no errors or group chat', () => {
    const with_ = (attrs: Record<string, string>, ...replaces: Record<string, string>[]) =>
      xml('message', attrs, xml('body', {}, 'x'), ...replaces.map((r) => xml('replace', { xmlns: NS_CORRECT, ...r })));
    assert.equal(parseReplace(with_({ type: 'chat' }, { id: 'a' })), 'a');
    assert.equal(parseReplace(with_({ type: 'chat' })), undefined);
    assert.equal(parseReplace(with_({ type: 'chat' }, {})), undefined);
    assert.equal(parseReplace(with_({ type: 'chat' }, { id: '' })), undefined);
    assert.equal(parseReplace(with_({ type: 'chat' }, { id: 'x'.repeat(257) })), undefined);
    assert.equal(parseReplace(with_({ type: 'chat' }, { id: 'a' }, { id: 'b' })), undefined);
    assert.equal(parseReplace(with_({ type: 'error' }, { id: 'a' })), undefined);
    assert.equal(parseReplace(with_({ type: 'groupchat' }, { id: 'a' })), undefined);
    assert.equal(parseReplace(xml('message', {}, xml('replace', { xmlns: 'urn:other', id: 'a' }))), undefined);
  });
});

describe('which message a correction applies to', () => {
  test("the sender's last message, and only it", () => {
    const chat = [msg('in-1', 'in'), msg('out-1', 'out'), msg('in-2', 'in'), msg('out-2', 'out'), msg('n', 'notice')];
    assert.equal(correctionTarget(chat, 'in-2')?.id, 'in-2', 'their last message, even with ours after it');
    assert.equal(correctionTarget(chat, 'in-1'), undefined, 'an older one of theirs: no');
    assert.equal(correctionTarget(chat, 'out-2'), undefined, 'ours: never');
    assert.equal(correctionTarget(chat, 'out-1'), undefined);
    assert.equal(correctionTarget(chat, 'n'), undefined, 'a notice: never');
    assert.equal(correctionTarget([], 'x'), undefined);
  });

  test('a peer reusing our id for its own message still cannot touch ours', () => {
    const chat = [msg('same', 'out'), msg('other', 'in')];
    assert.equal(correctionTarget(chat, 'same'), undefined);
  });

  test('a private message is never corrected', () => {
    assert.equal(correctionTarget([msg('p', 'in', { encrypted: true })], 'p'), undefined);
  });

  test('we may correct our last plaintext message once it went out', () => {
    const chat = [msg('out-1', 'out'), msg('in-1', 'in'), msg('out-2', 'out'), msg('in-2', 'in')];
    assert.equal(correctable(chat, 'out-2')?.id, 'out-2');
    assert.equal(correctable(chat, 'out-1'), undefined, 'not an older one');
    assert.equal(correctable(chat, 'in-2'), undefined, 'not theirs');
    assert.equal(correctable([msg('e', 'out', { encrypted: true })], 'e'), undefined, 'not a private one');
    for (const state of ['sending', 'waiting', 'failed'] as const) {
      assert.equal(correctable([msg('s', 'out', { state })], 's'), undefined, state);
    }
    assert.equal(correctable([msg('d', 'out', { state: 'delivered' })], 'd')?.id, 'd');
  });
});
