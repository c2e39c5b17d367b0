/**
 * Why a message waits for, or was not sent in, a private conversation: the core gives a reason (shared/error-reasons.ts)
 * with its parameters and keeps its English as the text; the renderer words the reason in the user's language.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey, type DsaPrivateKey } from '../../electron/core/otr/dsa.js';
import { secureRandom } from '../../electron/core/otr/random.js';
import type { OtrEvent, SendFailedCode } from '../../electron/core/otr/events.js';
import type { Policy } from '../../electron/core/otr/session.js';
import { PrivateChats } from '../../electron/core/e2ee/otr/private-chats.js';
import { failureText } from '../../electron/core/e2ee/otr/otr-notices.js';
import { E2eeRouter } from '../../electron/core/e2ee/router.js';
import type { NotSentReason } from '../../shared/contract.js';
import { isErrorReason, type ErrorReason } from '../../shared/error-reasons.js';
import { PRIVATE_WAIT_MS } from '../../shared/private-wait.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { notSentText } from '../../renderer/i18n/errors.js';

const ME = 'alice@example.org';
const BOB = 'bob@example.org';

let aliceKey: DsaPrivateKey;
before(() => {
  aliceKey = generateDsaKey();
});

function chatsWith(policy: () => Policy, states: Map<string, { state: string; error?: NotSentReason | string }>): PrivateChats {
  return new PrivateChats({
    account: ME,
    identities: { identity: async () => ({ key: aliceKey, instanceTag: 0xa11ce001, fingerprint: 'unused' }) },
    policyFor: policy,
    transmit: async () => undefined,
    show: () => undefined,
    notice: () => undefined,
    messageState: (_peer, id, state, error) => states.set(id, { state, ...(error ? { error } : {}) }),
    privacyChanged: () => undefined,
    random: secureRandom,
    now: () => 1_000_000,
  });
}

/** The reason as both catalogs word it: German differs from the core's English, and names what it must. */
function assertWorded(error: NotSentReason | string | undefined, reason: ErrorReason, mentions: string[] = [], sameEnglish = true): void {
  assert.ok(typeof error === 'object', `a reason, not English only: ${JSON.stringify(error)}`);
  assert.equal(error.reason, reason);
  assert.ok(error.text.length > 0, 'the English stays as the fallback');
  const german = notSentText(catalogFor('de'), error)!;
  assert.notEqual(german, error.text, 'worded by the renderer');
  for (const word of mentions) assert.ok(german.includes(word), `${german} names ${word}`);
  if (sameEnglish) assert.equal(notSentText(catalogFor('en'), error), error.text, 'the English catalog says what the core said');
}

describe('reasons for messages that wait or were not sent privately', () => {
  test('a message written in a private conversation waits with a reason naming the contact and the hours', async () => {
    const states = new Map<string, { state: string; error?: NotSentReason | string }>();
    const chats = chatsWith(() => 'opportunistic', states);
    await chats.send(BOB, 'm-1', 'hello', { requirePrivate: true, writtenAt: 1_000_000 });
    assert.equal(states.get('m-1')?.state, 'waiting');
    assertWorded(states.get('m-1')?.error, 'private-waiting', [BOB, String(PRIVATE_WAIT_MS / 3_600_000)]);
  });

  test('one that waited past its bound fails with a reason; one the policy now forbids too', async () => {
    const states = new Map<string, { state: string; error?: NotSentReason | string }>();
    let policy: Policy = 'opportunistic';
    const chats = chatsWith(() => policy, states);
    await chats.send(BOB, 'm-2', 'too late', { requirePrivate: true, writtenAt: 1_000_000 - PRIVATE_WAIT_MS - 1 });
    assert.equal(states.get('m-2')?.state, 'failed');
    assertWorded(states.get('m-2')?.error, 'private-wait-expired', [BOB]);
    policy = 'never';
    await chats.send(BOB, 'm-3', 'off now', { requirePrivate: true, writtenAt: 1_000_000 });
    assert.equal(states.get('m-3')?.state, 'failed');
    assertWorded(states.get('m-3')?.error, 'private-turned-off');
  });

  test("every reason the engine gives for a message it did not send is worded; the contact's end names the contact", () => {
    const codes: Record<SendFailedCode, true> = {
      'private-too-long': true,
      'private-not-encrypted': true,
      'private-ended-by-peer': true,
      'private-wait-expired': true,
      'private-ended': true,
      'private-closed': true,
      'private-not-started': true,
      'private-queue-full': true,
    };
    for (const code of Object.keys(codes) as SendFailedCode[]) {
      assert.ok(isErrorReason(code), code);
      const event: Extract<OtrEvent, { type: 'send-failed' }> = { type: 'send-failed', text: 'hi', reason: `English for ${code}`, code };
      assertWorded(failureText(BOB, event), code, code === 'private-ended-by-peer' ? [BOB] : [], false);
    }
  });

  test('without a scheme, a message written in a private conversation fails with a reason', async () => {
    const states: [string, NotSentReason | string | undefined][] = [];
    const router = new E2eeRouter(
      {
        account: ME,
        transmit: async () => undefined,
        show: () => undefined,
        notice: () => undefined,
        messageState: (_peer, _id, _state, error) => void states.push([_state, error]),
        privacyChanged: () => undefined,
        isContact: () => true,
        request: async () => {
          throw new Error('no stream');
        },
      },
      [],
    );
    await router.send(BOB, 'm-4', 'hello', { requirePrivate: true });
    assert.equal(states[0]?.[0], 'failed');
    assertWorded(states[0]?.[1], 'private-not-available');
  });
});
