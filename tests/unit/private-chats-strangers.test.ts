/**
 * A flood of OTR fragments from thousands of made-up JIDs (not in the
 * roster) must not grow memory without bound: the conversations kept for
 * strangers are capped, the longest idle plaintext ones make room. Contacts'
 * conversations, and strangers' with something the user cares about (a
 * message waiting to go out privately), are never let go.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { AKE_TIMEOUT_MS } from '../../electron/core/otr/session.js';
import { MAX_STRANGER_PEERS, PrivateChats, type IncomingText } from '../../electron/core/e2ee/otr/private-chats.js';

const KEY = generateDsaKey();
const OUR_TAG = 0x100abc;

function chats(contacts: Set<string>, policy: (peer: string) => 'opportunistic' | 'always' = () => 'opportunistic') {
  let now = 1_000_000;
  const shown: { peer: string; text: string }[] = [];
  const sent: { to: string; body: string }[] = [];
  const states: { peer: string; id: string; state: string }[] = [];
  const privateChats = new PrivateChats({
    account: 'me@example.com',
    identities: { identity: async () => ({ key: KEY, instanceTag: OUR_TAG, fingerprint: 'x' }) },
    policyFor: policy,
    transmit: async (to, body) => {
      sent.push({ to, body });
    },
    show: (peer: string, m: IncomingText) => shown.push({ peer, text: m.text }),
    notice: () => undefined,
    messageState: (peer, id, state) => states.push({ peer, id, state }),
    privacyChanged: () => undefined,
    random: secureRandom,
    now: () => now,
    isContact: (peer) => contacts.has(peer),
  });
  return { privateChats, shown, sent, states, advance: (ms: number) => (now += ms) };
}

/** A message in three OTR v3 fragments from the contact's instance 0x300. */
function fragments(text: string): string[] {
  const third = Math.ceil(text.length / 3);
  return [0, 1, 2].map((i) => `?OTR|00000300|00000000,00001,00003,${text.slice(i * third, (i + 1) * third)},`.replace('00001,', `0000${i + 1},`));
}

test('fragments from thousands of strangers keep at most MAX_STRANGER_PEERS of their conversations', async () => {
  const contact = 'carol@example.com';
  const { privateChats, sent, states, advance } = chats(new Set([contact]), (peer) => (peer === 'waiting@stranger.example' ? 'always' : 'opportunistic'));
  // A contact's fragmented query (an offer to go private) is half-way in, and the user wrote to a
  // stranger under "always" (held until private).
  const pieces = fragments('?OTRv3? Let us talk privately.');
  await privateChats.receive(`${contact}/phone`, { id: undefined, stampedAt: undefined }, pieces[0]!);
  await privateChats.send('waiting@stranger.example', 'm1', 'hello');
  assert.deepEqual(states, [{ peer: 'waiting@stranger.example', id: 'm1', state: 'waiting' }]);

  let peak = 0;
  for (let batch = 0; batch < 20; batch++) {
    await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        privateChats.receive(`bot${batch * 100 + i}@spam.example/x`, { id: undefined, stampedAt: undefined }, `?OTR|00000200|00000000,00001,00002,${'B'.repeat(2000)},`),
      ),
    );
    peak = Math.max(peak, privateChats.peerCount);
  }
  // A burst's own strangers are busy while it lasts (at most the burst over the cap); the timer lets them go.
  assert.ok(peak <= MAX_STRANGER_PEERS + 1 + 100, `peak ${peak}`);
  privateChats.tick();
  assert.equal(privateChats.peerCount, MAX_STRANGER_PEERS + 1, 'the contact and MAX_STRANGER_PEERS strangers');

  // The contact's partial message was kept: the rest completes the query, which our engine answers (D-H commit).
  assert.deepEqual(sent.filter((s) => s.to.startsWith(contact)), []);
  await privateChats.receive(`${contact}/phone`, { id: undefined, stampedAt: undefined }, pieces[1]!);
  await privateChats.receive(`${contact}/phone`, { id: undefined, stampedAt: undefined }, pieces[2]!);
  assert.equal(sent.filter((s) => s.to === `${contact}/phone` && s.body.startsWith('?OTR:AAMC')).length, 1, 'the query was answered');
  // The stranger holding the user's message was kept: it still fails visibly when the AKE times out.
  advance(AKE_TIMEOUT_MS + 1);
  privateChats.tick();
  await privateChats.send('waiting@stranger.example', 'm2', 'again').catch(() => undefined);
  assert.ok(
    states.some((s) => s.id === 'm1' && s.state === 'failed'),
    `the held message is not lost silently: ${JSON.stringify(states)}`,
  );
});
