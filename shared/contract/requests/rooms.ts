/**
 * Group chats (XEP-0045): not end-to-end encrypted; refused when the administrator requires OTR for everything.
 */
import { z } from 'zod';
import { ChatMessage } from '../messages.js';
import { RoomView } from '../rooms.js';
import { AccountId, BareJid } from '../values.js';

export const roomRequests = {
  /**
   * Enter a room (created if it does not exist, as an instant room). `room`: its address, or only a name,
   * which is looked for on the account's server's group chat service.
   */
  joinRoom: {
    request: z
      .object({
        accountId: AccountId,
        room: z.string().min(1).max(3071).regex(/^[^/\s]+$/, 'expected a room name or address like team@conference.example.com'),
        nick: z.string().min(1).max(64),
        password: z.string().min(1).max(1024).optional(),
      })
      .strict(),
    response: RoomView,
  },
  /** Leave the room and forget it (not rejoined any more); its history stays. */
  leaveRoom: { request: z.object({ accountId: AccountId, room: BareJid }).strict(), response: z.object({}) },
  /** Say something in the room (everyone in it, and the server, can read it). */
  sendRoomMessage: {
    request: z.object({ accountId: AccountId, room: BareJid, body: z.string().min(1).max(65536) }).strict(),
    response: ChatMessage,
  },
  /** Change the room's subject (the room decides who may). */
  setRoomSubject: {
    request: z.object({ accountId: AccountId, room: BareJid, subject: z.string().max(1024) }).strict(),
    response: z.object({}),
  },
  /** The user read the room's messages. */
  markRoomRead: { request: z.object({ accountId: AccountId, room: BareJid }).strict(), response: z.object({}) },
  /** The public rooms of the account's server's group chat service (XEP-0030 disco#items). */
  listRooms: {
    request: z.object({ accountId: AccountId }).strict(),
    response: z.object({ service: z.string().optional(), rooms: z.array(z.object({ jid: z.string(), name: z.string().optional() })) }),
  },
  /**
   * Invite a contact to a room we are in: directly (XEP-0249, the default; carries the room's password
   * when it has one) or through the room (`via: 'room'`, XEP-0045 mediated; members-only rooms need it).
   */
  inviteToRoom: {
    request: z
      .object({ accountId: AccountId, room: BareJid, contact: BareJid, reason: z.string().max(1024).optional(), via: z.enum(['direct', 'room']).optional() })
      .strict(),
    response: z.object({}),
  },
  /** Accept an invitation: enter its room with this nickname (and the password it carried). */
  acceptInvitation: {
    request: z.object({ accountId: AccountId, id: z.string().min(1).max(64), nick: z.string().min(1).max(64) }).strict(),
    response: RoomView,
  },
  /** Decline an invitation (a mediated one: the inviter is told, through the room). */
  declineInvitation: { request: z.object({ accountId: AccountId, id: z.string().min(1).max(64) }).strict(), response: z.object({}) },
} as const;
