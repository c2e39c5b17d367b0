/**
 * What a room's refusal (XEP-0045 §7.2.7–7.2.11) or its removing us (§9, §10.9)
 * means, in words for the user. A room's own text is added as plain text.
 */
import type { MucPresence, MucPresenceError } from './muc-stanzas.js';
import { STATUS_AFFILIATION_REMOVED, STATUS_BANNED, STATUS_KICKED, STATUS_MEMBERS_ONLY, STATUS_SHUTDOWN } from './muc-stanzas.js';

/**
 * Conditions that say the user's own server could not reach the room's server (RFC 6120 §8.3.3.15–16,
 * server-to-server). The server's own text ("Server-to-server connection failed: unable to resolve
 * service") says the same in jargon, so it is left out.
 */
export function roomServerProblem(condition: string | undefined, room: string): string | undefined {
  const domain = room.includes('@') ? room.slice(room.indexOf('@') + 1) : room;
  switch (condition) {
    case 'remote-server-not-found':
      return `Your server could not find the server of this room (${domain}). Check the room's address; if it is right, that server may not exist or may not accept connections from your server.`;
    case 'remote-server-timeout':
      return `Your server could not reach the server of this room (${domain}) in time. It may be down; try again later.`;
    default:
      return undefined;
  }
}

/** Why entering a room failed; `nickTaken` when the user should pick another nickname. */
export function joinRefusal(error: MucPresenceError): { message: string; nickTaken: boolean } {
  const said = error.text ? ` (the room said: ${error.text})` : '';
  switch (error.condition) {
    case 'conflict':
      return { message: `The nickname “${error.nick}” is already taken in this room. Choose another nickname.`, nickTaken: true };
    case 'not-authorized':
      return { message: `This room needs a password, or the password was wrong.${said}`, nickTaken: false };
    case 'forbidden':
      return { message: `You are banned from this room.${said}`, nickTaken: false };
    case 'registration-required':
      return { message: `This room is for members only.${said}`, nickTaken: false };
    case 'service-unavailable':
      return { message: `The room cannot be entered now; it may be full.${said}`, nickTaken: false };
    case 'item-not-found':
      return { message: `This room does not exist or is not open yet.${said}`, nickTaken: false };
    case 'not-allowed':
      return { message: `The server does not let you create this room.${said}`, nickTaken: false };
    case 'not-acceptable':
    case 'jid-malformed':
      return { message: `The room does not accept this nickname. Choose another nickname.${said}`, nickTaken: true };
    case 'remote-server-not-found':
    case 'remote-server-timeout':
      return { message: roomServerProblem(error.condition, error.room)!, nickTaken: false };
    default:
      return { message: `The room refused to let you in (${error.condition}).${said}`, nickTaken: false };
  }
}

/** Why the room no longer has us (our own unavailable presence); undefined: we left ourselves. */
export function removalReason(p: MucPresence): string | undefined {
  const why = p.reason ? ` Reason: ${p.reason}` : '';
  if (p.destroyed) return `The room was closed by its owner.${p.destroyed.reason ? ` Reason: ${p.destroyed.reason}` : ''}`;
  if (p.codes.has(STATUS_BANNED)) return `You were banned from this room.${why}`;
  if (p.codes.has(STATUS_KICKED)) return `You were removed from this room (kicked).${why}`;
  if (p.codes.has(STATUS_AFFILIATION_REMOVED) || p.codes.has(STATUS_MEMBERS_ONLY)) return `You are no longer a member of this room.${why}`;
  if (p.codes.has(STATUS_SHUTDOWN)) return 'The group chat service shut down.';
  return undefined;
}
