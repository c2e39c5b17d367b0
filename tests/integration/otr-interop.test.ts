/**
 * Our OTR engine against libotr 4.1.1 itself (the C peer in tests/otr-peer):
 * the AKE started either way (query, whitespace tag, error message), many
 * data messages both ways with key rotation and fragmentation, ending from
 * either side, re-AKE, two libotr instances of one peer, and a v2-only peer.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  decodePublicKey,
  dsaSign,
  dsaVerify,
  encodePublicKey,
  fingerprint,
  formatFingerprint,
  generateDsaKey,
  type DsaPrivateKey,
} from '../../electron/core/otr/dsa.js';
import { Reader } from '../../electron/core/otr/wire.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation, type Policy } from '../../electron/core/otr/session.js';
import { startLibotrPeer, type LibotrPeer, type LibotrPolicy } from '../fixtures/libotr-peer.js';
import { Link } from '../fixtures/otr-link.js';

const US = 'alice@klatsch.test';
const THEM = 'bob@klatsch.test';
const FRAGMENT = 1_000;

let ourKey: DsaPrivateKey | undefined;
const key = () => (ourKey ??= generateDsaKey(secureRandom));

const hex = (s: string) => s.replace(/[^0-9a-f]/gi, '').toLowerCase();

async function peer(policy: LibotrPolicy = 'opportunistic'): Promise<LibotrPeer> {
  const p = await startLibotrPeer({ account: THEM, policy, maxFragment: FRAGMENT });
  peers.push(p);
  return p;
}

function conversationOptions(policy: Policy = 'opportunistic') {
  return {
    account: US,
    peer: THEM,
    longTerm: key(),
    ourInstance: 0x1000 + Math.floor(Math.random() * 0xfffff),
    policy,
    maxFragmentSize: FRAGMENT,
    random: secureRandom,
    now: Date.now,
  };
}

function ours(policy: Policy = 'opportunistic'): OtrConversation {
  return new OtrConversation(conversationOptions(policy));
}

/** Both sides private, with the same session id, each knowing the other's fingerprint. */
async function assertPrivate(link: Link, them: LibotrPeer, version: 2 | 3 = 3): Promise<void> {
  const state = await them.state(US);
  assert.equal(state.msgstate, 'encrypted', 'libotr is private');
  assert.equal(link.ours.state, 'encrypted', 'we are private');
  const session = link.ours.privateSession!;
  assert.equal(session.version, version);
  assert.equal(hex(session.ssid), hex(state.ssid), 'same secure session id');
  assert.equal(hex(session.fingerprint), hex(await them.fingerprint()), 'we see libotr’s fingerprint');
  assert.equal(hex(state.fingerprint), hex(formatFingerprint(fingerprint(key()))), 'libotr sees ours');
}

const peers: LibotrPeer[] = [];
after(async () => {
  for (const p of peers) await p.close();
});

const samples = [
  '',
  'x',
  'Grüße aus Köln — 你好 — 🙂👍🏽',
  '<b>bold?</b> &amp; <a href="https://example.com">link</a>',
  'line one\nline two\n\ttabbed',
];

describe('OTR interop with libotr', () => {
  test('we start with a query message; messages both ways with key rotation', async () => {
    const them = await peer();
    const link = new Link(ours(), [them]);
    await link.fromUs(link.ours.startPrivate());
    await assertPrivate(link, them);

    for (let i = 0; i < 200; i++) {
      const text = i < samples.length ? samples[i]! : `message ${i} from us`;
      const out = link.ours.sendText(text);
      assert.ok(out.send.every((s) => s.startsWith('?OTR')), 'nothing goes out in plaintext');
      await link.fromUs(out);
      const back = i < samples.length ? samples[i]! : `message ${i} from libotr`;
      await link.fromPeer(them, await them.send(US, back));
    }
    const theirs = link.shownByThem.get(them)!;
    assert.equal(theirs.length, 200 - 1, 'every non-empty message arrived at libotr (libotr shows no empty message)');
    assert.deepEqual(theirs.slice(0, 4), samples.slice(1));
    assert.equal(theirs.at(-1), 'message 199 from us');
    assert.equal(link.shownByUs.filter((t) => t !== '').length, 199);
    assert.equal(link.shownByUs.at(-1), 'message 199 from libotr');
    assert.deepEqual(link.ourEvents.filter((e) => e.type === 'unreadable'), []);
  });

  test('libotr starts with a query message; a 64 KB message is fragmented both ways', async () => {
    const them = await peer();
    const link = new Link(ours(), [them]);
    await link.fromPeer(them, await them.query(US));
    await assertPrivate(link, them);

    const big = 'Ä'.repeat(32 * 1024) + '🙂'.repeat(1024);
    const out = link.ours.sendText(big);
    assert.ok(out.send.length > 60, `fragmented into ${out.send.length} pieces`);
    assert.ok(out.send.every((s) => s.length <= FRAGMENT));
    await link.fromUs(out);
    assert.equal(link.shownByThem.get(them)!.at(-1), big);

    const net = await them.send(US, big);
    assert.ok(net.length > 60);
    await link.fromPeer(them, net);
    assert.equal(link.shownByUs.at(-1), big);
  });

  test('the AKE starts from whitespace tags, in both directions', async () => {
    // Our tagged plaintext makes libotr start the AKE.
    const them = await peer();
    const link = new Link(ours(), [them]);
    const first = link.ours.sendText('hello, do you speak OTR?');
    assert.match(first.send[0]!, /^hello, do you speak OTR\? \t {2}\t{4} \t \t \t {2}/, 'tagged');
    await link.fromUs(first);
    assert.equal(link.shownByThem.get(them)![0], 'hello, do you speak OTR?', 'libotr strips the tag');
    await assertPrivate(link, them);

    // libotr's tagged plaintext makes us start it.
    const them2 = await peer();
    const link2 = new Link(ours(), [them2]);
    await link2.fromPeer(them2, await them2.send(US, 'hi from libotr'));
    assert.equal(link2.shownByUs[0], 'hi from libotr', 'we strip the tag');
    await assertPrivate(link2, them2);
  });

  test('an OTR error message from libotr starts a new AKE', async () => {
    const them = await peer();
    const link = new Link(ours(), [them]);
    await link.fromUs(link.ours.startPrivate());
    await assertPrivate(link, them);
    const before = link.ourEvents.length;
    // A message damaged on the way cannot be read by libotr, which answers with an OTR error message.
    const [wire] = link.ours.sendText('damaged on the way').send;
    const bytes = Buffer.from(wire!.slice('?OTR:'.length, -1), 'base64');
    bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
    await link.deliver(them, `?OTR:${bytes.toString('base64')}.`);
    const after = link.ourEvents.slice(before);
    assert.ok(after.some((e) => e.type === 'remote-error'), 'the error is shown as a notice');
    assert.ok(after.some((e) => e.type === 'private' && e.refreshed), 'and a new AKE made fresh keys');
    await assertPrivate(link, them);
    await link.fromUs(link.ours.sendText('readable again'));
    assert.equal(link.shownByThem.get(them)!.at(-1), 'readable again');
  });

  test('our OTR error message makes libotr start a new AKE (we lost our keys in a restart)', async () => {
    const them = await peer();
    const before = new Link(ours(), [them]);
    await before.fromUs(before.ours.startPrivate());
    await assertPrivate(before, them);
    // The app restarts: a new conversation object with the same long-term key, no session keys.
    const link = new Link(new OtrConversation({ ...conversationOptions(), ourInstance: before.ours.ourInstance }), [them]);
    await link.fromPeer(them, await them.send(US, 'did you get this?'));
    assert.ok(link.ourEvents.some((e) => e.type === 'unreadable'), 'we could not read it and said so');
    assert.ok(them.events.some((e) => e.includes('OTRL_MSGEVENT_RCVDMSG_GENERAL_ERR')), 'libotr got our error message');
    await assertPrivate(link, them);
  });

  test('either side ends; a new AKE follows', async () => {
    const them = await peer();
    const link = new Link(ours(), [them]);
    await link.fromUs(link.ours.startPrivate());
    await assertPrivate(link, them);

    await link.fromPeer(them, await them.end(US));
    assert.equal(link.ours.state, 'finished', 'libotr ended: we are finished');
    const refused = link.ours.sendText('this must not leak');
    assert.deepEqual(refused.send, [], 'nothing is sent after the peer ended');
    assert.ok(refused.events.some((e) => e.type === 'send-failed'));

    await link.fromUs(link.ours.startPrivate());
    await assertPrivate(link, them);

    await link.fromUs(link.ours.end());
    assert.equal((await them.state(US)).msgstate, 'finished', 'we ended: libotr is finished');
    assert.equal(link.ours.state, 'plaintext');
    await link.fromPeer(them, await them.query(US));
    await assertPrivate(link, them);
  });

  test('two libotr instances of the same peer each get their own session', async () => {
    const first = await peer();
    const second = await peer(); // the same contact on a second device
    assert.notEqual(await first.instanceTag(), await second.instanceTag());
    const link = new Link(ours(), [first, second]);
    await link.fromPeer(first, await first.query(US));
    await link.fromPeer(second, await second.query(US));
    assert.equal((await first.state(US)).msgstate, 'encrypted');
    assert.equal((await second.state(US)).msgstate, 'encrypted');

    await link.fromPeer(first, await first.send(US, 'from the laptop'));
    await link.fromPeer(second, await second.send(US, 'from the phone'));
    assert.deepEqual(link.shownByUs.slice(-2), ['from the laptop', 'from the phone']);
    const privateEvents = link.ourEvents.filter((e) => e.type === 'private');
    assert.equal(new Set(privateEvents.map((e) => (e.type === 'private' ? e.instance : 0))).size, 2, 'two instances');
  });

  test('a peer that allows only version 2', async () => {
    const them = await peer('v2only');
    const link = new Link(ours(), [them]);
    await link.fromUs(link.ours.startPrivate());
    await assertPrivate(link, them, 2);
    for (const text of samples.slice(1)) {
      await link.fromUs(link.ours.sendText(text));
      await link.fromPeer(them, await them.send(US, text));
    }
    assert.deepEqual(link.shownByThem.get(them), samples.slice(1));
    assert.deepEqual(link.shownByUs.slice(-4), samples.slice(1));
  });

  test('under "always" nothing is sent in plaintext: messages wait for the AKE', async () => {
    const them = await peer();
    const link = new Link(ours('always'), [them]);
    const out = link.ours.sendText('secret plans');
    assert.ok(out.send.every((s) => !s.includes('secret plans')), 'the text is held back');
    await link.fromUs(out);
    await assertPrivate(link, them);
    assert.deepEqual(link.shownByThem.get(them), ['secret plans'], 'sent encrypted once private');
  });

  test('signatures: ours verify in libotr, libotr’s verify in ours', async () => {
    const them = await peer();
    for (let i = 0; i < 20; i++) {
      const value = secureRandom(32);
      const ourSignature = dsaSign(key(), value, secureRandom);
      assert.equal(await them.verify(encodePublicKey(key()), value, ourSignature), true, `libotr accepts our signature ${i}`);
      const theirKey = decodePublicKey(new Reader(await them.publicKey()));
      const theirSignature = await them.sign(value);
      assert.equal(dsaVerify(theirKey, value, theirSignature), true, `we accept libotr's signature ${i}`);
      const forged = Uint8Array.from(theirSignature);
      forged[5]! ^= 1;
      assert.equal(dsaVerify(theirKey, value, forged), false);
    }
  });
});
