/**
 * Group chats (XEP-0045). End-to-end encrypted (OMEMO) only in members-only, non-anonymous rooms; every
 * other room is plaintext to the server and every occupant.
 */
import { z } from 'zod';
import { WordedReason } from './errors.js';
import { PresenceShow } from './values.js';

/** Someone in a room, as the room says (role and affiliation: XEP-0045 §5). */
export const Occupant = z.object({
  nick: z.string(),
  role: z.enum(['moderator', 'participant', 'visitor', 'none']),
  affiliation: z.enum(['owner', 'admin', 'member', 'outcast', 'none']),
  show: PresenceShow,
  /** The occupant's real address, when the room shows it (non-anonymous rooms). */
  jid: z.string().optional(),
});
export type Occupant = z.infer<typeof Occupant>;

export const RoomView = z.object({
  /** The room's bare address, room@conference.example.com. */
  jid: z.string(),
  /** Our nickname in the room. */
  nick: z.string(),
  /**
   * 'joining': asked to enter; 'joined': in the room; 'offline': the account is offline (rejoined when it is back);
   * 'removed': kicked, banned, the room was destroyed or could not be entered again (`error` says why).
   */
  state: z.enum(['joining', 'joined', 'offline', 'removed']),
  subject: z.string().optional(),
  /** Sorted by nickname; at most the core's bound (`occupantsOmitted` counts the rest). */
  occupants: z.array(Occupant),
  occupantsOmitted: z.number().int().optional(),
  /** We created the room just now. */
  created: z.boolean().optional(),
  /** 'removed': why. */
  error: WordedReason.optional(),
  /**
   * The room is end-to-end encrypted with `scheme` (OMEMO in a members-only, non-anonymous room): what the user
   * writes there goes out encrypted for every member or not at all. Absent: not end-to-end encrypted.
   */
  e2ee: z.object({ scheme: z.string().max(32) }).optional(),
  unread: z.number().int(),
});
export type RoomView = z.infer<typeof RoomView>;

/**
 * An invitation to a group chat waiting for the user's answer: direct (XEP-0249) or handed on by the
 * room (`mediated`, XEP-0045 §7.8.2). `stranger`: the inviter is not a contact (show the full address).
 * A password it carried stays in the core (`passwordProtected` only says there is one).
 */
export const Invitation = z.object({
  id: z.string(),
  room: z.string(),
  from: z.string(),
  reason: z.string().optional(),
  stranger: z.boolean(),
  mediated: z.boolean(),
  passwordProtected: z.boolean().optional(),
  receivedAt: z.number(),
});
export type Invitation = z.infer<typeof Invitation>;
