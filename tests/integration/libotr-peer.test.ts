// Checks the libotr test peer itself (tests/otr-peer + tests/fixtures/libotr-peer.ts): two real
// libotr peers talk through the wrapper, with a relay that hands whatever one puts on the wire to
// the other until both are quiet. Our own OTR engine is not involved.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  normalizeFingerprint,
  startLibotrPeer,
  type LibotrPeer,
  type LibotrPeerOptions,
} from '../fixtures/libotr-peer.js';

const peers: LibotrPeer[] = [];
const dirs: string[] = [];

async function peer(opts: LibotrPeerOptions): Promise<LibotrPeer> {
  const p = await startLibotrPeer(opts);
  peers.push(p);
  return p;
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'klatsch-otr-test-'));
  dirs.push(d);
  return d;
}

after(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

interface Wire {
  /** Messages each side displayed during the relay, by account. */
  displayed: Map<string, string[]>;
  /** Every network message that crossed, in order. */
  traffic: { from: string; msg: string }[];
}

/** Delivers `messages` from `a` to `b`, then every reply either way, until nobody sends anything. */
async function relay(a: LibotrPeer, b: LibotrPeer, messages: string[]): Promise<Wire> {
  const wire: Wire = { displayed: new Map([[a.account, []], [b.account, []]]), traffic: [] };
  const queue = messages.map((msg) => ({ from: a, to: b, msg }));
  for (let steps = 0; queue.length > 0; steps++) {
    assert.ok(steps < 10_000, 'relay does not settle');
    const { from, to, msg } = queue.shift()!;
    wire.traffic.push({ from: from.account, msg });
    const r = await to.receive(from.account, msg);
    wire.displayed.get(to.account)!.push(...r.display);
    for (const reply of r.net) queue.push({ from: to, to: from, msg: reply });
  }
  return wire;
}

async function goSecure(a: LibotrPeer, b: LibotrPeer): Promise<void> {
  await relay(a, b, await a.query(b.account));
  assert.equal((await a.state(b.account)).msgstate, 'encrypted');
  assert.equal((await b.state(a.account)).msgstate, 'encrypted');
}

describe('libotr peer ↔ libotr peer', () => {
  let alice: LibotrPeer;
  let bob: LibotrPeer;

  before(async () => {
    alice = await peer({ account: 'alice@klatsch.test' });
    bob = await peer({ account: 'bob@klatsch.test' });
  });

  test('a query message starts the AKE; both sides end up encrypted with the same session id', async () => {
    const q = await alice.query(bob.account);
    assert.equal(q.length, 1);
    assert.match(q[0]!, /^\?OTRv23\?/);
    const wire = await relay(alice, bob, q);
    // DH-Commit, DH-Key, Reveal-Signature, Signature: v3 messages (header 0x0003 = "AAM").
    assert.deepEqual(
      wire.traffic.slice(1).map((t) => t.msg.slice(0, 8)),
      ['?OTR:AAM', '?OTR:AAM', '?OTR:AAM', '?OTR:AAM'],
    );
    assert.deepEqual(wire.displayed.get(bob.account), []);

    const sa = await alice.state(bob.account);
    const sb = await bob.state(alice.account);
    assert.equal(sa.msgstate, 'encrypted');
    assert.equal(sb.msgstate, 'encrypted');
    assert.equal(sa.protocolVersion, 3);
    assert.match(sa.ssid, /^[0-9a-f]{16}$/);
    assert.equal(sa.ssid, sb.ssid);
    assert.notEqual(sa.ssidBoldHalf, sb.ssidBoldHalf);
    assert.equal(sa.fingerprint, normalizeFingerprint(await bob.fingerprint()));
    assert.equal(sb.fingerprint, normalizeFingerprint(await alice.fingerprint()));
    assert.equal(sa.theirInstanceTag, await bob.instanceTag());
    assert.equal(sb.theirInstanceTag, await alice.instanceTag());
    assert.ok(alice.events.some((e) => e.startsWith(`gone_secure ${bob.account} version=3`)), alice.events.join('\n'));
    assert.ok(bob.events.some((e) => e.startsWith(`gone_secure ${alice.account} version=3`)), bob.events.join('\n'));
    assert.ok(alice.events.some((e) => e.startsWith(`new_fingerprint ${bob.account} fp=${sa.fingerprint}`)));
  });

  test('20 messages each way arrive intact: empty, UTF-8/emoji, HTML, 64 KB fragmented at 1000', async () => {
    await alice.setMaxFragment(1000);
    await bob.setMaxFragment(1000);
    const big = Array.from({ length: 64 * 1024 }, (_, i) => 'abcdefghijklmnopqrstuvwxyz0123456789 äß€😀'[i % 42]).join('');
    const texts = [
      '',
      'hello',
      'Grüße aus Köln – 😀🎉👍🏽 漢字 עברית',
      '<b>bold</b> &amp; <a href="https://example.test/?a=1&b=2">link</a> <script>x</script>',
      big,
      ' leading and trailing spaces ',
      'line one\nline two\r\nline three',
      '?OTR? inside a private message',
      'tab\tseparated',
      '🏳️‍🌈 ZWJ sequence',
    ];
    while (texts.length < 20) texts.push(`message #${texts.length} ${'x'.repeat(texts.length * 37)}`);

    for (const [from, to] of [
      [alice, bob],
      [bob, alice],
    ] as const) {
      for (const text of texts) {
        const net = await from.send(to.account, text);
        assert.ok(net.length >= 1);
        if (text.includes('?OTR?')) {
          // libotr quirk: any text containing "?OTR?" counts as a query message, even in an
          // encrypted session: it is replaced by the default query and not encrypted, and the
          // other side answers with a fresh AKE.
          assert.match(net[0]!, /^\?OTRv23\?\n/);
          const wire = await relay(from, to, net);
          assert.deepEqual(wire.displayed.get(to.account), []);
          assert.equal((await to.state(from.account)).msgstate, 'encrypted');
          continue;
        }
        for (const m of net) assert.ok(m.length <= 1000, `fragment of ${m.length} chars`);
        if (text === big) {
          assert.ok(net.length > 60, `64 KB in ${net.length} fragments`);
          for (const m of net) assert.match(m, /^\?OTR\|[0-9a-f]{8}\|[0-9a-f]{8},\d{5},\d{5},/);
        } else if (net.length === 1) {
          assert.match(net[0]!, /^\?OTR:AAMD/); // v3 data message
        }
        const seen = to.events.length;
        const wire = await relay(from, to, net);
        if (text === '') {
          // libotr quirk: an encrypted message with an empty text is a heartbeat; it is never displayed.
          assert.deepEqual(wire.displayed.get(to.account), []);
          assert.ok(
            to.events.slice(seen).some((e) => e === `msg_event ${from.account} OTRL_MSGEVENT_LOG_HEARTBEAT_RCVD`),
            to.events.slice(seen).join('\n'),
          );
          continue;
        }
        assert.deepEqual(wire.displayed.get(to.account), [text], `"${text.slice(0, 40)}" from ${from.account}`);
        assert.deepEqual(wire.displayed.get(from.account), []);
      }
    }
    await alice.setMaxFragment(0);
    await bob.setMaxFragment(0);
    assert.equal((await alice.state(bob.account)).msgstate, 'encrypted');
  });

  test('SMP with the same secret succeeds on both sides', async () => {
    const start = await alice.smpStart(bob.account, 'our secret', 'What is our secret?');
    const w1 = await relay(alice, bob, start);
    assert.deepEqual(w1.displayed.get(bob.account), []);
    const ask = bob.events.find((e) => e.startsWith(`smp ${alice.account} OTRL_SMPEVENT_ASK_FOR_ANSWER`));
    assert.ok(ask, bob.events.join('\n'));
    assert.equal(
      Buffer.from(/question=(\S+)/.exec(ask)![1]!, 'base64').toString('utf8'),
      'What is our secret?',
    );
    await relay(bob, alice, await bob.smpRespond(alice.account, 'our secret'));
    assert.ok(alice.events.some((e) => e.startsWith(`smp ${bob.account} OTRL_SMPEVENT_SUCCESS progress=100`)));
    assert.ok(bob.events.some((e) => e.startsWith(`smp ${alice.account} OTRL_SMPEVENT_SUCCESS progress=100`)));
  });

  test('garbage input is reported, not fatal', async () => {
    await assert.rejects(alice.command('no-such-command'), /unknown command/);
    await assert.rejects(alice.command('recv bob@klatsch.test !!notbase64!!'), /invalid base64/);
    await assert.rejects(alice.command('send'), /usage: send/);
    await assert.rejects(alice.command(`sign ${'zz'.repeat(32)}`), /hex/);
    // A broken data message from bob: libotr complains and answers with an OTR error message.
    const r = await alice.receive(bob.account, '?OTR:AAMDgarbage.');
    assert.deepEqual(r.display, []);
    assert.ok(r.events.some((e) => e.startsWith(`msg_event ${bob.account} OTRL_MSGEVENT_RCVDMSG_`)), r.events.join('\n'));
    assert.equal((await alice.state(bob.account)).msgstate, 'encrypted');
  });

  test('end: the other side becomes finished and refuses to send', async () => {
    const bye = await alice.end(bob.account);
    assert.equal(bye.length, 1);
    assert.match(bye[0]!, /^\?OTR:AAMD/);
    await relay(alice, bob, bye);
    assert.equal((await alice.state(bob.account)).msgstate, 'plaintext');
    assert.equal((await bob.state(alice.account)).msgstate, 'finished');
    assert.ok(bob.events.some((e) => e.startsWith(`tlv ${alice.account} type=1 `)), bob.events.join('\n'));

    const r = await bob.command(`send ${alice.account} ${Buffer.from('still there?').toString('base64')}`);
    assert.deepEqual(r.net, []);
    assert.ok(r.events.some((e) => e.startsWith(`msg_event ${alice.account} OTRL_MSGEVENT_CONNECTION_ENDED`)));
  });
});

describe('libotr peer setup', () => {
  test('the key, instance tag and fingerprint files are reused on restart', async () => {
    const dir = await tempDir();
    const first = await startLibotrPeer({ account: 'carol@klatsch.test', dir });
    const fp = await first.fingerprint();
    const tag = await first.instanceTag();
    await first.close();
    const second = await peer({ account: 'carol@klatsch.test', dir });
    assert.match(fp, /^([0-9A-F]{8} ){4}[0-9A-F]{8}$/);
    assert.equal(await second.fingerprint(), fp);
    assert.equal(await second.instanceTag(), tag);
    assert.ok(tag >= 0x100);
    assert.ok(!second.events.some((e) => e.startsWith('privkey_generated')));
  });

  test('sign gives r||s (40 bytes) that verifies against the public key, whose SHA-1 is the fingerprint', async () => {
    const p = await peer({ account: 'dave@klatsch.test' });
    const pub = await p.publicKey();
    assert.equal(pub[0], 0);
    assert.equal(pub[1], 0); // DSA key type
    assert.equal(
      createHash('sha1').update(pub.subarray(2)).digest('hex'),
      normalizeFingerprint(await p.fingerprint()),
    );
    const value = new Uint8Array(createHash('sha256').update('klatsch').digest());
    const sig = await p.sign(value);
    assert.equal(sig.length, 40);
    assert.equal(await p.verify(pub, value, sig), true);
    // libotr signs the value as the integer M mod q (no hashing): the same signature verifies for M mod q.
    const mpis: bigint[] = [];
    for (let i = 2; mpis.length < 4; ) {
      const n = Buffer.from(pub.subarray(i, i + 4)).readUInt32BE(0);
      mpis.push(BigInt(`0x${Buffer.from(pub.subarray(i + 4, i + 4 + n)).toString('hex') || '0'}`));
      i += 4 + n;
    }
    const q = mpis[1]!;
    assert.equal(q.toString(2).length, 160);
    const reduced = (BigInt(`0x${Buffer.from(value).toString('hex')}`) % q).toString(16).padStart(40, '0');
    assert.equal(await p.verify(pub, new Uint8Array(Buffer.from(reduced, 'hex')), sig), true);
    const bad = new Uint8Array(sig);
    bad[39]! ^= 1;
    assert.equal(await p.verify(pub, value, bad), false);
  });

  test('opportunistic: the first plaintext carries the whitespace tag, which starts the AKE', async () => {
    const erin = await peer({ account: 'erin@klatsch.test' });
    const frank = await peer({ account: 'frank@klatsch.test' });
    const net = await erin.send(frank.account, 'hi there');
    assert.equal(net.length, 1);
    // base tag + v2 tag + v3 tag, appended to the text
    assert.equal(net[0], 'hi there \t  \t\t\t\t \t \t \t    \t\t  \t   \t\t  \t\t');
    const wire = await relay(erin, frank, net);
    assert.deepEqual(wire.displayed.get(frank.account), ['hi there']);
    assert.equal((await erin.state(frank.account)).msgstate, 'encrypted');
    assert.equal((await frank.state(erin.account)).msgstate, 'encrypted');
    // Once encrypted, the next message is a data message.
    assert.match((await erin.send(frank.account, 'now private'))[0]!, /^\?OTR:AAMD/);
  });

  test('manual policy sends plaintext untouched; v2only negotiates protocol version 2', async () => {
    const gina = await peer({ account: 'gina@klatsch.test', policy: 'manual' });
    const hank = await peer({ account: 'hank@klatsch.test', policy: 'v2only' });
    assert.deepEqual(await gina.send(hank.account, 'plain'), ['plain']);
    assert.deepEqual(await relay(gina, hank, ['plain']).then((w) => w.displayed.get(hank.account)), ['plain']);
    await goSecure(gina, hank);
    assert.equal((await gina.state(hank.account)).protocolVersion, 2);
    const net = await gina.send(hank.account, 'v2 data');
    assert.match(net[0]!, /^\?OTR:AAID/); // version 2 data message
    assert.deepEqual((await relay(gina, hank, net)).displayed.get(hank.account), ['v2 data']);
  });

  test('a dead peer rejects pending commands with its stderr', async () => {
    const p = await peer({ account: 'ivan@klatsch.test' });
    const quit = p.command('quit');
    const pending = p.fingerprint(); // queued behind "quit": written to a peer that is exiting
    await quit;
    await assert.rejects(pending, /exited \(code 0, signal null\); stderr:\n.*libotr 4\.1\.1 ready/);
  });
});
