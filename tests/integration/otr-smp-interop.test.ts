/**
 * SMP (Protocol-v3 "Socialist Millionaires' Protocol") between our engine and
 * libotr 4.1.1 (the C peer in tests/otr-peer): question and shared secret,
 * each side starting, right and wrong answers, an abort by either side at
 * every step, SMP while chat messages keep flowing, fragmented SMP messages
 * and non-ASCII secrets. libotr's SMP events (handle_smp_event) and ours are
 * both checked.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import type { OtrEvent } from '../../electron/core/otr/events.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { OtrConversation, type OtrOutput } from '../../electron/core/otr/session.js';
import { startLibotrPeer, type LibotrPeer } from '../fixtures/libotr-peer.js';
import { Link } from '../fixtures/otr-link.js';

const US = 'alice@klatsch.test';
const THEM = 'bob@klatsch.test';

let ourKey: DsaPrivateKey | undefined;
const key = () => (ourKey ??= generateDsaKey(secureRandom));

const peers: LibotrPeer[] = [];
after(async () => {
  for (const p of peers) await p.close();
});

type SmpEvent = Extract<OtrEvent, { type: `smp-${string}` }>;

/** A private conversation between a fresh libotr peer and one of ours (we send the query). */
async function privateLink(maxFragment = 0): Promise<{ link: Link; them: LibotrPeer }> {
  const them = await startLibotrPeer({ account: THEM, maxFragment });
  peers.push(them);
  const ours = new OtrConversation({
    account: US,
    peer: THEM,
    longTerm: key(),
    ourInstance: 0x1000 + Math.floor(Math.random() * 0xfffff),
    policy: 'manual',
    maxFragmentSize: maxFragment || undefined,
    random: secureRandom,
    now: Date.now,
  });
  const link = new Link(ours, [them]);
  await link.fromUs(ours.startPrivate());
  assert.equal((await them.state(US)).msgstate, 'encrypted');
  assert.equal(ours.state, 'encrypted');
  return { link, them };
}

/** Marks where the events of a step start. */
function mark(link: Link, them: LibotrPeer): { ours: number; theirs: number } {
  return { ours: link.ourEvents.length, theirs: them.events.length };
}

function ourSmp(link: Link, since: { ours: number }): SmpEvent[] {
  return link.ourEvents.slice(since.ours).filter((e): e is SmpEvent => e.type.startsWith('smp-'));
}

/** libotr's SMP events since `since`: ["OTRL_SMPEVENT_ASK_FOR_ANSWER progress=25 question=…", …] without the prefix. */
function theirSmp(them: LibotrPeer, since: { theirs: number }): string[] {
  const prefix = `smp ${US} OTRL_SMPEVENT_`;
  return them.events
    .slice(since.theirs)
    .filter((e) => e.startsWith(prefix))
    .map((e) => e.slice(prefix.length));
}

const names = (events: string[]) => events.map((e) => e.split(' ')[0]);
/** An SMP event without the request number smp-request carries (it counts the requests of the whole conversation). */
function withoutRequestNumber(event: SmpEvent | undefined): Partial<SmpEvent> | undefined {
  if (event?.type !== 'smp-request') return event;
  const { request: _number, ...rest } = event;
  return rest;
}
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

interface SmpRun {
  initiator: 'us' | 'libotr';
  ourSecret: string;
  theirSecret: string;
  question?: string;
}

/** One whole SMP through the link (every message relayed at once); returns both sides' SMP events. */
async function runSmp(link: Link, them: LibotrPeer, run: SmpRun): Promise<{ ours: SmpEvent[]; theirs: string[] }> {
  const since = mark(link, them);
  if (run.initiator === 'us') {
    await link.fromUs(link.ours.startSmp(run.ourSecret, run.question));
    await link.fromPeer(them, await them.smpRespond(US, run.theirSecret));
  } else {
    await link.fromPeer(them, await them.smpStart(US, run.theirSecret, run.question));
    await link.fromUs(link.ours.respondSmp(run.ourSecret));
  }
  return { ours: ourSmp(link, since), theirs: theirSmp(them, since) };
}

function ourResult(events: SmpEvent[]): Extract<SmpEvent, { type: 'smp-result' }> {
  const results = events.filter((e): e is Extract<SmpEvent, { type: 'smp-result' }> => e.type === 'smp-result');
  assert.equal(results.length, 1, `one smp-result in ${JSON.stringify(events)}`);
  return results[0]!;
}

describe('SMP interop with libotr', () => {
  test('we ask a question, libotr answers right, then wrong', async () => {
    const { link, them } = await privateLink();
    const question = 'Where did we meet?';
    const good = await runSmp(link, them, { initiator: 'us', ourSecret: 'in Köln', theirSecret: 'in Köln', question });
    assert.deepEqual(names(good.theirs), ['ASK_FOR_ANSWER', 'SUCCESS']);
    assert.equal(good.theirs[0], `ASK_FOR_ANSWER progress=25 question=${b64(question)}`);
    assert.equal(good.theirs[1], 'SUCCESS progress=100');
    assert.deepEqual(
      good.ours.map((e) => e.type),
      ['smp-progress', 'smp-progress', 'smp-result'],
    );
    const result = ourResult(good.ours);
    assert.equal(result.success, true);
    assert.equal(result.weVerifiedThem, true, 'the asker verified the peer');
    assert.equal(result.fingerprint.replace(/ /g, '').toLowerCase(), (await them.fingerprint()).replace(/ /g, '').toLowerCase());

    const bad = await runSmp(link, them, { initiator: 'us', ourSecret: 'in Köln', theirSecret: 'in Bonn', question });
    assert.deepEqual(names(bad.theirs), ['ASK_FOR_ANSWER', 'FAILURE']);
    assert.deepEqual(
      { success: ourResult(bad.ours).success, weVerifiedThem: ourResult(bad.ours).weVerifiedThem },
      { success: false, weVerifiedThem: false },
    );
  });

  test('we start with a shared secret: right, then wrong', async () => {
    const { link, them } = await privateLink();
    const good = await runSmp(link, them, { initiator: 'us', ourSecret: 'correct horse', theirSecret: 'correct horse' });
    assert.deepEqual(names(good.theirs), ['ASK_FOR_SECRET', 'SUCCESS']);
    assert.equal(ourResult(good.ours).success, true);
    assert.equal(ourResult(good.ours).weVerifiedThem, true);
    const bad = await runSmp(link, them, { initiator: 'us', ourSecret: 'correct horse', theirSecret: 'correct horse ' });
    assert.deepEqual(names(bad.theirs), ['ASK_FOR_SECRET', 'FAILURE']);
    assert.equal(ourResult(bad.ours).success, false, 'no trimming: a trailing space is another secret');
  });

  test('libotr asks a question, we answer right, then wrong', async () => {
    const { link, them } = await privateLink();
    const question = 'Name of the cat?';
    const good = await runSmp(link, them, { initiator: 'libotr', ourSecret: 'Mietze', theirSecret: 'Mietze', question });
    assert.deepEqual(withoutRequestNumber(good.ours[0]), { type: 'smp-request', question, instance: await them.instanceTag() });
    assert.deepEqual(names(good.theirs), ['IN_PROGRESS', 'SUCCESS']);
    const result = ourResult(good.ours);
    assert.equal(result.success, true);
    assert.equal(result.weVerifiedThem, false, 'answering a question does not verify the asker (libotr: no trust set)');
    const bad = await runSmp(link, them, { initiator: 'libotr', ourSecret: 'mietze', theirSecret: 'Mietze', question });
    assert.deepEqual(names(bad.theirs), ['IN_PROGRESS', 'FAILURE']);
    assert.equal(ourResult(bad.ours).success, false, 'no case folding');
  });

  test('libotr starts with a shared secret: right, then wrong', async () => {
    const { link, them } = await privateLink();
    const good = await runSmp(link, them, { initiator: 'libotr', ourSecret: 's3cret', theirSecret: 's3cret' });
    assert.deepEqual(withoutRequestNumber(good.ours[0]), { type: 'smp-request', instance: await them.instanceTag() });
    assert.deepEqual(names(good.theirs), ['IN_PROGRESS', 'SUCCESS']);
    assert.deepEqual(
      { success: ourResult(good.ours).success, weVerifiedThem: ourResult(good.ours).weVerifiedThem },
      { success: true, weVerifiedThem: true },
    );
    const bad = await runSmp(link, them, { initiator: 'libotr', ourSecret: 's3cret', theirSecret: 'secret' });
    assert.deepEqual(names(bad.theirs), ['IN_PROGRESS', 'FAILURE']);
    assert.equal(ourResult(bad.ours).success, false);
  });

  // Abort at every step. The SMP messages are stepped by hand: after `point` of them were delivered
  // (0: the initiator started, nothing delivered; 1: the responder has the request; 2: SMP2 delivered;
  // 3: SMP3 delivered, SMP4 in flight) one side aborts; whatever was in flight is delivered after the
  // abort. Both sides must end up idle: a fresh SMP then succeeds.
  for (const initiator of ['us', 'libotr'] as const) {
    for (const aborter of ['us', 'libotr'] as const) {
      for (const point of [0, 1, 2, 3]) {
        test(`abort by ${aborter} after ${point} SMP message(s), ${initiator} started`, async () => {
          const { link, them } = await privateLink();
          const since = mark(link, them);
          // Messages in flight, in order: [to, texts].
          let inFlight: { to: 'us' | 'libotr'; texts: string[] } | undefined;
          const toLibotr = async (texts: string[]): Promise<string[]> => {
            const net: string[] = [];
            for (const t of texts) net.push(...(await them.receive(US, t)).net);
            return net;
          };
          const toUs = (texts: string[]): string[] => {
            const net: string[] = [];
            for (const t of texts) {
              const out = link.ours.receive(t);
              link.take(out);
              net.push(...out.send);
            }
            return net;
          };
          const ours = (out: OtrOutput): string[] => {
            link.take(out);
            return out.send;
          };

          // The steps, each delivering one SMP message; the responder's answer is made right away.
          if (initiator === 'us') {
            const m1 = ours(link.ours.startSmp('same'));
            inFlight = { to: 'libotr', texts: m1 };
            if (point >= 1) {
              assert.deepEqual(await toLibotr(m1), []);
              const m2 = await them.smpRespond(US, 'same');
              inFlight = { to: 'us', texts: m2 };
              if (point >= 2) {
                const m3 = toUs(m2);
                inFlight = { to: 'libotr', texts: m3 };
                if (point >= 3) {
                  const m4 = await toLibotr(m3);
                  inFlight = { to: 'us', texts: m4 };
                }
              }
            }
          } else {
            const m1 = await them.smpStart(US, 'same');
            inFlight = { to: 'us', texts: m1 };
            if (point >= 1) {
              assert.deepEqual(toUs(m1), []);
              const m2 = ours(link.ours.respondSmp('same'));
              inFlight = { to: 'libotr', texts: m2 };
              if (point >= 2) {
                const m3 = await toLibotr(m2);
                inFlight = { to: 'us', texts: m3 };
                if (point >= 3) {
                  const m4 = toUs(m3);
                  inFlight = { to: 'libotr', texts: m4 };
                }
              }
            }
          }
          // Whether the non-aborting side had something going when the abort arrives.
          const ourSide = initiator === 'us' ? 'initiator' : 'responder';
          const weActive = ourSide === 'initiator' ? true : point === 1 || point === 2;

          const beforeAbort = mark(link, them);
          if (aborter === 'us') {
            const out = link.ours.abortSmp();
            assert.ok(out.events.some((e) => e.type === 'smp-aborted' && !e.byPeer), 'we report our abort');
            await link.fromUs(out);
            assert.ok(names(theirSmp(them, beforeAbort)).includes('ABORT'), 'libotr reports OTRL_SMPEVENT_ABORT');
          } else {
            await link.fromPeer(them, await them.smpAbort(US));
            const aborted = ourSmp(link, beforeAbort).filter((e) => e.type === 'smp-aborted');
            assert.deepEqual(aborted, weActive ? [{ type: 'smp-aborted', byPeer: true, instance: await them.instanceTag() }] : []);
          }
          // What was in flight arrives late: refused (an abort back), never a result.
          const late = mark(link, them);
          if (inFlight.to === 'us') await link.fromPeer(them, inFlight.texts);
          else for (const t of inFlight.texts) await link.deliver(them, t);
          assert.ok(!ourSmp(link, late).some((e) => e.type === 'smp-result'), 'no result after the abort');
          assert.ok(
            !names(theirSmp(them, late)).some((n) => n === 'SUCCESS' || n === 'FAILURE'),
            `libotr has no result after the abort: ${theirSmp(them, late).join(', ')}`,
          );
          // Only a responder that got SMP message 3 before the abort has a result (the initiator never does).
          const resultBeforeAbort = point === 3;
          assert.equal(ourSmp(link, since).some((e) => e.type === 'smp-result'), resultBeforeAbort && initiator === 'libotr');
          assert.equal(
            names(theirSmp(them, since)).some((n) => n === 'SUCCESS'),
            resultBeforeAbort && initiator === 'us',
          );

          // Both idle again: a complete SMP works, started by the other side.
          const again = await runSmp(link, them, { initiator: initiator === 'us' ? 'libotr' : 'us', ourSecret: 'again', theirSecret: 'again' });
          assert.equal(ourResult(again.ours).success, true, JSON.stringify(again));
          assert.equal(names(again.theirs).at(-1), 'SUCCESS');
          assert.deepEqual(link.ourEvents.filter((e) => e.type === 'unreadable' || e.type === 'error'), []);
        });
      }
    }
  }

  test('SMP while chat messages keep flowing both ways', async () => {
    const { link, them } = await privateLink();
    type Who = 'us' | 'libotr';
    const other = (w: Who): Who => (w === 'us' ? 'libotr' : 'us');
    let n = 0;
    /** A chat message from `who`, delivered at once; it must not cause any reply. */
    const chatFrom = async (who: Who): Promise<void> => {
      const text = `chat ${n++} from ${who}`;
      if (who === 'us') {
        const out = link.ours.sendText(text);
        link.take(out);
        for (const t of out.send) {
          const r = await them.receive(US, t);
          link.shownByThem.get(them)!.push(...r.display);
          assert.deepEqual(r.net, []);
        }
      } else {
        for (const t of await them.send(US, text)) {
          const out = link.ours.receive(t);
          link.take(out);
          assert.deepEqual(out.send, []);
        }
      }
    };
    /** Delivers texts to `who`; returns what it sent back (the next SMP message, if any). */
    const deliverTo = async (who: Who, texts: string[]): Promise<string[]> => {
      const replies: string[] = [];
      for (const t of texts) {
        if (who === 'libotr') {
          const r = await them.receive(US, t);
          link.shownByThem.get(them)!.push(...r.display);
          replies.push(...r.net);
        } else {
          const out = link.ours.receive(t);
          link.take(out);
          replies.push(...out.send);
        }
      }
      return replies;
    };

    for (const initiator of ['us', 'libotr'] as const) {
      const since = mark(link, them);
      let inFlight: { to: Who; texts: string[] };
      if (initiator === 'us') {
        const out = link.ours.startSmp('flowing', 'Still there?');
        link.take(out);
        inFlight = { to: 'libotr', texts: out.send };
      } else {
        inFlight = { to: 'us', texts: await them.smpStart(US, 'flowing', 'Still there?') };
      }
      let answered = false;
      for (let hops = 0; inFlight.texts.length > 0; hops++) {
        assert.ok(hops < 6, 'SMP did not finish');
        const receiver = inFlight.to;
        const sender = other(receiver);
        // Chat crossing the SMP message in flight (the receiver's keys move on meanwhile) …
        await chatFrom(receiver);
        await chatFrom(receiver);
        let replies = await deliverTo(receiver, inFlight.texts);
        if (replies.length === 0 && !answered) {
          // The responder got the request: the user answers.
          answered = true;
          if (receiver === 'libotr') replies = await them.smpRespond(US, 'flowing');
          else {
            const out = link.ours.respondSmp('flowing');
            link.take(out);
            replies = out.send;
          }
        }
        // … and chat after it, from the side that sent it.
        await chatFrom(sender);
        inFlight = { to: sender, texts: replies };
      }
      assert.equal(ourResult(ourSmp(link, since)).success, true, `${initiator} started`);
      assert.equal(names(theirSmp(them, since)).at(-1), 'SUCCESS');
    }
    const fromUs = link.shownByThem.get(them)!;
    const fromLibotr = link.shownByUs.filter((t) => t.startsWith('chat '));
    assert.equal(fromUs.length + fromLibotr.length, n, 'every chat message arrived');
    assert.ok(fromUs.length >= 6 && fromLibotr.length >= 6);
    assert.deepEqual(link.ourEvents.filter((e) => e.type === 'unreadable' || e.type === 'error'), []);
  });

  test('SMP messages fragmented on both sides (small maximum message size)', async () => {
    const FRAG = 150;
    const { link, them } = await privateLink(FRAG);
    const question = 'A question long enough to need fragments of its own — '.repeat(3);
    for (const initiator of ['us', 'libotr'] as const) {
      // Everything each side sends during the SMP.
      const sent: string[] = [];
      const received: string[] = [];
      const { fromUs, fromPeer } = link;
      link.fromUs = async (out, to) => {
        sent.push(...out.send);
        return fromUs.call(link, out, to);
      };
      link.fromPeer = async (peer, net) => {
        received.push(...net);
        return fromPeer.call(link, peer, net);
      };
      const r = await runSmp(link, them, { initiator, ourSecret: 'fragmented', theirSecret: 'fragmented', question });
      link.fromUs = fromUs;
      link.fromPeer = fromPeer;
      assert.equal(ourResult(r.ours).success, true, `${initiator} started`);
      assert.equal(names(r.theirs).at(-1), 'SUCCESS');
      for (const [who, pieces] of [['we', sent], ['libotr', received]] as const) {
        assert.ok(pieces.length > 10, `${who} sent ${pieces.length} fragments`);
        assert.ok(
          pieces.every((p) => p.length <= FRAG && p.startsWith('?OTR|')),
          `every piece ${who} sent is a fragment within the limit`,
        );
      }
      if (initiator === 'libotr') assert.deepEqual(withoutRequestNumber(r.ours[0]), { type: 'smp-request', question, instance: await them.instanceTag() });
    }
  });

  test('non-ASCII secrets and questions (ü, emoji) are compared as raw UTF-8', async () => {
    const { link, them } = await privateLink();
    const secret = 'Grüße, Jürgen 🙂👍🏽';
    const question = 'Wie heißt der Hund? 🐕';
    for (const initiator of ['us', 'libotr'] as const) {
      const ok = await runSmp(link, them, { initiator, ourSecret: secret, theirSecret: secret, question });
      assert.equal(ourResult(ok.ours).success, true, `${initiator} started`);
      assert.equal(names(ok.theirs).at(-1), 'SUCCESS');
      if (initiator === 'us') assert.equal(ok.theirs[0], `ASK_FOR_ANSWER progress=25 question=${b64(question)}`);
      else assert.equal((ok.ours[0] as { question?: string }).question, question);

      const emoji = await runSmp(link, them, { initiator, ourSecret: '🙂', theirSecret: '🙂', question: '?' });
      assert.equal(ourResult(emoji.ours).success, true);

      // "ü" precomposed (U+00FC) against "u" + combining diaeresis (U+0308): no normalisation.
      const nfd = await runSmp(link, them, { initiator, ourSecret: 'M\u00fcller', theirSecret: 'Mu\u0308ller' });
      assert.equal(ourResult(nfd.ours).success, false);
      assert.equal(names(nfd.theirs).at(-1), 'FAILURE');
    }
  });
});
