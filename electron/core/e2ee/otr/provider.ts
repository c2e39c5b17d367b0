/**
 * OTR behind the end-to-end encryption seam (../provider.ts): the engine (electron/core/otr/, no I/O),
 * its XMPP glue (private-chats.ts), the key and trust store (otr-trust.ts, store/) and the per-contact
 * policy, seen by the account only through E2eeProvider. The only place outside the engine that
 * recognises OTR on the wire is `claims`, with the engine's own classifier.
 *
 * OTR's shape: one full JID per conversation, text in the body, copies (carbons, the archive) never
 * decryptable (the keys are gone with the conversation), an explicit start and end.
 */
import type { Element } from '@xmpp/xml';
import type { OtrPolicy } from '../../../../shared/contract.js';
import { classifyMessage, stripWhitespaceTag } from '../../otr/encoding.js';
import { encryptedMessage } from '../../xmpp/stanzas.js';
import { secureRandom, type RandomSource } from '../../otr/random.js';
import type { E2eeHost, E2eeProvider, E2eeView, SendOptions, StanzaInfo } from '../provider.js';
import { PrivateChats, type OtrIdentitySource } from './private-chats.js';
import type { OtrTrust } from './otr-trust.js';

export const OTR_SCHEME = 'otr';
/** XEP-0380's name for OTR. */
const NS_OTR = 'urn:xmpp:otr:0';
/** OTR's messages are labelled, and kept out of carbons and archives: no copy of them can ever be decrypted. */
const OTR_ENCRYPTION = { namespace: NS_OTR, noCopies: true } as const;
/** What a contact without a policy of its own gets (XEP-0364: offer OTR, start when answered). */
export const DEFAULT_OTR_POLICY: OtrPolicy = 'opportunistic';
/** Below Prosody's and ejabberd's default stanza size limits, with room for the stanza around the body. */
const OTR_FRAGMENT_SIZE = 60_000;

/**
 * Whether `message` is OTR traffic: an OTR message, error or query in its body (the engine's classifier).
 * A whitespace-tagged offer is plaintext with a marker (plaintextOf strips it), not traffic.
 */
export function isOtrTraffic(message: Element): boolean {
  const body = message.getChildText('body');
  if (body === null) return false;
  const kind = classifyMessage(body).kind;
  return kind === 'encoded' || kind === 'error' || kind === 'query';
}

/** An OTR message (XEP-0364) as the account puts it on the wire: labelled, kept out of archives and carbons. */
export function otrMessage(to: string, id: string, body: string, requestReceipt = false): Element {
  return encryptedMessage(to, id, { body, ...OTR_ENCRYPTION }, requestReceipt);
}

export interface OtrProviderDeps {
  /** The account's OTR key and instance tag. */
  identities: OtrIdentitySource;
  /** Trust in contacts' keys (otr-trust.ts); none: nothing is ever verified. */
  trust?: Pick<OtrTrust, 'isVerified' | 'newKey' | 'sawFingerprint' | 'smpTrust'> & Partial<Pick<OtrTrust, 'knowsPeer'>>;
  /** The contact's policy in force (the user's choice or the default, as the administrator allows it). */
  policyFor(peer: string): OtrPolicy;
  /**
   * The scheme the chat with `peer` uses when it is not OTR (the user's override, or a policy without OTR);
   * undefined: OTR may be the chat's. While another scheme has the chat, OTR declines as libotr's policy
   * NEVER does: offers and key exchanges go unanswered, no session starts.
   */
  otherScheme?(peer: string): string | undefined;
  /** The setting (or policy) "wait for a private conversation before the first message"; absent: off. */
  waitForPrivate?(): boolean;
  /** The contacts whose app was seen speaking OTR (stored with the account). */
  otrContacts?(): readonly string[];
  /** Stores that list (the whole of it); absent: remembered while the app runs. */
  saveOtrContacts?(peers: string[]): Promise<void>;
  /** OTR version 3 only (the app setting, or the administrator's); absent: v2 and v3. */
  v3Only?(): boolean;
  random?: RandomSource;
  now?: () => number;
}

export class OtrProvider implements E2eeProvider {
  readonly scheme = OTR_SCHEME;
  /** OTR's copies cannot be decrypted: its keys live only as long as the conversation on the device that had it. */
  readonly decryptsCopies = false;
  /** The private conversations, for the requests only OTR has (SMP, accepting a key, a new key of ours). */
  readonly chats: PrivateChats;
  /** Contacts seen speaking OTR in this run, before the stored list has them. */
  private readonly learned = new Set<string>();

  constructor(
    private readonly host: E2eeHost,
    private readonly deps: OtrProviderDeps,
  ) {
    const account = host.account;
    const trust = deps.trust;
    this.chats = new PrivateChats({
      account,
      identities: deps.identities,
      policyFor: (peer) => (deps.otherScheme?.(peer) !== undefined ? 'never' : deps.policyFor(peer)),
      otherScheme: (peer) => deps.otherScheme?.(peer),
      transmit: (to, body, kind, id) =>
        host.transmit({
          to,
          body,
          ...(kind === 'otr' ? { encryption: OTR_ENCRYPTION } : {}),
          ...(id !== undefined ? { messageId: id } : {}),
        }),
      show: (peer, message) => host.show(peer, message),
      notice: (peer, text, notice, options) => host.notice(peer, text, notice, options),
      messageState: (peer, id, state, error, encrypted) => host.messageState(peer, id, state, error, encrypted),
      privacyChanged: (peer) => host.privacyChanged(peer),
      ...(trust
        ? {
            isVerified: (peer: string, fp: string) => trust.isVerified(account, peer, fp),
            newKey: (peer: string, fp: string) => trust.newKey(account, peer, fp),
            sawFingerprint: (peer: string, fp: string) => trust.sawFingerprint(account, peer, fp),
            smpTrust: (peer: string, fp: string, change: 'verify' | 'clear') => trust.smpTrust(account, peer, fp, change),
          }
        : {}),
      firstMessageWaits: (peer) => this.firstMessageWaits(peer),
      speaksOtr: (peer) => this.speaksOtr(peer),
      random: deps.random ?? secureRandom,
      now: deps.now ?? Date.now,
      maxFragmentSize: OTR_FRAGMENT_SIZE,
      isContact: (peer) => host.isContact(peer),
      v3Only: () => deps.v3Only?.() ?? false,
      privateStarted: (peer) => host.privateStarted?.(peer),
      unconfirmed: (peer) => host.unconfirmed?.(peer) ?? false,
    });
  }

  claims(message: Element): boolean {
    return isOtrTraffic(message);
  }

  receive(from: string, info: StanzaInfo, _message: Element, body: string | undefined): Promise<void> {
    // Every body of the conversation passes the engine: it shows plaintext as it is, decrypts private messages and hides protocol noise.
    if (body === undefined || body === '') return Promise.resolve();
    return this.chats.receive(from, info, body);
  }

  send(peer: string, id: string, text: string, options: SendOptions = {}): Promise<void> {
    return this.chats.send(peer, id, text, options);
  }

  start(peer: string): Promise<void> {
    return this.chats.start(peer);
  }

  end(peer: string, options?: { quiet?: boolean }): Promise<void> {
    return this.chats.end(peer, options?.quiet ?? false);
  }

  inSession(peer: string): boolean {
    return this.chats.inSession(peer);
  }

  peersInSession(): string[] {
    return this.chats.peersInSession();
  }

  view(peer: string): E2eeView | undefined {
    const privacy = this.chats.privacy(peer);
    const details = this.chats.details(peer);
    if (privacy === undefined && Object.keys(details).length === 0) return undefined;
    const state = privacy === 'private' || privacy === 'private-verified' ? 'private' : privacy === 'finished' ? 'finished' : 'plaintext';
    return {
      scheme: OTR_SCHEME,
      state,
      verified: privacy === 'private-verified',
      ...(details.fingerprint !== undefined ? { fingerprint: details.fingerprint } : {}),
      ...(details.keyWarning ? { keyWarning: details.keyWarning } : {}),
      ...(details.smp ? { auth: details.smp } : {}),
    };
  }

  engaged(peer: string): boolean {
    return this.chats.engaged(peer);
  }

  requiresPrivacy(peer: string): boolean {
    return this.deps.otherScheme?.(peer) === undefined && this.deps.policyFor(peer) === 'always';
  }

  plaintextNeedsNotice(peer: string): boolean {
    return this.chats.plaintextNeedsNotice(peer);
  }

  plaintextOf(body: string): string {
    return stripWhitespaceTag(body);
  }

  resourceOffline(full: string): Promise<void> {
    return this.chats.resourceOffline(full);
  }

  resourceAvailable(full: string): Promise<void> {
    return this.chats.peerAvailable(full);
  }

  streamLost(): Promise<void> {
    return this.chats.disconnected();
  }

  signingOff(): Promise<void> {
    return this.chats.signingOff();
  }

  tick(): void {
    this.chats.tick();
  }

  policyChanged(peer?: string): Promise<void> {
    return peer === undefined ? this.chats.policiesChanged() : this.chats.setPolicy(peer);
  }

  /**
   * Whether our first message to `peer` waits for a private conversation: the user (or the administrator)
   * wants that, and the contact's app is known to speak OTR (it offered or asked for it, or a private
   * conversation with the contact happened before).
   */
  private firstMessageWaits(peer: string): boolean {
    if (!this.deps.waitForPrivate?.()) return false;
    return this.knownOtrContacts().includes(peer) || (this.deps.trust?.knowsPeer?.(this.host.account, peer) ?? false);
  }

  private knownOtrContacts(): string[] {
    const stored = this.deps.otrContacts?.() ?? [];
    return [...stored, ...[...this.learned].filter((p) => !stored.includes(p))];
  }

  /** `peer`'s app was seen speaking OTR: remembered for contacts only (a stranger cannot grow the list). */
  private speaksOtr(peer: string): void {
    const known = this.knownOtrContacts();
    if (known.includes(peer) || !this.host.isContact(peer)) return;
    this.learned.add(peer);
    void this.deps.saveOtrContacts?.([...known, peer]).catch(() => undefined);
  }
}
