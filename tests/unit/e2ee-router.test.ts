/**
 * The end-to-end encryption router (electron/core/e2ee/router.ts) with OTR and a test double of the seam
 * (tests/fixtures/double-e2ee.ts): each stanza goes to the scheme that claims it, plaintext to the
 * conversation's scheme, copies are read by their scheme, and the administrator's list of schemes decides
 * the preference — with no scheme named anywhere in the router or the account.
 *
 * Run: npx tsx --test tests/unit/e2ee-router.test.ts
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { E2eeRouter } from '../../electron/core/e2ee/router.js';
import type { E2eeHost, Envelope, IncomingText } from '../../electron/core/e2ee/provider.js';
import { OTR_SCHEME, OtrProvider } from '../../electron/core/e2ee/otr/provider.js';
import { chatMessage } from '../../electron/core/xmpp/stanzas.js';
import { DOUBLE_SCHEME, DoubleProvider, doubleMessage } from '../fixtures/double-e2ee.js';

const BOB = 'bob@example.com';

function setup(allowed?: string[]) {
  const shown: { peer: string; message: IncomingText }[] = [];
  const sent: Envelope[] = [];
  const states: [string, string, string | undefined][] = [];
  const host: E2eeHost = {
    account: 'alice@example.com',
    transmit: async (envelope) => void sent.push(envelope),
    show: (peer, message) => void shown.push({ peer, message }),
    notice: () => undefined,
    messageState: (_peer, id, state, error) => void states.push([id, state, typeof error === 'object' ? error.text : error]),
    privacyChanged: () => undefined,
    isContact: () => true,
    request: async () => {
      throw new Error('no stream');
    },
  };
  let double!: DoubleProvider;
  const router = new E2eeRouter(
    host,
    [
      (h) => (double = new DoubleProvider(h)),
      (h) => new OtrProvider(h, { identities: { identity: () => Promise.reject(new Error('no key in this test')) }, policyFor: () => 'opportunistic' }),
    ],
    allowed ? { allowedSchemes: () => allowed } : {},
  );
  routers.push(router);
  return { router, double, shown, sent, states };
}
const routers: E2eeRouter[] = [];
after(() => routers.forEach((r) => r.close()));

const info = { id: 'm1', stampedAt: undefined };

describe('E2eeRouter', () => {
  test('a stanza goes to the scheme that claims it: the double decrypts its payload, never the fallback body', async () => {
    const { router, double, shown } = setup();
    const stanza = doubleMessage('alice@example.com', 'm1', 'secret words');
    await router.receive(`${BOB}/phone`, info, stanza, stanza.getChildText('body') ?? undefined);
    assert.deepEqual(double.seen, [{ from: `${BOB}/phone`, claimed: true }]);
    assert.deepEqual(shown.map((s) => [s.peer, s.message.text, s.message.encrypted]), [[BOB, 'secret words', true]]);
    assert.equal(router.claimant(stanza)?.scheme, DOUBLE_SCHEME);
    assert.equal(router.claimant(chatMessage('alice@example.com', 'x', '?OTR:AAMD.'))?.scheme, OTR_SCHEME, "OTR's traffic is OTR's");
    assert.equal(router.claimant(chatMessage('alice@example.com', 'x', 'just text')), undefined);
  });

  test("plaintext goes to the conversation's scheme; the preferred one first, the engaged one whatever the preference", async () => {
    const { router, double, shown } = setup();
    await router.receive(`${BOB}/phone`, info, chatMessage('alice@example.com', 'm1', 'plain words'), 'plain words');
    assert.equal(double.seen.length, 1, 'the double is preferred (registered first)');
    assert.equal(shown[0]!.message.encrypted, false);
    assert.equal(router.forPeer(BOB)?.scheme, DOUBLE_SCHEME);

    const otrFirst = setup([OTR_SCHEME, DOUBLE_SCHEME]);
    assert.equal(otrFirst.router.forPeer(BOB)?.scheme, OTR_SCHEME, "the administrator's order decides");
    await otrFirst.router.start(BOB, DOUBLE_SCHEME);
    assert.equal(otrFirst.router.forPeer(BOB)?.scheme, DOUBLE_SCHEME, 'a conversation the scheme is engaged in stays with it');
    assert.equal(otrFirst.router.view(BOB)?.state, 'private');
    assert.equal(otrFirst.router.plaintextChat(BOB), false);
    await otrFirst.router.end(BOB);
    assert.equal(otrFirst.router.forPeer(BOB)?.scheme, OTR_SCHEME);
    assert.equal(otrFirst.router.plaintextChat(BOB), true);

    const otrOnly = setup([OTR_SCHEME]);
    await assert.rejects(otrOnly.router.start(BOB, DOUBLE_SCHEME), /not available/, 'a scheme the policy does not allow is not started');
  });

  test('the user\'s message goes out through the conversation\'s scheme: the bare JID and an element payload for the double', async () => {
    const { router, sent } = setup();
    await router.start(BOB);
    await router.send(BOB, 'out-1', 'to every device');
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.to, BOB);
    assert.equal(sent[0]!.messageId, 'out-1');
    assert.equal(sent[0]!.encryption?.noCopies, false, 'its copies can be read: carbons and archive may keep them');
    assert.ok(sent[0]!.payload?.[0]?.text());
    assert.ok(!JSON.stringify(sent[0]!.body).includes('to every device'), 'the text only in the payload');
  });

  test('a policy that allows no scheme Klatsch has sends nothing, not even in plaintext', async () => {
    const { router, sent, states } = setup(['omemo']);
    assert.equal(router.forPeer(BOB), undefined);
    assert.equal(router.plaintextChat(BOB), false, 'the chat is not a plaintext chat');
    await router.send(BOB, 'out-1', 'must not leave');
    assert.deepEqual(sent, []);
    assert.equal(states[0]?.[1], 'failed');
    assert.match(states[0]![2]!, /administrator/);
    await assert.rejects(router.start(BOB), /not available/);
  });

  test('copies: decrypted by a scheme that can, unreadable for OTR, plaintext without any scheme marker', async () => {
    const { router } = setup();
    const ours = doubleMessage(BOB, 'c1', 'copied');
    assert.deepEqual(await router.readCopy({ peer: BOB, direction: 'out', message: ours }, ours.getChildText('body') ?? undefined), {
      kind: 'decrypted',
      scheme: DOUBLE_SCHEME,
      text: 'copied',
    });
    const otr = chatMessage(BOB, 'c2', '?OTR:AAMDAAAAAQ.');
    assert.deepEqual(await router.readCopy({ peer: BOB, direction: 'out', message: otr }, '?OTR:AAMDAAAAAQ.'), { kind: 'unreadable', scheme: OTR_SCHEME });
    const tagged = 'hi\x20\x09\x20\x20\x09\x09\x09\x09\x20\x09\x20\x09\x20\x09\x20\x20\x20\x20\x09\x09\x20\x20\x09\x20';
    assert.deepEqual(await router.readCopy({ peer: BOB, direction: 'in', message: xml('message', {}, xml('body', {}, tagged)) }, tagged), {
      kind: 'plaintext',
      text: 'hi',
    });
  });
  test("a chat set to a scheme the contact has no devices for says so (not plaintext): it cannot send", async () => {
    let double!: DoubleProvider;
    const router = new E2eeRouter(
      { account: 'alice@example.com', transmit: async () => undefined, show: () => undefined, notice: () => undefined, messageState: () => undefined, privacyChanged: () => undefined, isContact: () => true, request: async () => { throw new Error('no stream'); } },
      [
        (h) => {
          double = new DoubleProvider(h);
          // Like OMEMO for a contact who announced no devices: it does not offer.
          Object.assign(double, { offers: (peer: string) => double.engaged(peer) });
          return double;
        },
        (h) => new OtrProvider(h, { identities: { identity: () => Promise.reject(new Error('no key in this test')) }, policyFor: () => 'opportunistic' }),
      ],
      { override: () => DOUBLE_SCHEME },
    );
    routers.push(router);
    assert.equal(router.forPeer(BOB)?.scheme, DOUBLE_SCHEME, "the user's override decides");
    assert.deepEqual(router.view(BOB), { scheme: DOUBLE_SCHEME, state: 'plaintext', verified: false, unavailable: 'no-devices' });
    await router.start(BOB, DOUBLE_SCHEME);
    assert.equal(router.view(BOB)?.unavailable, undefined, 'once it runs, it is what it is');
  });
  test('a policy that no longer allows a scheme ends its running sessions (the peer told) and each chat says so', async () => {
    const notices: [string, string | undefined][] = [];
    let allowed: string[] = [DOUBLE_SCHEME, OTR_SCHEME];
    let double!: DoubleProvider;
    const router = new E2eeRouter(
      { account: 'alice@example.com', transmit: async () => undefined, show: () => undefined, notice: (peer, _text, info) => void notices.push([peer, info?.kind]), messageState: () => undefined, privacyChanged: () => undefined, isContact: () => true, request: async () => { throw new Error('no stream'); } },
      [
        (h) => {
          double = new DoubleProvider(h);
          // A scheme with sessions of its own, like OTR.
          Object.assign(double, { inSession: (peer: string) => double.engaged(peer), peersInSession: () => [BOB].filter((peer) => double.engaged(peer)) });
          return double;
        },
        (h) => new OtrProvider(h, { identities: { identity: () => Promise.reject(new Error('no key in this test')) }, policyFor: () => 'opportunistic' }),
      ],
      { allowedSchemes: () => allowed },
    );
    routers.push(router);
    await router.start(BOB, DOUBLE_SCHEME);
    assert.equal(router.view(BOB)?.state, 'private');
    allowed = [OTR_SCHEME];
    await router.policyChanged();
    assert.equal(double.engaged(BOB), false, 'the session was ended');
    assert.deepEqual(notices, [[BOB, 'ended-scheme-not-allowed']]);
    assert.equal(router.forPeer(BOB)?.scheme, OTR_SCHEME);
  });
});
