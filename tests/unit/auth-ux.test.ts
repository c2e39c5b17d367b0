/**
 * Authenticating a contact, as the user meets it: the contact's request is announced like a message
 * (desktop notification, never its question), no protocol term ("SMP message 2", "AKE", "instance
 * tag") reaches any text the user sees (catalogs, the core's notices and "not sent" reasons; the
 * engine's words go to a debug field), and the banner never contradicts the header about trust.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage, Contact, NoticeKind, Privacy, SmpView } from '../../shared/contract.js';
import { notificationFor, type IncomingMessage } from '../../electron/core/desktop/notifications.js';
import { generateDsaKey, fingerprint, formatFingerprint } from '../../electron/core/otr/dsa.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import type { OtrEvent } from '../../electron/core/otr/session.js';
import { PrivateChats, type OtrIdentity } from '../../electron/core/e2ee/otr/private-chats.js';
import { handleEvents, type EventTarget } from '../../electron/core/e2ee/otr/otr-notices.js';
import type { PeerState } from '../../electron/core/e2ee/otr/private-chats-types.js';
import { catalogFor, languages, type Catalog } from '../../shared/i18n/catalog.js';
import { noticeText } from '../../renderer/i18n/notices.js';
import { smpResultText } from '../../renderer/i18n/smpTexts.js';
import { contactTrust } from '../../renderer/store/contactTrust.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';

/** Words of the protocol that mean nothing to an office worker, in any of our languages. */
const PROTOCOL_TERMS = /\bSMP\b|\bAKE\b|instance[ -]?tag|Instanz-?Tag|\bTLV\b|\bDH\b|Socialist|\?OTR|message [1-4]\b/i;
/** Raw engine and peer-app texts fed in below; none of their words may come out. */
const RAW = {
  smp: 'unexpected SMP message 2; SMP aborted',
  peer: 'Error setting up private conversation: Malformed AKE message (instance tag 0x00000100)',
  encrypt: 'no keys for instance tag 0x00000100 after the AKE',
};

// ---- 1. The request is announced ----

describe('an authentication request is announced like a message', () => {
  const en = catalogFor('en').shell;
  const chat = { accountId: 'acc-1', peer: BOB };
  const request = (kind: NoticeKind, detail?: string): IncomingMessage => ({
    chat,
    senderName: 'Bob',
    source: 'live',
    ownShow: 'online',
    message: {
      id: 'n-1',
      peer: BOB,
      direction: 'notice',
      body: `${BOB} wants to authenticate you and asks: “${detail}”`,
      timestamp: 1,
      state: 'received',
      encrypted: true,
      notice: { kind, ...(detail !== undefined ? { detail } : {}) },
    },
  });
  const otherChatOpen = { focused: true, openChat: { accountId: 'acc-1', peer: ALICE } };
  const all = { notifications: 'sender-and-text' as const, sound: true };

  test('while another chat is open: a notification that says who, never the question', () => {
    const shown = notificationFor(request('smp-question', 'Where did we eat on Friday?'), otherChatOpen, all, en);
    assert.deepEqual(shown, { title: 'Klatsch', body: 'Bob wants to authenticate you', showsText: false, silent: false, chat });
    assert.deepEqual(notificationFor(request('smp-secret'), otherChatOpen, all, catalogFor('de').shell)?.body, 'Bob möchte Sie authentifizieren');
  });

  test('not while that chat is on screen, nor with notifications off or in "do not disturb"', () => {
    assert.equal(notificationFor(request('smp-question', 'Q?'), { focused: true, openChat: chat }, all, en), null);
    assert.equal(notificationFor(request('smp-question', 'Q?'), otherChatOpen, { ...all, notifications: 'off' }, en), null);
    assert.equal(notificationFor({ ...request('smp-secret'), ownShow: 'dnd' }, otherChatOpen, all, en), null);
  });

  test('other notices stay quiet', () => {
    for (const kind of ['smp-failed', 'private-started-unverified', 'smp-error'] as const) {
      assert.equal(notificationFor(request(kind), otherChatOpen, all, en), null, kind);
    }
  });
});

// ---- 2. No protocol terms ----

type Node = string | ((...args: string[]) => string) | { [key: string]: Node };

/**
 * Every text of a catalog, functions called with plain words; a notice's detail with the engine's raw
 * words (history written before notices stopped carrying them still has them there).
 */
function texts(node: Node, key = ''): [string, string][] {
  if (typeof node === 'string') return [[key, node]];
  if (typeof node === 'function') {
    const notice = key.startsWith('notices.');
    const args = Array.from({ length: node.length }, (_, i) => (i === 0 ? 'Bob' : notice ? RAW.smp : '2'));
    return [[key, node(...args)]];
  }
  return Object.entries(node).flatMap(([k, v]) => texts(v, key ? `${key}.${k}` : k));
}

/** The texts that may quote something the contact typed (a question, a room nickname) or a fingerprint: not protocol words of ours. */
const quotesTheUser = new Set([
  'notices.smp-question',
  'notices.key-accepted',
  'notices.verified-by-fingerprint',
  'notices.unverified-by-fingerprint',
  'notices.key-forgotten',
  // A room message we could not show: the detail is the sender's nickname or address in that room.
  'notices.room-message-sender-unknown',
  'notices.room-message-held',
  'notices.room-message-not-for-us',
  'notices.room-message-undecryptable',
  'notices.room-device-held',
]);

describe('no protocol terms reach the user', () => {
  for (const language of languages) {
    test(`the ${language} catalog: every text, including notices given the engine's raw words`, () => {
      const found = texts(catalogFor(language) as unknown as Node).filter(([key, text]) => !quotesTheUser.has(key) && PROTOCOL_TERMS.test(text));
      assert.deepEqual(found, []);
    });
  }

  test('the core: notices for engine errors, peer errors and failed sends say what happened in plain words; the raw text is only in debug', async () => {
    const written: { text: string; kind?: string; detail?: string; debug?: string }[] = [];
    const reasons: string[] = [];
    const key = generateDsaKey();
    const identity: OtrIdentity = { key, instanceTag: 0x1111, fingerprint: formatFingerprint(fingerprint(key)) };
    const chats = new PrivateChats({
      account: ALICE,
      identities: { identity: async () => identity },
      policyFor: () => 'opportunistic',
      transmit: async () => undefined,
      show: () => undefined,
      notice: (_peer, text, notice) => written.push({ text, ...notice }),
      messageState: (_peer, _id, state, error) => {
        if (state === 'failed' && error) reasons.push(typeof error === 'object' ? error.text : error);
      },
      privacyChanged: () => undefined,
      random: deterministicRandom('terms'),
      now: () => 1_000,
    });
    await chats.start(BOB);
    // Every event the engine reports with words of its own or of the peer's app, as the engine gives them.
    const state = (chats as unknown as { settled: Map<string, { held: { id: string }[] }> }).settled.get(BOB)!;
    state.held.push({ id: 'm-1' });
    const events: OtrEvent[] = [
      { type: 'smp-request', question: 'Where did we eat?', instance: 0x100, request: 1 },
      { type: 'smp-error', message: RAW.smp, instance: 0x100 },
      { type: 'remote-error', message: RAW.peer },
      { type: 'unreadable', reason: RAW.encrypt, instance: 0x100 },
      { type: 'error', message: RAW.peer },
      { type: 'ignored', reason: RAW.peer },
      { type: 'smp-result', success: false, weVerifiedThem: false, fingerprint: identity.fingerprint, instance: 0x100 },
      { type: 'send-failed', id: 'm-1', text: 'hi', reason: 'it could not be encrypted, so it was not sent at all', debug: RAW.encrypt },
    ];
    handleEvents(chats as unknown as EventTarget, BOB, state as PeerState, events);

    assert.ok(written.some((n) => n.kind === 'smp-error') && written.some((n) => n.kind === 'peer-error'), JSON.stringify(written));
    for (const n of written) {
      assert.doesNotMatch(n.text, PROTOCOL_TERMS, `core body of ${n.kind}`);
      if (n.kind !== 'smp-question') assert.doesNotMatch(n.detail ?? '', PROTOCOL_TERMS, `detail of ${n.kind}`);
      for (const language of languages) {
        const said = noticeText(catalogFor(language), { body: n.text, notice: { kind: n.kind!, ...(n.detail !== undefined ? { detail: n.detail } : {}) } }, 'Bob');
        assert.doesNotMatch(said, PROTOCOL_TERMS, `${language} text of ${n.kind}`);
      }
    }
    // Kept for a bug report, out of sight.
    assert.equal(written.find((n) => n.kind === 'smp-error')?.debug, RAW.smp);
    assert.equal(written.find((n) => n.kind === 'peer-error')?.debug, RAW.peer);
    assert.deepEqual(reasons.length, 1);
    for (const reason of reasons) assert.doesNotMatch(reason, PROTOCOL_TERMS);
    assert.equal(chats.details(BOB).smp?.phase, 'failed');
  });

  test("the engine's encryption failure: the message is not sent, and the reason is plain", async () => {
    const reasons: string[] = [];
    const sides = await privatePair((error) => reasons.push(error));
    const conversation = (sides.alice as unknown as { settled: Map<string, { conversation: { sendData: () => never } }> }).settled.get(BOB)!.conversation;
    conversation.sendData = () => {
      throw new Error(RAW.encrypt);
    };
    await sides.alice.send(BOB, 'm-2', 'The merger closes on Friday');
    assert.equal(reasons.length, 1, 'the message failed');
    assert.doesNotMatch(reasons[0]!, PROTOCOL_TERMS);
    assert.doesNotMatch(reasons[0]!, /no keys/);
  });
});

/** Two PrivateChats in a private conversation with each other, in memory; Alice's failed messages reported to `failed`. */
async function privatePair(failed: (error: string) => void): Promise<{ alice: PrivateChats; bob: PrivateChats }> {
  const sides = {} as { alice: PrivateChats; bob: PrivateChats };
  let privateCount = 0;
  let ready!: () => void;
  const bothPrivate = new Promise<void>((resolve) => (ready = resolve));
  const make = (jid: string, tag: number, other: () => PrivateChats, seed: string) => {
    const key = generateDsaKey();
    return new PrivateChats({
      account: jid,
      identities: { identity: async () => ({ key, instanceTag: tag, fingerprint: formatFingerprint(fingerprint(key)) }) },
      policyFor: () => 'opportunistic',
      transmit: async (_to, body) => {
        setImmediate(() => void other().receive(`${jid}/laptop`, { id: undefined, stampedAt: undefined }, body));
      },
      show: () => undefined,
      notice: (_peer, _text, notice) => {
        if (notice?.kind === 'private-started-unverified' && ++privateCount === 2) ready();
      },
      messageState: (_peer, _id, state, error) => {
        if (jid === ALICE && state === 'failed') failed(typeof error === 'object' ? error.text : (error ?? ''));
      },
      privacyChanged: () => undefined,
      random: deterministicRandom(seed),
      now: () => 1_000,
    });
  };
  sides.alice = make(ALICE, 0x1111, () => sides.bob, 'alice');
  sides.bob = make(BOB, 0x2222, () => sides.alice, 'bob');
  await sides.alice.start(BOB);
  await bothPrivate;
  return sides;
}

// ---- 3. Banner and header agree ----

/** What the header and the banner say about whether the contact is verified, by language. */
const claims: Record<string, { verified: RegExp; notVerified: RegExp }> = {
  en: { verified: /Bob is verified|already verified Bob/, notVerified: /Bob is not verified|not verified Bob/ },
  de: { verified: /Bob ist verifiziert|Bob bereits verifiziert/, notVerified: /Bob ist nicht verifiziert|Bob noch nicht verifiziert/ },
};

const smpStates: SmpView[] = [
  { phase: 'succeeded', weStarted: true, question: 'Q?', weVerifiedThem: true },
  { phase: 'succeeded', weStarted: false, question: 'Q?', weVerifiedThem: false },
  { phase: 'succeeded', weStarted: false, weVerifiedThem: true },
  { phase: 'failed', weStarted: true, question: 'Q?' },
  { phase: 'failed', weStarted: false, question: 'Q?' },
  { phase: 'failed', weStarted: false },
  { phase: 'aborted', byPeer: true },
  { phase: 'error' },
];

describe("the authentication banner never contradicts the header's trust", () => {
  for (const language of languages) {
    const t: Catalog = catalogFor(language);
    for (const privacy of ['private', 'private-verified'] as Privacy[]) {
      test(`${language}, header ${privacy}: every result says the same as the header`, () => {
        for (const smp of smpStates) {
          const trust = contactTrust({ e2ee: { scheme: 'otr', state: 'private', verified: privacy === 'private-verified', auth: smp } } as Pick<Contact, 'e2ee'>);
          const banner = smpResultText(t.auth, trust, 'Bob');
          if (!trust.smp) continue; // an old "verified" beside a header that says otherwise is not shown
          assert.ok(banner, `${JSON.stringify(smp)} has words`);
          const said = `${banner.title ?? ''} ${banner.body}`;
          const contradiction = trust.verified ? claims[language]!.notVerified : claims[language]!.verified;
          assert.doesNotMatch(said, contradiction, `${language} ${privacy} ${JSON.stringify(smp)}: “${said}”`);
        }
      });
    }
    test(`${language}: the chat log's authentication notices say what happened, not whether the contact is verified now`, () => {
      for (const kind of ['smp-verified-by-them', 'smp-failed', 'smp-error', 'smp-cancelled-by-peer'] as const) {
        const message: Pick<ChatMessage, 'body' | 'notice'> = { body: '', notice: { kind } };
        const said = noticeText(t, message, 'Bob');
        assert.doesNotMatch(said, claims[language]!.notVerified, `${kind}: “${said}”`);
      }
    });
  }

  test('after a failure, the side that asked is offered Try again; the side that answered is told the contact may ask again', () => {
    const en = catalogFor('en').auth;
    const asker = smpResultText(en, contactTrust({ e2ee: { scheme: 'otr', state: 'private', verified: false, auth: { phase: 'failed', weStarted: true, question: 'Q?' } } }), 'Bob');
    const answerer = smpResultText(en, contactTrust({ e2ee: { scheme: 'otr', state: 'private', verified: false, auth: { phase: 'failed', weStarted: false, question: 'Q?' } } }), 'Bob');
    assert.match(asker!.body, /capital letters count/);
    assert.match(answerer!.body, /Bob may ask you again/);
    assert.match(answerer!.body, /capital letters count/);
  });
});
