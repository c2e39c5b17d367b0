/**
 * What a room's refusal (XEP-0045 §7.2.7–7.2.11) or its removing us (§9, §10.9)
 * means: a reason with its parameters for the UI to word (shared/error-reasons.ts),
 * the room's own text as a parameter, and English for logs and the history.
 */
import type { ErrorParams } from '../../../shared/error-reasons.js';
import type { MucPresence, MucPresenceError } from './muc-stanzas.js';
import { STATUS_AFFILIATION_REMOVED, STATUS_BANNED, STATUS_KICKED, STATUS_MEMBERS_ONLY, STATUS_SHUTDOWN } from './muc-stanzas.js';

type RoomReasons = {
  [R in 'room-nick-taken' | 'room-password' | 'room-banned' | 'room-members-only' | 'room-unavailable' | 'room-not-found' | 'room-create-refused' | 'room-nick-refused' | 'room-refused' | 'room-server-not-found' | 'room-server-timeout' | 'room-destroyed' | 'room-banned-now' | 'room-kicked' | 'room-membership-ended' | 'room-service-shutdown' | 'room-left' | 'room-policy-refused' | 'room-plaintext-refused']: ErrorParams<R>;
};

/** A room's problem: the reason and its parameters (for KlatschError and the room's view), and `text`, its English. */
export type RoomProblem = { [R in keyof RoomReasons]: { reason: R; params: RoomReasons[R]; text: string } }[keyof RoomReasons];

function problem<R extends keyof RoomReasons>(reason: R, params: RoomReasons[R], text: string): RoomProblem {
  return { reason, params, text } as RoomProblem;
}

/** As the room view and a notice carry it: no empty parameter list. */
export function roomErrorView(p: RoomProblem): { reason: string; params?: Record<string, string | number>; text: string } {
  return Object.keys(p.params).length > 0 ? { reason: p.reason, params: p.params, text: p.text } : { reason: p.reason, text: p.text };
}

/** The administrator's policy refuses a room it was in. */
export const ROOM_REFUSED_BY_POLICY = problem('room-policy-refused', {}, 'Your administrator\u2019s policy does not allow this group chat any more, so Klatsch did not enter it again.');
/** A room that is not end-to-end encrypted, where the administrator requires every message to be (`text`: the policy's words). */
export function roomPlaintextRefused(text: string): RoomProblem {
  return problem('room-plaintext-refused', {}, text);
}
/** The room let us go without saying why. */
export const ROOM_LEFT = problem('room-left', {}, 'You are no longer in this room.');

/**
 * Conditions that say the user's own server could not reach the room's server (RFC 6120 §8.3.3.15–16,
 * server-to-server). The server's own text ("Server-to-server connection failed: unable to resolve
 * service") says the same in jargon, so it is left out.
 */
export function roomServerProblem(condition: string | undefined, room: string): RoomProblem | undefined {
  const domain = room.includes('@') ? room.slice(room.indexOf('@') + 1) : room;
  switch (condition) {
    case 'remote-server-not-found':
      return problem(
        'room-server-not-found',
        { domain },
        `Your server could not find the server of this room (${domain}). Check the room's address; if it is right, that server may not exist or may not accept connections from your server.`,
      );
    case 'remote-server-timeout':
      return problem('room-server-timeout', { domain }, `Your server could not reach the server of this room (${domain}) in time. It may be down; try again later.`);
    default:
      return undefined;
  }
}

/** Why entering a room failed; `nickTaken` when the user should pick another nickname. */
export function joinRefusal(error: MucPresenceError): { problem: RoomProblem; nickTaken: boolean } {
  const said = error.text ?? '';
  const saidText = said ? ` (the room said: ${said})` : '';
  const refused = (reason: Exclude<keyof RoomReasons, 'room-nick-taken' | 'room-refused' | 'room-server-not-found' | 'room-server-timeout' | 'room-service-shutdown' | 'room-left' | 'room-policy-refused'>, english: string, nickTaken = false) => ({
    problem: problem(reason, { said }, `${english}${saidText}`),
    nickTaken,
  });
  switch (error.condition) {
    case 'conflict':
      return { problem: problem('room-nick-taken', { nick: error.nick }, `The nickname “${error.nick}” is already taken in this room. Choose another nickname.`), nickTaken: true };
    case 'not-authorized':
      return refused('room-password', 'This room needs a password, or the password was wrong.');
    case 'forbidden':
      return refused('room-banned', 'You are banned from this room.');
    case 'registration-required':
      return refused('room-members-only', 'This room is for members only.');
    case 'service-unavailable':
      return refused('room-unavailable', 'The room cannot be entered now; it may be full.');
    case 'item-not-found':
      return refused('room-not-found', 'This room does not exist or is not open yet.');
    case 'not-allowed':
      return refused('room-create-refused', 'The server does not let you create this room.');
    case 'not-acceptable':
    case 'jid-malformed':
      return refused('room-nick-refused', 'The room does not accept this nickname. Choose another nickname.', true);
    case 'remote-server-not-found':
    case 'remote-server-timeout':
      return { problem: roomServerProblem(error.condition, error.room)!, nickTaken: false };
    default:
      return { problem: problem('room-refused', { condition: error.condition, said }, `The room refused to let you in (${error.condition}).${saidText}`), nickTaken: false };
  }
}

/** Why the room no longer has us (our own unavailable presence); undefined: we left ourselves. */
export function removalReason(p: MucPresence): RoomProblem | undefined {
  const said = p.reason ?? '';
  const why = said ? ` Reason: ${said}` : '';
  if (p.destroyed) {
    const closed = p.destroyed.reason ?? '';
    return problem('room-destroyed', { said: closed }, `The room was closed by its owner.${closed ? ` Reason: ${closed}` : ''}`);
  }
  if (p.codes.has(STATUS_BANNED)) return problem('room-banned-now', { said }, `You were banned from this room.${why}`);
  if (p.codes.has(STATUS_KICKED)) return problem('room-kicked', { said }, `You were removed from this room (kicked).${why}`);
  if (p.codes.has(STATUS_AFFILIATION_REMOVED) || p.codes.has(STATUS_MEMBERS_ONLY)) return problem('room-membership-ended', { said }, `You are no longer a member of this room.${why}`);
  if (p.codes.has(STATUS_SHUTDOWN)) return problem('room-service-shutdown', {}, 'The group chat service shut down.');
  return undefined;
}
