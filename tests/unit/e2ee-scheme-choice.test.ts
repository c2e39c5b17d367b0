/**
 * Which end-to-end encryption scheme a chat uses (electron/core/e2ee/router.ts chooseScheme), the
 * administrator's say in it (PolicyGate: a required scheme, a locked choice, the OMEMO trust mode), and
 * "never both at once": when OMEMO engages in a chat that has an OTR session, the router ends that session.
 *
 * Run: npx tsx --test tests/unit/e2ee-scheme-choice.test.ts
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chooseScheme, E2eeRouter, type SchemeCandidate } from '../../electron/core/e2ee/router.js';
import type { E2eeHost, E2eeProvider, E2eeView, NoticeDetails } from '../../electron/core/e2ee/provider.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';

const omemo = (devices: boolean): SchemeCandidate => ({ scheme: 'omemo', engaged: devices, offers: devices });
const otr = (session: boolean): SchemeCandidate => ({ scheme: 'otr', engaged: session, offers: true, inSession: session });

describe('chooseScheme', () => {
  test('automatic: OMEMO when the contact announces devices, OTR when only OTR answers', () => {
    assert.equal(chooseScheme([omemo(true), otr(false)], undefined, undefined, undefined), 'omemo');
    assert.equal(chooseScheme([omemo(false), otr(false)], undefined, undefined, undefined), 'otr');
    assert.equal(chooseScheme([omemo(false), otr(true)], undefined, undefined, undefined), 'otr', 'an OTR session keeps a chat without OMEMO devices');
    assert.equal(chooseScheme([omemo(true), otr(true)], undefined, undefined, undefined), 'omemo', 'OMEMO engaging takes the chat from an OTR session');
  });

  test("the user's override wins over what the contact announces, both ways", () => {
    assert.equal(chooseScheme([omemo(true), otr(false)], undefined, 'otr', undefined), 'otr');
    assert.equal(chooseScheme([omemo(true), otr(true)], undefined, 'otr', undefined), 'otr', 'OTR stays although OMEMO devices are known');
    assert.equal(chooseScheme([omemo(false), otr(true)], undefined, 'omemo', undefined), 'omemo', 'OMEMO although no device is known yet: never plaintext instead');
    assert.equal(chooseScheme([omemo(true), otr(false)], undefined, undefined, 'otr'), 'otr', 'the scheme the user started here');
    assert.equal(chooseScheme([omemo(true), otr(false)], undefined, 'omemo', 'otr'), 'omemo', 'the override before a start');
  });

  test("the administrator's list: its order, and an override it does not allow counts for nothing", () => {
    assert.equal(chooseScheme([omemo(false), otr(false)], ['omemo'], undefined, undefined), 'omemo', 'the one named scheme, devices or not');
    assert.equal(chooseScheme([omemo(true), otr(false)], ['otr'], 'omemo', undefined), 'otr', 'OMEMO devices alone do not hold a chat the policy gives to OTR');
    assert.equal(chooseScheme([omemo(true), otr(true)], ['otr', 'omemo'], undefined, undefined), 'otr', 'the policy prefers OTR: its session stays');
    assert.equal(chooseScheme([omemo(false), otr(true)], ['omemo'], undefined, undefined), 'otr', 'an OTR session the policy no longer allows ends its own way');
    assert.equal(chooseScheme([omemo(true), otr(false)], ['other'], undefined, undefined), undefined, 'nothing allowed');
    assert.equal(chooseScheme([], undefined, 'otr', undefined), undefined);
  });
});

describe('PolicyGate: the scheme per contact and the OMEMO trust mode', () => {
  const gate = (values: Record<string, unknown>) => new PolicyGate(readPolicy(values, 'test'));

  test('the override counts where the policy allows it; a policy naming one scheme locks the choice', () => {
    assert.equal(gate({}).e2eeOverride('otr'), 'otr');
    assert.equal(gate({}).e2eeOverride(undefined), undefined);
    assert.equal(gate({}).encryptionSchemeLocked, false);
    assert.equal(gate({ encryptionSchemes: ['omemo', 'otr'] }).e2eeOverride('otr'), 'otr');
    assert.equal(gate({ encryptionSchemes: ['omemo', 'otr'] }).encryptionSchemeLocked, false);
    assert.equal(gate({ encryptionSchemes: ['omemo'] }).encryptionSchemeLocked, true);
    assert.equal(gate({ encryptionSchemes: ['omemo'] }).e2eeOverride('otr'), undefined, 'locked: the stored override is ignored');
    assert.equal(gate({ encryptionSchemes: ['omemo'] }).e2eeOverride('omemo'), undefined, 'locked: the policy decides, not a stored choice');
    const view = gate({ encryptionSchemes: ['omemo'] }).view([]);
    assert.deepEqual([view.encryptionSchemes, view.encryptionSchemeLocked], [['omemo'], true], 'the renderer sees the lock');
    assert.equal(gate({}).view([]).encryptionSchemeLocked, undefined);
  });

  test('requiring end-to-end encryption (either scheme) means no plaintext at all', () => {
    const required = gate({ allowPlaintext: false });
    assert.equal(required.plaintextAllowed, false);
    assert.equal(required.otrPolicy('opportunistic'), 'always', 'OTR never sends in the clear');
    assert.equal(chooseScheme([omemo(true), otr(false)], required.encryptionSchemes(), required.e2eeOverride(undefined), undefined), 'omemo');
  });

  test("OMEMO trust: blind before verification by default, 'ask' by the user or locked by the policy", () => {
    assert.equal(gate({}).omemoTrust('blind'), 'blind');
    assert.equal(gate({}).omemoTrust('ask'), 'ask');
    assert.equal(gate({}).omemoTrustLocked, false);
    assert.equal(gate({ omemoTrust: 'ask' }).omemoTrust('blind'), 'ask');
    assert.equal(gate({ omemoTrust: 'blind' }).omemoTrust('ask'), 'blind', 'a lock both ways');
    assert.equal(gate({ omemoTrust: 'ask' }).omemoTrustLocked, true);
    const bad = readPolicy({ omemoTrust: 'sometimes' }, 'test');
    assert.ok(bad.problem, 'a bad value is a problem');
  });
});

/** A scheme with a session to end (OTR's shape) or devices that engage it (OMEMO's), as the router sees them. */
class FakeScheme implements E2eeProvider {
  readonly decryptsCopies = false;
  engagedWith = new Set<string>();
  sessions = new Set<string>();
  ended: { peer: string; quiet: boolean }[] = [];
  constructor(
    readonly scheme: string,
    private readonly host: E2eeHost,
    private readonly hasSessions: boolean,
  ) {
    if (!hasSessions) delete (this as Partial<E2eeProvider>).inSession;
  }
  claims(): boolean {
    return false;
  }
  async receive(): Promise<void> {}
  async send(): Promise<void> {}
  async start(peer: string): Promise<void> {
    this.engagedWith.add(peer);
    if (this.hasSessions) this.sessions.add(peer);
    this.host.privacyChanged(peer);
  }
  async end(peer: string, options?: { quiet?: boolean }): Promise<void> {
    this.ended.push({ peer, quiet: options?.quiet ?? false });
    this.sessions.delete(peer);
    this.engagedWith.delete(peer);
    this.host.privacyChanged(peer);
  }
  inSession(peer: string): boolean {
    return this.sessions.has(peer);
  }
  view(peer: string): E2eeView | undefined {
    return this.engagedWith.has(peer) ? { scheme: this.scheme, state: 'private', verified: false } : undefined;
  }
  engaged(peer: string): boolean {
    return this.engagedWith.has(peer);
  }
  offers(peer: string): boolean {
    return this.hasSessions || this.engagedWith.has(peer);
  }
  /** The contact announced devices (OMEMO's PEP notification). */
  announce(peer: string): void {
    this.engagedWith.add(peer);
    this.host.privacyChanged(peer);
  }
  requiresPrivacy(): boolean {
    return false;
  }
  plaintextNeedsNotice(): boolean {
    return false;
  }
  plaintextOf(body: string): string {
    return body;
  }
  async resourceOffline(): Promise<void> {}
  async resourceAvailable(): Promise<void> {}
  async streamLost(): Promise<void> {}
  async signingOff(): Promise<void> {}
  tick(): void {}
  async policyChanged(): Promise<void> {}
}

const BOB = 'bob@example.com';
const routers: E2eeRouter[] = [];
after(() => routers.forEach((r) => r.close()));

function setup(override?: () => string | undefined) {
  const notices: { peer: string; notice: NoticeDetails | undefined }[] = [];
  const host: E2eeHost = {
    account: 'alice@example.com',
    transmit: async () => undefined,
    show: () => undefined,
    notice: (peer, _text, notice) => void notices.push({ peer, notice }),
    messageState: () => undefined,
    privacyChanged: () => undefined,
    isContact: () => true,
    request: async () => {
      throw new Error('no stream');
    },
  };
  let om!: FakeScheme;
  let ot!: FakeScheme;
  const router = new E2eeRouter(host, [(h) => (om = new FakeScheme('omemo', h, false)), (h) => (ot = new FakeScheme('otr', h, true))], override ? { override } : {});
  routers.push(router);
  return { router, omemo: om, otr: ot, notices };
}

const settled = () => new Promise((resolve) => setImmediate(resolve));

describe('E2eeRouter: never two schemes at once', () => {
  test('OMEMO engaging in a chat with an OTR session ends the OTR session (quietly) and the chat says why', async () => {
    const { router, omemo: om, otr: ot, notices } = setup();
    await ot.start(BOB);
    assert.equal(router.forPeer(BOB)?.scheme, 'otr');
    assert.deepEqual(ot.ended, [], 'nothing to settle while OTR is alone');
    om.announce(BOB);
    await settled();
    assert.deepEqual(ot.ended, [{ peer: BOB, quiet: true }], "OTR's session ended (its disconnect goes to the peer)");
    assert.equal(ot.inSession(BOB), false);
    assert.equal(router.forPeer(BOB)?.scheme, 'omemo');
    assert.deepEqual(notices, [{ peer: BOB, notice: { kind: 'ended-for-other-scheme', detail: 'omemo' } }]);
  });

  test("the user's override OTR keeps the OTR session although OMEMO devices appear; setting OMEMO ends it", async () => {
    let choice: string | undefined = 'otr';
    const { router, omemo: om, otr: ot, notices } = setup(() => choice);
    await ot.start(BOB);
    om.announce(BOB);
    await settled();
    assert.deepEqual(ot.ended, [], 'the override names OTR');
    assert.equal(router.forPeer(BOB)?.scheme, 'otr');
    choice = 'omemo';
    router.overrideChanged(BOB);
    await settled();
    assert.deepEqual(ot.ended, [{ peer: BOB, quiet: true }]);
    assert.equal(router.forPeer(BOB)?.scheme, 'omemo');
    assert.equal(notices.length, 1);
  });
});
