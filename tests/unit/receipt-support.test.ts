// Whether a contact's app confirms messages, from its capabilities (receipts/receipt-support.ts): the delivery keeps
// a private message for a receipt unless the app is known to confirm nothing.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { ReceiptSupport } from '../../electron/core/receipts/receipt-support.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';

const CAPS = 'http://jabber.org/protocol/caps';
const DISCO = 'http://jabber.org/protocol/disco#info';

function setup(features: Record<string, string[] | 'no-answer'>) {
  const asked: Element[] = [];
  const pending: (() => void)[] = [];
  const session = {
    resumed: false,
    iq: {
      request: (iq: Element) => {
        asked.push(iq);
        const node = iq.getChild('query', DISCO)?.attrs.node as string;
        const answer = features[node];
        if (answer === undefined || answer === 'no-answer') return Promise.reject(new Error('timeout'));
        return new Promise<Element>((resolve) => pending.push(() => resolve(xml('query', { xmlns: DISCO }, ...answer.map((f) => xml('feature', { var: f }))))));
      },
    },
  } as unknown as XmppSession;
  let current: XmppSession = session;
  const confirmedOnce = new Set<string>();
  const support = new ReceiptSupport({ session: () => current, ownBare: () => 'me@x.test', isContact: (p) => p !== 'stranger@x.test', confirmedOnce: (p) => confirmedOnce.has(p) });
  const answerAll = async () => {
    for (const p of pending.splice(0)) p();
    await new Promise((r) => setImmediate(r));
  };
  return { support, asked, answerAll, confirmedOnce, newStream: (resumed: boolean) => (current = { ...session, resumed } as unknown as XmppSession) };
}

const presence = (from: string, caps?: string, type?: string) =>
  xml('presence', { from, ...(type ? { type } : {}) }, caps ? xml('c', { xmlns: CAPS, hash: 'sha-1', node: 'https://app.test', ver: caps }) : undefined);

describe('whether a contact app confirms messages', () => {
  test('unknown until its capabilities are answered; then what they say', async () => {
    const { support, asked, answerAll } = setup({ 'https://app.test#K': ['urn:xmpp:receipts'], 'https://app.test#P': ['http://jabber.org/protocol/disco#info'] });
    assert.equal(support.confirms('alice@x.test'), undefined, 'no presence yet: unknown');
    support.onPresence(presence('alice@x.test/klatsch', 'K'));
    support.onPresence(presence('carol@x.test/pidgin', 'P'));
    assert.equal(asked[0]?.attrs.to, 'alice@x.test/klatsch');
    assert.equal(support.confirms('alice@x.test'), undefined, 'still asking: unknown');
    await answerAll();
    assert.equal(support.confirms('alice@x.test'), true);
    assert.equal(support.confirms('carol@x.test'), false, 'no urn:xmpp:receipts: confirms nothing');
    support.onPresence(presence('alice@x.test/klatsch', 'K'));
    assert.equal(asked.length, 2, 'the same capabilities again: not asked again');
    support.onPresence(presence('alice@x.test/klatsch', undefined, 'unavailable'));
    assert.equal(support.confirms('alice@x.test'), undefined, 'gone offline: unknown again');
  });

  test('no capabilities or no answer: confirms nothing, unless a receipt came once; any confirming resource wins', async () => {
    const { support, answerAll, confirmedOnce } = setup({ 'https://app.test#K': ['urn:xmpp:receipts'], 'https://app.test#Q': 'no-answer' });
    support.onPresence(presence('carol@x.test/bot'));
    support.onPresence(presence('dave@x.test/quiet', 'Q'));
    await answerAll();
    assert.equal(support.confirms('carol@x.test'), false);
    assert.equal(support.confirms('dave@x.test'), false);
    confirmedOnce.add('carol@x.test');
    assert.equal(support.confirms('carol@x.test'), true, 'a receipt came from it once');
    support.onPresence(presence('dave@x.test/klatsch', 'K'));
    await answerAll();
    assert.equal(support.confirms('dave@x.test'), true);
  });

  test('strangers and our own devices are not asked; a new stream forgets, a resumed one does not', async () => {
    const { support, asked, answerAll, newStream } = setup({ 'https://app.test#K': ['urn:xmpp:receipts'] });
    support.onPresence(presence('stranger@x.test/a', 'K'));
    support.onPresence(presence('me@x.test/other', 'K'));
    assert.equal(asked.length, 0);
    support.onPresence(presence('alice@x.test/klatsch', 'K'));
    await answerAll();
    newStream(true);
    assert.equal(support.confirms('alice@x.test'), true, 'resumed: the same presence');
    newStream(false);
    assert.equal(support.confirms('alice@x.test'), undefined, 'a new stream: presence comes again');
  });
});
