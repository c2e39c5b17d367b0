/**
 * A contact's OMEMO device lists while a fetch of them is on its way (the provider's own bookkeeping; the
 * server side is in tests/integration). Two ways the chat used to look device-less for a moment — and a
 * message written in that moment went to another scheme, under the default policy in plaintext:
 * - a fetch answered "no such list" (sent before the contact published) was processed after the contact's
 *   notification of the list, and overwrote it;
 * - asking again (the user starts the chat, a scanned URI names an unknown device) first forgot the lists.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { OmemoProvider } from '../../electron/core/e2ee/omemo/provider.js';
import { MemoryOmemoStore } from '../../electron/core/e2ee/omemo/omemo-store.js';
import type { E2eeHost } from '../../electron/core/e2ee/provider.js';
import { buildDeviceList } from '../../electron/core/omemo/xmpp/device-list.js';
import { DEVICE_LIST_NODE, NS_PUBSUB_EVENT, type OmemoVersion } from '../../electron/core/omemo/xmpp/common.js';

const BOB = 'bob@example.test';

/** A provider whose IQs wait until the test answers them. */
function providerWithHeldRequests() {
  const pending: { iq: Element; answer: (reply: Element) => void }[] = [];
  const host: E2eeHost = {
    account: 'alice@example.test/desk',
    transmit: async () => undefined,
    show: () => undefined,
    notice: () => undefined,
    messageState: () => undefined,
    privacyChanged: () => undefined,
    isContact: () => true,
    request: (iq) => new Promise<Element>((resolve) => pending.push({ iq, answer: resolve })),
  };
  const provider = new OmemoProvider(host, { store: new MemoryOmemoStore(), request: (iq, ms) => host.request(iq, ms) });
  /** Answers every IQ asked so far with "no such list" (the contact had not published yet). */
  const answerNone = () => {
    for (const { iq, answer } of pending.splice(0)) {
      answer(xml('iq', { type: 'error', id: iq.attrs.id, from: BOB }, xml('error', { type: 'cancel' }, xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }))));
    }
  };
  const answerLists = (ids: number[]) => {
    for (const { iq, answer } of pending.splice(0)) {
      const node = iq.getChild('pubsub')!.getChild('items')!.attrs.node as string;
      const version = (Object.keys(DEVICE_LIST_NODE) as OmemoVersion[]).find((v) => DEVICE_LIST_NODE[v] === node)!;
      const items = xml('items', { node }, xml('item', { id: 'current' }, buildDeviceList(version, ids.map((id) => ({ id })))));
      answer(xml('iq', { type: 'result', id: iq.attrs.id, from: BOB }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, items)));
    }
  };
  return { provider, pending, answerNone, answerLists };
}

function notification(version: OmemoVersion, ids: number[]): Element {
  const node = DEVICE_LIST_NODE[version];
  return xml('message', { from: BOB }, xml('event', { xmlns: NS_PUBSUB_EVENT }, xml('items', { node }, xml('item', { id: 'current' }, buildDeviceList(version, ids.map((id) => ({ id })))))));
}

const turns = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('OMEMO device lists while a fetch is on its way', () => {
  test('a fetch answered "none" after the contact’s notification does not undo it', async () => {
    const { provider, pending, answerNone } = providerWithHeldRequests();
    await provider.ready;
    const asked = provider.start(BOB);
    await turns();
    assert.equal(pending.length, 2, 'both versions asked for');
    assert.equal(provider.pubsubEvent(notification('twomemo', [4242])), true);
    await turns();
    assert.equal(provider.engaged(BOB), true, 'the notification names a device');
    answerNone();
    await asked;
    assert.equal(provider.engaged(BOB), true, 'still: the answer was older than the notification');
    assert.equal(provider.view(BOB)?.state, 'private');
  });

  test('asking again keeps what is known until the answer comes', async () => {
    const { provider, pending, answerLists } = providerWithHeldRequests();
    await provider.ready;
    assert.equal(provider.pubsubEvent(notification('oldmemo', [7])), true);
    await turns();
    assert.equal(provider.engaged(BOB), true);
    const asked = provider.start(BOB);
    await turns();
    assert.equal(pending.length, 2);
    assert.equal(provider.engaged(BOB), true, 'the chat does not look device-less while the fetch runs');
    answerLists([7, 8]);
    await asked;
    assert.deepEqual([...new Set(provider.view(BOB)?.devices?.map((d) => d.id))].sort(), ['7', '8'], 'the answer is taken');
  });
});
