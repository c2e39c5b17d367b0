/**
 * The engine's events for one contact turned into what the user sees: notices in the chat, our
 * messages' states, the authentication's progress and the privacy the header shows.
 */
import { randomUUID } from 'node:crypto';
import { sameOtrFingerprint } from '../../values/fingerprint.js';
import type { OtrEvent } from '../../otr/session.js';
import type { NotSentReason } from '../../../../shared/contract.js';
import { PRIVATE_WAIT_MS } from '../../../../shared/private-wait.js';
import type { PeerState, PrivateChatsDeps } from './private-chats-types.js';

/** An authentication that broke off, whatever the engine's reason: what the user can do about it. */
const SMP_ERROR_TEXT = 'The authentication could not be completed. You can start it again.';
/** PRIVATE_WAIT_MS in hours, for the texts. */
export const PRIVATE_WAIT_HOURS = PRIVATE_WAIT_MS / (60 * 60 * 1000);

/** What the events act on: the account's side, and the release of a key an SMP proved. */
export interface EventTarget {
  deps: PrivateChatsDeps;
  approveKey(peer: string, fingerprint: string, how: 'by-user' | 'by-proof'): Promise<boolean>;
}

/** `receivedId`: the id of the stanza whose reading gave these events. */
export function handleEvents(chats: EventTarget, peer: string, state: PeerState, events: OtrEvent[], receivedId?: string): void {
  // First what the engine asks about new keys: the banner reads it (via privacyChanged) from the first event on.
  for (const event of events) {
    if (event.type !== 'key-approval-needed') continue;
    const { changedFromVerified } = chats.deps.newKey?.(peer, event.fingerprint) ?? { changedFromVerified: false };
    state.newKeys.set(event.fingerprint, changedFromVerified || (state.newKeys.get(event.fingerprint) ?? false));
    // A finished authentication was about the old key: its "verified" must not stay beside this warning.
    if (state.smp && state.smp.phase !== 'running' && state.smp.phase !== 'asked') state.smp = undefined;
  }
  for (const event of events) {
    switch (event.type) {
      case 'private': {
        const verified = chats.deps.isVerified?.(peer, event.fingerprint);
        chats.deps.notice(
          peer,
          event.refreshed
            ? 'The private conversation was refreshed.'
            : verified
              ? 'Private conversation started. The contact is verified.'
              : `Private conversation started. ${peer} is not verified yet.`,
          { kind: event.refreshed ? 'private-refreshed' : verified ? 'private-started-verified' : 'private-started-unverified' },
        );
        state.expectsPrivacy = true;
        state.endedByUser = false;
        chats.deps.speaksOtr?.(peer);
        const waitsForUser = events.some((e) => e.type === 'key-approval-needed' && e.instance === event.instance);
        if (!waitsForUser) {
          void chats.deps.sawFingerprint?.(peer, event.fingerprint)?.catch?.(() => undefined);
          // The engine sends what it held in this same output: each one's queued-sent event follows.
          // What an earlier conversation carried and the contact did not confirm goes again (queued after this work).
          chats.deps.privateStarted?.(peer);
        }
        chats.deps.privacyChanged(peer);
        break;
      }
      case 'queued-sent': {
        const index = state.held.findIndex((h) => h.id === event.id);
        // Held messages leave only through the private conversation (queued-sent: encrypted now).
        if (index >= 0) chats.deps.messageState(peer, state.held.splice(index, 1)[0]!.id, 'sent', undefined, true);
        break;
      }
      case 'key-approval-needed': {
        const changedFromVerified = state.newKeys.get(event.fingerprint) ?? false;
        chats.deps.notice(
          peer,
          changedFromVerified
            ? `Warning: ${peer} is using a new key, although you had verified another one. This can mean a new device or an attack. Nothing is sent until you authenticate ${peer} or accept the new key.`
            : `${peer} is using a key you have not seen before. Nothing is sent until you authenticate ${peer} or accept the new key.`,
          { kind: changedFromVerified ? 'new-key-after-verified' : 'new-key' },
        );
        chats.deps.privacyChanged(peer);
        break;
      }
      case 'smp-request': {
        const id = randomUUID();
        state.smp = { phase: 'asked', id, ...(event.question !== undefined ? { question: event.question } : {}) };
        state.smpRequest = { id, engineRequest: event.request };
        chats.deps.notice(
          peer,
          event.question !== undefined ? `${peer} wants to authenticate you and asks: “${event.question}”` : `${peer} wants to authenticate you with a secret you both know.`,
          event.question !== undefined ? { kind: 'smp-question', detail: event.question } : { kind: 'smp-secret' },
          { private: true },
        );
        chats.deps.privacyChanged(peer);
        break;
      }
      case 'smp-progress':
        if (state.smp?.phase === 'running') state.smp = { ...state.smp, step: event.step };
        chats.deps.privacyChanged(peer);
        break;
      case 'smp-result':
        smpFinished(chats, peer, state, event.success, event.weVerifiedThem, event.fingerprint);
        break;
      case 'smp-aborted':
        if (event.replaced) {
          state.smp = { phase: 'aborted', byPeer: true, replaced: true };
          chats.deps.notice(
            peer,
            `${peer} sent a new authentication request before you answered the first one; both were cancelled. If ${peer} asks again, you will be asked again.`,
            { kind: 'smp-replaced' },
            { private: true },
          );
        } else if (state.smp && (state.smp.phase === 'running' || state.smp.phase === 'asked')) {
          state.smp = { phase: 'aborted', byPeer: event.byPeer };
          chats.deps.notice(
            peer,
            event.byPeer ? `${peer} cancelled the authentication.` : 'The authentication was cancelled.',
            { kind: event.byPeer ? 'smp-cancelled-by-peer' : 'smp-cancelled' },
            { private: true },
          );
        }
        chats.deps.privacyChanged(peer);
        break;
      case 'smp-error':
        // The engine's words ("unexpected SMP message 2") are for a bug report, not for the user.
        state.smp = { phase: 'error' };
        chats.deps.notice(peer, SMP_ERROR_TEXT, { kind: 'smp-error', debug: event.message }, { private: true });
        chats.deps.privacyChanged(peer);
        break;
      case 'finished':
        chats.deps.notice(peer, `${peer} ended the private conversation. End it too, or start a new one; nothing is sent until then.`, { kind: 'ended-by-peer' });
        chats.deps.privacyChanged(peer);
        break;
      case 'not-private':
        if (state.conversation.state === 'plaintext') state.newKeys.clear();
        chats.deps.privacyChanged(peer);
        break;
      case 'otr-off-received': {
        const otherScheme = chats.deps.otherScheme?.(peer);
        if (otherScheme !== undefined) {
          // Another scheme has the chat: offers go unanswered quietly, a message is reported once (never shown raw).
          if (event.what === 'message' && !state.toldOtherScheme) {
            state.toldOtherScheme = true;
            chats.deps.notice(peer, `${peer} sent an OTR message, which could not be read: this chat uses ${otherScheme.toUpperCase()}.`, { kind: 'otr-message-other-scheme', detail: otherScheme });
          }
          break;
        }
        chats.deps.notice(
          peer,
          event.what === 'message'
            ? `${peer} sent a private message, but private conversations are turned off for this contact.`
            : `${peer} wants to start a private conversation, but private conversations are turned off for this contact.`,
          { kind: event.what === 'message' ? 'private-message-otr-off' : 'private-request-otr-off' },
        );
        break;
      }
      case 'unreadable':
        // Named by its id: the sender may offer it again (same id) in a new private conversation (see Account).
        chats.deps.notice(peer, `A private message from ${peer} could not be read.`, { kind: 'unreadable' }, receivedId !== undefined ? { about: receivedId } : undefined);
        break;
      case 'remote-error':
        // The peer app's text is its own (protocol terms, any language): kept for a bug report only.
        chats.deps.notice(
          peer,
          `${peer}'s app reported a problem with the private conversation. If it happens again, end the private conversation and start a new one.`,
          { kind: 'peer-error', debug: event.message },
        );
        break;
      case 'version-refused':
        chats.deps.notice(
          peer,
          `${peer}'s app offered a private conversation only in the old OTR version 2, which your settings refuse. The conversation stays unencrypted.`,
          { kind: 'v2-refused' },
        );
        break;
      case 'unencrypted-received':
        chats.deps.notice(peer, 'The message above was not encrypted.', { kind: 'not-encrypted' });
        break;
      case 'send-failed':
        failHeld(chats.deps, peer, state, [event]);
        break;
      default:
        break; // heartbeats, AKE progress and protocol details are not for the chat
    }
  }
}

/** Trust like libotr's set_smp_trust: the side that would verify the key verifies it, or clears it on failure. */
function smpFinished(chats: EventTarget, peer: string, state: PeerState, success: boolean, weVerifiedThem: boolean, fingerprint: string): void {
  const role = state.smp?.phase === 'running' ? state.smp : { weStarted: false, question: undefined };
  const question = role.question !== undefined ? { question: role.question } : {};
  const wouldVerify = role.weStarted || role.question === undefined;
  state.smp = success
    ? { phase: 'succeeded', weStarted: role.weStarted, weVerifiedThem, ...question }
    : { phase: 'failed', weStarted: role.weStarted, ...question };
  chats.deps.notice(
    peer,
    success
      ? weVerifiedThem
        ? `Authentication succeeded: ${peer} is verified.`
        : `Authentication succeeded: ${peer} has verified you.`
      : 'Authentication failed: the answers did not match.',
    { kind: success ? (weVerifiedThem ? 'smp-verified' : 'smp-verified-by-them') : 'smp-failed' },
    { private: true },
  );
  const change = success ? (weVerifiedThem ? 'verify' : undefined) : wouldVerify ? 'clear' : undefined;
  // The proof was about the key that waits for acceptance: nothing more to accept. Only a proof the
  // user asked for: one the contact started is the contact's move, and never releases what waits.
  const waiting = state.conversation.keyAwaitingApproval;
  if (change === 'verify' && role.weStarted && waiting && sameOtrFingerprint(waiting, fingerprint)) {
    void chats.approveKey(peer, fingerprint, 'by-proof');
  }
  if (!change || !chats.deps.smpTrust) {
    chats.deps.privacyChanged(peer);
    return;
  }
  void chats.deps.smpTrust(peer, fingerprint, change).then(
    () => chats.deps.privacyChanged(peer),
    () => {
      chats.deps.notice(peer, 'The result could not be saved: the OTR store cannot be written.', { kind: 'trust-not-saved' });
      chats.deps.privacyChanged(peer);
    },
  );
}

/** Held messages the engine gave up on (send-failed) leave `held`, each marked failed with why. */
export function failHeld(deps: PrivateChatsDeps, peer: string, state: PeerState, events: OtrEvent[]): void {
  for (const event of events) {
    if (event.type !== 'send-failed') continue;
    const index = state.held.findIndex((h) => h.id === event.id);
    if (index < 0) continue;
    const [held] = state.held.splice(index, 1);
    deps.messageState(peer, held!.id, 'failed', failureText(peer, event));
  }
}

/** Why a message was not sent, by reason for the UI's words (what follows its "Not sent: "); the English as `text`. */
export function failureText(peer: string, event: Extract<OtrEvent, { type: 'send-failed' }>): NotSentReason | string {
  if (event.expired) {
    const text = `no private conversation with ${peer} could be made within ${PRIVATE_WAIT_HOURS} hours after it was written, and it does not go out unencrypted.`;
    return { reason: 'private-wait-expired', params: { peer, hours: PRIVATE_WAIT_HOURS }, text };
  }
  if (event.code === 'private-ended-by-peer') return { reason: event.code, params: { peer }, text: event.reason };
  return event.code !== undefined ? { reason: event.code, text: event.reason } : event.reason;
}
