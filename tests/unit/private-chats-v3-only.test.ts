/**
 * The v3-only setting in an account's private chats: a contact whose app
 * offers only OTR version 2 is refused with a notice and no answer; a change
 * of the setting reaches conversations that already exist; our own offers
 * name only version 3.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import { PrivateChats } from '../../electron/core/e2ee/otr/private-chats.js';

const KEY = generateDsaKey();
const BOB = 'bob@example.com';

function chats() {
  const setting = { v3Only: true };
  const sent: { to: string; body: string }[] = [];
  const notices: { peer: string; kind: string | undefined; text: string }[] = [];
  const privateChats = new PrivateChats({
    account: 'me@example.com',
    identities: { identity: async () => ({ key: KEY, instanceTag: 0x100abc, fingerprint: 'x' }) },
    policyFor: () => 'opportunistic',
    transmit: async (to, body) => {
      sent.push({ to, body });
    },
    show: () => undefined,
    notice: (peer, text, notice) => notices.push({ peer, kind: notice?.kind, text }),
    messageState: () => undefined,
    privacyChanged: () => undefined,
    random: secureRandom,
    now: Date.now,
    v3Only: () => setting.v3Only,
  });
  return { privateChats, sent, notices, setting };
}

test('a v2-only offer is refused with a notice, and nothing is answered', async () => {
  const { privateChats, sent, notices } = chats();
  await privateChats.receive(`${BOB}/pidgin`, { id: undefined, stampedAt: undefined }, '?OTRv2?');
  assert.deepEqual(sent, []);
  assert.deepEqual(notices.map((n) => n.kind), ['v2-refused']);
  assert.match(notices[0]!.text, /only in the old OTR version 2, which your settings refuse/);
  assert.equal(privateChats.privacy(BOB), undefined);
});

test('our offer names only version 3; turning the setting off reaches the existing conversation', async () => {
  const { privateChats, sent, notices, setting } = chats();
  await privateChats.start(BOB);
  assert.match(sent.at(-1)!.body, /^\?OTRv3\?/);
  setting.v3Only = false;
  await privateChats.policiesChanged();
  await privateChats.receive(`${BOB}/pidgin`, { id: undefined, stampedAt: undefined }, '?OTRv2?');
  assert.match(sent.at(-1)!.body, /^\?OTR:AAIC/, 'now a v2 AKE starts');
  assert.deepEqual(notices, []);
});
