// What the OTR engine hands back to the app: wire texts to send, texts to
// show and events. The engine does no I/O; the app sends `send` in order,
// shows `display`, and reacts to `events` (libotr's handle_msg_event and
// gone_secure / gone_insecure / still_secure callbacks, as values).

import type { SmpState, SmpStep } from './smp.js';

/** One received message for the chat view. */
export interface DisplayedMessage {
  readonly text: string;
  /** True only for text that arrived inside a verified data message. */
  readonly encrypted: boolean;
}

export interface OtrTlvRecord {
  readonly type: number;
  readonly value: Uint8Array;
}
/** Why the engine did not send a message, by code (shared/error-reasons.ts): the UI's words for `reason`. */
export type SendFailedCode = 'private-too-long' | 'private-not-encrypted' | 'private-ended-by-peer' | 'private-wait-expired' | 'private-ended' | 'private-closed' | 'private-not-started' | 'private-queue-full';


export type OtrEvent =
  /**
   * An AKE completed: the conversation with `instance` is private (again, if
   * `refreshed`: same fingerprint as before). `fingerprint` is the peer's key
   * ("XXXXXXXX XXXXXXXX …"), `ssid` "%08x %08x"; the spec shows the first
   * half in bold if we are the `initiator` (sent the Reveal Signature), else the second.
   */
  | { type: 'private'; ssid: string; fingerprint: string; instance: number; version: 2 | 3; refreshed: boolean; initiator: boolean }
  /** We left the private conversation (end()) or it was torn down: messages go in plaintext. */
  | { type: 'not-private'; instance: number }
  /** The peer ended its side (disconnected TLV): nothing is sent until end() or a new AKE. */
  | { type: 'finished'; instance: number }
  /** An encrypted message could not be read (no keys, bad MAC, replayed counter, malformed). */
  | { type: 'unreadable'; reason: string; instance: number }
  /** A local protocol problem (malformed message, failed AKE, bad encoding). */
  | { type: 'error'; message: string }
  /** The peer sent an OTR Error Message; show it as a notice. */
  | { type: 'remote-error'; message: string }
  /** A plaintext message arrived while private / under 'always': show it with a warning. */
  | { type: 'unencrypted-received'; text: string }
  /**
   * Internal: an SMP TLV (types 2-7) arrived in a verified data message.
   * OtrConversation.receive handles it (smp-session.ts) and never returns this event.
   */
  | { type: 'smp-tlv'; tlv: OtrTlvRecord; instance: number }
  // ---- SMP (Socialist Millionaires' Protocol; OtrConversation.startSmp / respondSmp / abortSmp) ----
  /**
   * The peer started SMP: ask the user for the secret — or for the answer to
   * `question` (TLV 7) — then call respondSmp(secret, instance, request) or abortSmp().
   * `request` names this request (a later one gets another number), so that an answer
   * typed for one request is never used for another.
   */
  | { type: 'smp-request'; question?: string; instance: number; request: number }
  /**
   * SMP message `step` (1-4) was just sent: 1 by startSmp (initiator), 2 by
   * respondSmp (responder), 3 by the initiator on SMP message 2, 4 by the
   * responder on message 3 (its smp-result follows). libotr's percentages: 25 / 60 / 100.
   */
  | { type: 'smp-progress'; step: 1 | 2 | 3 | 4; instance: number }
  /**
   * SMP finished; both sides learn whether the secrets matched (`success`).
   * `weVerifiedThem`: this side may now mark `fingerprint` (the peer's key,
   * "XXXXXXXX …") as verified — the initiator on success, the responder on
   * success only if no question was asked (libotr's set_smp_trust: answering
   * someone's question proves who we are to them, not who they are to us).
   * On failure libotr resets that fingerprint's trust on the same sides.
   */
  | { type: 'smp-result'; success: boolean; weVerifiedThem: boolean; fingerprint: string; instance: number }
  /**
   * The SMP in progress (or the request waiting for an answer) ended: the peer
   * sent an abort or ended the private conversation (`byPeer`), or we aborted,
   * restarted, ended or re-keyed with another key. `replaced`: the peer sent a new request
   * while one waited for the user's answer; both are dropped (we sent an abort).
   */
  | { type: 'smp-aborted'; byPeer: boolean; instance: number; replaced?: true }
  /**
   * SMP went wrong: an unexpected, malformed or cheating SMP message (we sent
   * an abort, SMP is back to the start), or a user action that cannot be done
   * now (not private, nothing to answer). Any SMP of `instance` is over.
   */
  | { type: 'smp-error'; message: string; instance?: number }
  /**
   * A queued message (`id` as given to sendText) went out encrypted: `out.send[lastSend]` is its
   * last fragment (the transport may give that stanza the message's id, so a receipt for it names the message).
   */
  | { type: 'queued-sent'; id?: string; text: string; lastSend: number }
  /**
   * The private conversation just started uses a key `keyNeedsApproval` flagged:
   * the user's messages wait (queued) until approveKey() or end().
   */
  | { type: 'key-approval-needed'; fingerprint: string; instance: number }
  /** The peer asked to use the extra symmetric key (TLV 8); `key` is the 32-byte key. */
  | { type: 'symmetric-key'; use: number; useData: Uint8Array; key: Uint8Array; instance: number }
  /**
   * smpDeferred: SMP math to compute off the main thread (runSmpStep(job.state, job.step)); hand the
   * result to smpComputed(job.id, …) before anything else reaches this conversation. Holds secrets: never log it.
   */
  | { type: 'smp-compute'; job: SmpJob }
  /** A heartbeat (empty data message) was received or sent; never shown. */
  | { type: 'heartbeat'; direction: 'received' | 'sent'; instance: number }
  /** The text of this sendText() was encrypted and is in `send` (without this event it went out in plaintext, waits or failed). */
  | { type: 'encrypted-sent' }
  /** A message (`id` as given to sendText) is held until the conversation is private. */
  | { type: 'queued'; id?: string; count: number }
  /**
   * A message the user typed (`id` as given to sendText) was not sent (and never will be by the
   * engine). One sendText may report others that waited, too: match by `id`. `expired`: it waited
   * for a private conversation until its own `waitUntil`. `reason`: a plain sentence for the user
   * (after "Not sent: "), `code` the same for the UI's own words; `debug`: the engine's own words, never shown.
   */
  | { type: 'send-failed'; id?: string; text: string; reason: string; code?: SendFailedCode; expired?: true; debug?: string }
  /**
   * OTR is off ('never') and the peer sent OTR anyway: a private `message` (data or fragment,
   * never shown: it is ciphertext) or a `request` to start one (query). Nothing was shown.
   */
  | { type: 'otr-off-received'; what: 'message' | 'request' }
  /** A Query Message or whitespace tag started (or we answered) an AKE. */
  | { type: 'ake-started'; version: 2 | 3 }
  /** A v3 message addressed to another of our instances was dropped. */
  | { type: 'other-instance' }
  /** An OTR message was ignored (unknown type, disallowed version, ...). */
  | { type: 'ignored'; reason: string }
  /**
   * The peer offered or started only OTR version 2, which the v3-only setting refuses: an old app,
   * or an attacker who removed the "3" from an offer. The conversation stays as it was.
   */
  | { type: 'version-refused'; version: 2 };

/** One SMP step to compute elsewhere (see smp-compute). */
export interface SmpJob {
  id: number;
  state: SmpState;
  step: SmpStep;
}

export interface OtrOutput {
  /** Wire texts, already fragmented, to send in this order. */
  send: string[];
  display: DisplayedMessage[];
  events: OtrEvent[];
}

/** `{ id }` for events about a message the caller named, `{}` otherwise. */
export function messageId(id: string | undefined): { id?: string } {
  return id === undefined ? {} : { id };
}

export function emptyOutput(): OtrOutput {
  return { send: [], display: [], events: [] };
}

/** Appends `more` onto `into` (in place) and returns `into`. */
export function mergeOutput(into: OtrOutput, more: OtrOutput): OtrOutput {
  into.send.push(...more.send);
  into.display.push(...more.display);
  into.events.push(...more.events);
  return into;
}
