/**
 * Authentication (SMP) and the contact's new keys in PrivateChats: the user's questions and answers,
 * accepting or verifying a key, and what the UI shows about both.
 */
import { sameOtrFingerprint } from '../../values/fingerprint.js';
import { KlatschError } from '../../errors.js';
import type { SmpView } from '../../../../shared/contract.js';
import { OtrPeers } from './otr-peers.js';
import type { PeerState } from './private-chats-types.js';

export abstract class OtrAuthentication extends OtrPeers {
  /** Ask `question` (or compare a shared secret, without one). */
  startSmp(peer: string, secret: string, question: string | undefined): Promise<void> {
    return this.serialize(peer, async (state) => {
      if (state.conversation.state !== 'encrypted') throw new KlatschError('invalid-request', 'Authenticating needs a private conversation: start one first.', { reason: 'smp-needs-private' });
      const out = await this.computeSmp(state, state.conversation.startSmp(secret, question));
      if (out.events.some((e) => e.type === 'smp-progress')) {
        state.smp = { phase: 'running', weStarted: true, step: 1, ...(question !== undefined ? { question } : {}) };
      }
      await this.deliver(peer, state, out, undefined);
      this.deps.privacyChanged(peer);
    });
  }

  /** Answer the contact's request `requestId` (the one the user read), never another. */
  respondSmp(peer: string, requestId: string, secret: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      const asked = state.smp?.phase === 'asked' ? state.smp : undefined;
      if (!asked || state.conversation.state !== 'encrypted') throw new KlatschError('invalid-request', 'There is no authentication request to answer.', { reason: 'smp-no-request' });
      const request = state.smpRequest;
      if (asked.id !== requestId || request?.id !== requestId) {
        throw new KlatschError('invalid-request', 'The authentication request changed before you answered; nothing was sent. Read the new request, then answer it.', { reason: 'smp-request-changed' });
      }
      const out = await this.computeSmp(state, state.conversation.respondSmp(secret, undefined, request.engineRequest));
      if (out.events.some((e) => e.type === 'smp-progress')) {
        state.smp = { phase: 'running', weStarted: false, step: 2, ...(asked?.question !== undefined ? { question: asked.question } : {}) };
      }
      await this.deliver(peer, state, out, undefined);
      this.deps.privacyChanged(peer);
    });
  }

  abortSmp(peer: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      await this.deliver(peer, state, state.conversation.abortSmp(), undefined);
      state.smp = undefined;
      this.deps.privacyChanged(peer);
    });
  }

  /** The user read the result: nothing to show any more. */
  dismissSmp(peer: string): Promise<void> {
    if (!this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      if (state.smp && state.smp.phase !== 'running' && state.smp.phase !== 'asked') state.smp = undefined;
      this.deps.privacyChanged(peer);
    });
  }

  /**
   * The user accepts the contact's new key `fingerprint` ("XXXXXXXX …"), the one they were shown, unverified:
   * what waited goes out, and the chat says so. False (nothing approved) if that is not the key waiting now.
   */
  acceptKey(peer: string, fingerprint: string): Promise<boolean> {
    return this.approveKey(peer, fingerprint, 'by-user');
  }

  /**
   * The user verified or unverified `peer`'s key `fingerprint` ("XXXXXXXX …") by comparing fingerprints, or
   * forgot a verified one: the chat says so, so that its log never contradicts the header. A key that waited
   * for acceptance and is verified now needs no acceptance any more (as after an SMP proof).
   */
  async trustChangedByUser(peer: string, fingerprint: string, change: 'verified' | 'unverified' | 'forgotten'): Promise<void> {
    const said = {
      verified: { text: `You verified ${peer}'s key ${fingerprint} by comparing fingerprints.`, kind: 'verified-by-fingerprint' },
      unverified: { text: `You marked ${peer}'s key ${fingerprint} as not verified.`, kind: 'unverified-by-fingerprint' },
      forgotten: { text: `You forgot ${peer}'s verified key ${fingerprint}; it is not verified any more.`, kind: 'key-forgotten' },
    } as const;
    this.deps.notice(peer, said[change].text, { kind: said[change].kind, detail: fingerprint });
    if (change === 'verified') await this.approveKey(peer, fingerprint, 'by-proof');
    this.deps.privacyChanged(peer);
  }

  /** The new key `fingerprint` waits no more: what waited goes out. Only the user's acceptance is a notice (a proof has its own). */
  protected approveKey(peer: string, fingerprint: string, how: 'by-user' | 'by-proof'): Promise<boolean> {
    if (!this.peers.has(peer)) return Promise.resolve(false);
    return this.serialize(peer, async (state) => {
      const accepted = state.conversation.keyAwaitingApproval;
      if (!accepted || !sameOtrFingerprint(accepted, fingerprint)) return false;
      state.newKeys.delete(accepted);
      if (how === 'by-user') {
        this.deps.notice(peer, `You accepted ${peer}'s new key ${accepted} without verifying it.`, { kind: 'key-accepted', detail: accepted });
      }
      // What waited goes out now; its queued-sent events mark each message sent.
      await this.deliver(peer, state, state.conversation.approveKey(accepted), undefined);
      this.deps.privateStarted?.(peer); // what the contact did not confirm goes too, as in any new private conversation
      await this.deps.sawFingerprint?.(peer, accepted)?.catch?.(() => undefined);
      this.deps.privacyChanged(peer);
      return true;
    });
  }

  /** What the UI shows about the conversation's keys and authentication. */
  details(peer: string): { fingerprint?: string; keyWarning?: { fingerprint: string; changedFromVerified: boolean }; smp?: SmpView } {
    const state = this.settled.get(peer);
    if (!state) return {};
    const fingerprint = state.conversation.privateSession?.fingerprint;
    const keyWarning = this.keyWarning(state);
    return {
      ...(fingerprint ? { fingerprint } : {}),
      ...(keyWarning ? { keyWarning } : {}),
      ...(state.smp ? { smp: state.smp } : {}),
    };
  }

  /** The new key messages wait for: the key of the conversation they would go to (as the header shows it). */
  private keyWarning(state: PeerState): { fingerprint: string; changedFromVerified: boolean } | undefined {
    const fingerprint = state.conversation.keyAwaitingApproval;
    return fingerprint ? { fingerprint, changedFromVerified: state.newKeys.get(fingerprint) ?? false } : undefined;
  }
}
