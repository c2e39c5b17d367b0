/**
 * Requests about the roster and presence subscriptions.
 */
import { z } from 'zod';
import { AccountId, BareJid } from '../values.js';

/** A contact's name in the roster ('' on rename: no name, the address is shown). */
const ContactName = z.string().max(256);
/** Roster groups of one contact (RFC 6121 §2.1.2.4), bounded in count and length. */
const ContactGroups = z.array(z.string().max(256)).max(32);

export const contactRequests = {
  /** Put the address into the roster (with a name and groups) and ask to see the contact's presence. */
  addContact: {
    request: z.object({ accountId: AccountId, jid: BareJid, name: ContactName.optional(), groups: ContactGroups.optional() }).strict(),
    response: z.object({}),
  },
  /** Remove from the roster; the server cancels the presence subscriptions both ways. */
  removeContact: { request: z.object({ accountId: AccountId, jid: BareJid }).strict(), response: z.object({}) },
  /** Set the contact's name in the roster ('' removes it). */
  renameContact: { request: z.object({ accountId: AccountId, jid: BareJid, name: ContactName }).strict(), response: z.object({}) },
  /** Set the contact's roster groups (an empty list: no group). */
  setContactGroups: {
    request: z.object({ accountId: AccountId, jid: BareJid, groups: ContactGroups }).strict(),
    response: z.object({}),
  },
  /** Let the requester see our presence (and ask to see theirs, if we do not yet). */
  approveSubscription: { request: z.object({ accountId: AccountId, jid: BareJid }).strict(), response: z.object({}) },
  /** Refuse a subscription request. */
  denySubscription: { request: z.object({ accountId: AccountId, jid: BareJid }).strict(), response: z.object({}) },
} as const;
