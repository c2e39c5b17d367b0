/**
 * Chat states (XEP-0085) and corrections (XEP-0308) inside carbons (XEP-0280): read from genuine
 * copies only, named by the right chat (the contact, never our own JID).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { carbonChatState, carbonCopy, checkCarbon } from '../../electron/core/carbons/carbons.js';

const OWN = 'alice@example.com';
const NS_STATES = 'http://jabber.org/protocol/chatstates';

function carbon(kind: 'sent' | 'received', inner: Element, from = OWN): Element {
  return xml('message', { from, to: `${OWN}/klatsch` }, xml(kind, { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)));
}
const checked = (stanza: Element) => {
  const check = checkCarbon(stanza, OWN);
  assert.equal(check.kind, 'carbon');
  return check as Extract<typeof check, { kind: 'carbon' }>;
};

describe('carbonChatState', () => {
  test("the contact's state to another device of ours, in the contact's chat", () => {
    const inner = xml('message', { from: 'bob@example.com/phone', to: `${OWN}/laptop`, type: 'chat' }, xml('composing', { xmlns: NS_STATES }));
    assert.deepEqual(carbonChatState(checked(carbon('received', inner)), OWN), { direction: 'in', peer: 'bob@example.com', state: 'composing' });
  });

  test('our other device telling the contact, in the chat with the contact', () => {
    const inner = xml('message', { from: `${OWN}/laptop`, to: 'bob@example.com', type: 'chat' }, xml('paused', { xmlns: NS_STATES }));
    assert.deepEqual(carbonChatState(checked(carbon('sent', inner)), OWN), { direction: 'out', peer: 'bob@example.com', state: 'paused' });
  });

  test('nothing between our own devices, nothing without exactly one known state', () => {
    const own = xml('message', { from: `${OWN}/laptop`, to: `${OWN}/phone`, type: 'chat' }, xml('composing', { xmlns: NS_STATES }));
    assert.equal(carbonChatState(checked(carbon('sent', own)), OWN), undefined);
    const two = xml('message', { from: `${OWN}/laptop`, to: 'bob@example.com' }, xml('composing', { xmlns: NS_STATES }), xml('paused', { xmlns: NS_STATES }));
    assert.equal(carbonChatState(checked(carbon('sent', two)), OWN), undefined);
    const unknown = xml('message', { from: `${OWN}/laptop`, to: 'bob@example.com' }, xml('dancing', { xmlns: NS_STATES }));
    assert.equal(carbonChatState(checked(carbon('sent', unknown)), OWN), undefined);
  });

  test('a spoofed carbon never gets this far', () => {
    const inner = xml('message', { from: 'bob@example.com/phone', to: `${OWN}/laptop` }, xml('composing', { xmlns: NS_STATES }));
    assert.equal(checkCarbon(carbon('received', inner, 'bob@example.com'), OWN).kind, 'rejected');
  });
});

describe('carbonCopy corrections', () => {
  test('a copy that corrects says which message', () => {
    const inner = xml(
      'message',
      { from: `${OWN}/laptop`, to: 'bob@example.com', type: 'chat', id: 'm2' },
      xml('body', {}, 'fixed'),
      xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'm1' }),
    );
    const copy = carbonCopy(checked(carbon('sent', inner)), OWN);
    assert.equal(copy?.replaces, 'm1');
    assert.equal(copy?.peer, 'bob@example.com');
    const plain = xml('message', { from: `${OWN}/laptop`, to: 'bob@example.com', type: 'chat', id: 'm3' }, xml('body', {}, 'plain'));
    assert.equal('replaces' in (carbonCopy(checked(carbon('sent', plain)), OWN) ?? {}), false);
  });
});
