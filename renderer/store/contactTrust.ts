/**
 * What the chat header, the roster, the banners under the header and the authenticate dialog say
 * about a contact's privacy, trust and presence: derived here once from the core's Contact (its
 * scheme-neutral `e2ee`), so that they never contradict each other. No DOM, no React.
 */
import type { Contact, E2eeView, PresenceShow, Privacy, SmpView } from '../../shared/contract';

/**
 * The privacy as shown: the core's states, and 'unavailable' — the chat is set to a scheme the contact has no
 * devices for, so nothing can be sent (it is not "not private": nothing goes out in plaintext either).
 */
export type ShownPrivacy = Privacy | 'unavailable';

export interface ContactTrust {
  /** The privacy as shown everywhere: a new key that waits for the user is never shown verified. */
  privacy: ShownPrivacy;
  /** In a private conversation whose key is verified (and no new key waits). */
  verified: boolean;
  /** In a private conversation now (verified or not). */
  isPrivate: boolean;
  /** The contact's new key that waits for the user. */
  keyWarning: E2eeView['keyWarning'];
  /** The authentication banner to show: a "you verified them" result only while they are verified. */
  smp: SmpView | undefined;
  /** The scheme of the conversation (its keys are named with it); undefined: plaintext, nothing to say. */
  scheme: E2eeView['scheme'] | undefined;
  /** The contact's key in the private conversation, as the user compares it. */
  fingerprint: string | undefined;
  /** The scheme's name as the header shows it ('OMEMO', 'OTR'), while it protects the chat (private, ended or unavailable). */
  schemeName: string | undefined;
  /** Why nothing can be sent, while the privacy is 'unavailable'. */
  unavailable: E2eeView['unavailable'];
}

/** The state the core reports, before the rule that a waiting new key is never shown verified. */
function reportedPrivacy(e2ee: E2eeView | undefined): ShownPrivacy {
  if (e2ee?.unavailable) return 'unavailable';
  if (e2ee?.state === 'private') return e2ee.verified ? 'private-verified' : 'private';
  return e2ee?.state === 'finished' ? 'finished' : 'plaintext';
}

export function contactTrust(contact: Pick<Contact, 'e2ee'>): ContactTrust {
  const e2ee = contact.e2ee;
  const reported = reportedPrivacy(e2ee);
  const privacy: ShownPrivacy = e2ee?.keyWarning && reported === 'private-verified' ? 'private' : reported;
  const verified = privacy === 'private-verified';
  const smp = e2ee?.auth;
  // An old "is verified" result beside a header that says otherwise (a new key, trust taken back) is not shown.
  const staleVerified = smp?.phase === 'succeeded' && smp.weVerifiedThem && !verified;
  return {
    privacy,
    verified,
    isPrivate: privacy === 'private' || verified,
    keyWarning: e2ee?.keyWarning,
    smp: staleVerified ? undefined : smp,
    scheme: e2ee?.scheme,
    fingerprint: e2ee?.fingerprint,
    schemeName: e2ee && privacy !== 'plaintext' ? e2ee.scheme.toUpperCase() : undefined,
    unavailable: e2ee?.unavailable,
  };
}

/** A presence as shown: while the account is not connected nobody's presence is known (not "offline"). */
export type ShownPresence = PresenceShow | 'unknown';

export function shownPresence(show: PresenceShow, accountOnline: boolean): ShownPresence {
  return accountOnline ? show : 'unknown';
}

/**
 * What the authentication banner says, chosen with the header's `verified` (one derivation): a banner
 * never says "not verified" beside a header that says verified, nor the other way round.
 * `retry`: 'ask' offers Try again (the user asked: the form opens again); 'wait': the contact may ask again.
 */
export type SmpWording =
  | { phase: 'asked' | 'running' | 'aborted' | 'error' }
  | { phase: 'succeeded'; says: 'we-verified-them' | 'they-verified-us' | 'they-verified-us-already-verified' }
  | { phase: 'failed'; says: 'they-failed' | 'they-failed-still-verified' | 'we-failed'; retry: 'ask' | 'wait' };

export function smpWording(trust: Pick<ContactTrust, 'verified' | 'smp'>): SmpWording | undefined {
  const smp = trust.smp;
  if (!smp) return undefined;
  switch (smp.phase) {
    case 'succeeded':
      if (smp.weVerifiedThem) return { phase: 'succeeded', says: 'we-verified-them' };
      return { phase: 'succeeded', says: trust.verified ? 'they-verified-us-already-verified' : 'they-verified-us' };
    case 'failed':
      if (!smp.weStarted) return { phase: 'failed', says: 'we-failed', retry: 'wait' };
      // The failure clears the trust; until the store says so (or if it could not be saved) the header decides.
      return { phase: 'failed', says: trust.verified ? 'they-failed-still-verified' : 'they-failed', retry: 'ask' };
    default:
      return { phase: smp.phase };
  }
}
