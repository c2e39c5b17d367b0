/**
 * Carbons (XEP-0280) and receipts (XEP-0184) on untrusted stanzas: only our
 * own server's wrappers are believed; nothing throws.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { carbonCopy, checkCarbon, enableCarbons } from '../../electron/core/carbons/carbons.js';
import { isOtrTraffic, otrMessage } from '../../electron/core/e2ee/otr/provider.js';
import { receiptFor, receiptMessage, wantsReceipt } from '../../electron/core/receipts/receipts.js';
import { chatMessage, CLIENT_FEATURES } from '../../electron/core/xmpp/stanzas.js';

const OWN = 'alice@example.com';

function carbon(kind: 'sent' | 'received', outerFrom: string | undefined, inner: Element, extra: Element[] = []): Element {
  return xml(
    'message',
    { ...(outerFrom !== undefined ? { from: outerFrom } : {}), to: `${OWN}/klatsch`, type: 'chat' },
    xml(kind, { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, inner)),
    ...extra,
  );
}
const sentInner = (body: string, to = 'bob@example.com/phone') =>
  xml('message', { from: `${OWN}/laptop`, to, type: 'chat', id: 'm1' }, xml('body', {}, body));
const receivedInner = (body: string, from = 'bob@example.com/phone') =>
  xml('message', { from, to: `${OWN}/laptop`, type: 'chat', id: 'm2' }, xml('body', {}, body));

describe('checkCarbon', () => {
  test('an ordinary message is no carbon', () => {
    assert.deepEqual(checkCarbon(xml('message', { from: 'bob@example.com/x' }, xml('body', {}, 'hi')), OWN), { kind: 'none' });
  });

  test('a sent carbon from our bare JID is believed', () => {
    const check = checkCarbon(carbon('sent', OWN, sentInner('hello')), OWN);
    assert.equal(check.kind, 'carbon');
    const copy = carbonCopy(check as Extract<typeof check, { kind: 'carbon' }>, OWN);
    const { message, ...rest } = copy!;
    assert.deepEqual(rest, { direction: 'out', peer: 'bob@example.com', id: 'm1', body: 'hello', stampedAt: undefined });
    assert.equal(message.getChildText('body'), 'hello', 'the copied message itself, for the encryption schemes to claim');
  });

  test('a received carbon names the sender as the peer; case of our JID does not matter', () => {
    const check = checkCarbon(carbon('received', 'Alice@Example.com', receivedInner('yo')), OWN);
    assert.equal(check.kind, 'carbon');
    const copy = carbonCopy(check as Extract<typeof check, { kind: 'carbon' }>, OWN);
    assert.equal(copy?.direction, 'in');
    assert.equal(copy?.peer, 'bob@example.com');
  });

  test('spoofs are rejected: another user, a full JID of ours, no from, another domain', () => {
    for (const from of ['bob@example.com', `${OWN}/laptop`, undefined, 'example.com', 'alice@example.com.evil']) {
      assert.equal(checkCarbon(carbon('sent', from, sentInner('SPOOF')), OWN).kind, 'rejected', String(from));
    }
  });

  test('malformed wrappers are rejected', () => {
    const noForward = xml('message', { from: OWN }, xml('sent', { xmlns: 'urn:xmpp:carbons:2' }));
    const twoInner = xml(
      'message',
      { from: OWN },
      xml('sent', { xmlns: 'urn:xmpp:carbons:2' }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, sentInner('a'), sentInner('b'))),
    );
    const twoWrappers = carbon('sent', OWN, sentInner('a'), [xml('received', { xmlns: 'urn:xmpp:carbons:2' })]);
    for (const s of [noForward, twoInner, twoWrappers]) assert.equal(checkCarbon(s, OWN).kind, 'rejected');
  });

  test('a sent carbon not from one of our resources, or a received one not to us, is rejected', () => {
    const foreignSender = xml('message', { from: 'mallory@example.com/x', to: 'bob@example.com', type: 'chat' }, xml('body', {}, 'x'));
    assert.equal(checkCarbon(carbon('sent', OWN, foreignSender), OWN).kind, 'rejected');
    const foreignTarget = xml('message', { from: 'bob@example.com/x', to: 'mallory@example.com', type: 'chat' }, xml('body', {}, 'x'));
    assert.equal(checkCarbon(carbon('received', OWN, foreignTarget), OWN).kind, 'rejected');
  });

  test('OTR traffic in a carbon is recognised as such (by the OTR provider, not by carbons.ts)', () => {
    const check = checkCarbon(carbon('sent', OWN, sentInner('?OTR:AAMDxyz.')), OWN) as Extract<ReturnType<typeof checkCarbon>, { kind: 'carbon' }>;
    assert.equal(isOtrTraffic(carbonCopy(check, OWN)!.message), true);
    const query = checkCarbon(carbon('received', OWN, receivedInner('?OTRv23? Bob wants to talk privately')), OWN) as typeof check;
    assert.equal(isOtrTraffic(carbonCopy(query, OWN)!.message), true);
    const mention = checkCarbon(carbon('received', OWN, receivedInner('what does ?OTR mean')), OWN) as typeof check;
    assert.equal(isOtrTraffic(carbonCopy(mention, OWN)!.message), false);
  });

  test('copies without a chat body, and traffic between our own devices, show nothing', () => {
    const state = xml('message', { from: `${OWN}/laptop`, to: 'bob@example.com', type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' }));
    const ownDevices = sentInner('?OTR:AAMC', `${OWN}/phone`);
    const groupchat = xml('message', { from: `${OWN}/laptop`, to: 'room@muc.example.com', type: 'groupchat' }, xml('body', {}, 'x'));
    for (const inner of [state, ownDevices, groupchat]) {
      const check = checkCarbon(carbon('sent', OWN, inner), OWN);
      assert.equal(check.kind, 'carbon');
      assert.equal(carbonCopy(check as Extract<typeof check, { kind: 'carbon' }>, OWN), undefined);
    }
  });

  test('the forwarded delay stamp is the time', () => {
    const inner = sentInner('old');
    const stanza = xml(
      'message',
      { from: OWN },
      xml(
        'sent',
        { xmlns: 'urn:xmpp:carbons:2' },
        xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, xml('delay', { xmlns: 'urn:xmpp:delay', stamp: '2026-01-02T03:04:05Z' }), inner),
      ),
    );
    const check = checkCarbon(stanza, OWN) as Extract<ReturnType<typeof checkCarbon>, { kind: 'carbon' }>;
    assert.equal(carbonCopy(check, OWN)?.stampedAt, Date.parse('2026-01-02T03:04:05Z'));
  });

  test('enable asks for carbons:2', () => {
    assert.equal(enableCarbons().getChild('enable', 'urn:xmpp:carbons:2')?.name, 'enable');
  });
});

describe('receipts', () => {
  test('our messages ask for a receipt only when told to', () => {
    assert.ok(chatMessage('bob@example.com', 'i', 'hi', true).getChild('request', 'urn:xmpp:receipts'));
    assert.equal(chatMessage('bob@example.com', 'i', 'hi').getChild('request', 'urn:xmpp:receipts'), undefined);
    const otr = otrMessage('bob@example.com/x', 'i', '?OTR:AAMD', true);
    assert.ok(otr.getChild('request', 'urn:xmpp:receipts'));
    assert.ok(otr.getChild('no-copy', 'urn:xmpp:hints'), 'the OTR hints stay');
  });

  test('a request needs an id and no error type', () => {
    const request = xml('request', { xmlns: 'urn:xmpp:receipts' });
    assert.equal(wantsReceipt(xml('message', { id: 'a', type: 'chat' }, request)), true);
    assert.equal(wantsReceipt(xml('message', { type: 'chat' }, xml('request', { xmlns: 'urn:xmpp:receipts' }))), false);
    assert.equal(wantsReceipt(xml('message', { id: 'a', type: 'error' }, xml('request', { xmlns: 'urn:xmpp:receipts' }))), false);
    assert.equal(wantsReceipt(xml('message', { id: 'a' }, xml('request', { xmlns: 'urn:other' }))), false);
  });

  test('a receipt names the message it confirms; bad ids are ignored', () => {
    const received = (id: string | undefined, type = 'chat') =>
      xml('message', { type }, xml('received', { xmlns: 'urn:xmpp:receipts', ...(id !== undefined ? { id } : {}) }));
    assert.equal(receiptFor(received('m-1')), 'm-1');
    assert.equal(receiptFor(received(undefined)), undefined);
    assert.equal(receiptFor(received('')), undefined);
    assert.equal(receiptFor(received('x'.repeat(257))), undefined);
    assert.equal(receiptFor(received('m-1', 'error')), undefined);
    const answer = receiptMessage('bob@example.com/phone', 'm-9', 'r-1');
    assert.equal(answer.attrs.to, 'bob@example.com/phone');
    assert.equal(answer.getChild('received', 'urn:xmpp:receipts')?.attrs.id, 'm-9');
    assert.equal(answer.getChild('body'), undefined, 'a receipt has no body');
  });

  test('disco advertises receipts', () => {
    assert.ok(CLIENT_FEATURES.includes('urn:xmpp:receipts'));
    assert.ok(CLIENT_FEATURES.includes('urn:xmpp:eme:0'));
  });
});
