/**
 * What the chat header, the roster, the banners under the header and the authenticate dialog say
 * about a contact's privacy, trust and presence: derived here once from the core's Contact, so that
 * they never contradict each other. No DOM, no React.
 */
import type { Contact, PresenceShow, Privacy, SmpView } from '../../shared/contract';

export interface ContactTrust {
  /** The privacy as shown everywhere: a new key that waits for the user is never shown verified. */
  privacy: Privacy;
  /** In a private conversation whose key is verified (and no new key waits). */
  verified: boolean;
  /** In a private conversation now (verified or not). */
  isPrivate: boolean;
  /** The contact's new key that waits for the user. */
  keyWarning: Contact['keyWarning'];
  /** The authentication banner to show: a "you verified them" result only while they are verified. */
  smp: SmpView | undefined;
}

export function contactTrust(contact: Pick<Contact, 'privacy' | 'keyWarning' | 'smp'>): ContactTrust {
  const reported = contact.privacy ?? 'plaintext';
  const privacy: Privacy = contact.keyWarning && reported === 'private-verified' ? 'private' : reported;
  const verified = privacy === 'private-verified';
  const smp = contact.smp;
  // An old "is verified" result beside a header that says otherwise (a new key, trust taken back) is not shown.
  const staleVerified = smp?.phase === 'succeeded' && smp.weVerifiedThem && !verified;
  return {
    privacy,
    verified,
    isPrivate: privacy === 'private' || verified,
    keyWarning: contact.keyWarning,
    smp: staleVerified ? undefined : smp,
  };
}

/** A presence as shown: while the account is not connected nobody's presence is known (not "offline"). */
export type ShownPresence = PresenceShow | 'unknown';

export function shownPresence(show: PresenceShow, accountOnline: boolean): ShownPresence {
  return accountOnline ? show : 'unknown';
}
