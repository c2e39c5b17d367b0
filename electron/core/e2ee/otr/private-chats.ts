/**
 * Private conversations of one account over XMPP (XEP-0364): one OTR engine
 * conversation per contact, fed with message bodies, and its output turned
 * into stanzas, chat messages, notices and privacy changes. What goes on the
 * wire, and where, is decided here; the engine itself does no I/O.
 *
 * Rules kept here:
 * - OTR messages go to the full JID of the resource the private conversation
 *   is with; only the start (query, tagged plaintext) goes to the bare JID.
 * - A message the engine holds until the conversation is private is shown as
 *   'waiting' and becomes 'sent' or 'failed' later; none is sent in plaintext
 *   against the policy, none disappears silently.
 * - When the peer's resource goes offline, the private conversation ends,
 *   visibly.
 *
 * Here: sending, receiving, starting and ending, presence and connection. The layers below:
 * authentication and new keys (otr-authentication.ts), the conversations per contact and what
 * goes on the wire (otr-peers.ts), the engine's events as notices (otr-notices.ts), the
 * account's side and the per-contact state (private-chats-types.ts).
 */
import { bareJid } from '../../values/jid.js';
import { classifyMessage } from '../../otr/encoding.js';
import type { Privacy } from '../../../../shared/contract.js';
import { PRIVATE_WAIT_MS } from '../../../../shared/private-wait.js';
import { OtrAuthentication } from './otr-authentication.js';
import { CONNECTION_LOST, MAX_STRANGER_PEERS, OTR_PREFIX } from './otr-peers.js';
import { failHeld, failureText, PRIVATE_WAIT_HOURS } from './otr-notices.js';
import type { StanzaInfo } from './private-chats-types.js';

export type { IncomingText, OtrIdentity, OtrIdentitySource, PrivateChatsDeps, StanzaInfo } from './private-chats-types.js';
export { MAX_STRANGER_PEERS };

export class PrivateChats extends OtrAuthentication {
  /**
   * The user sends `text` (our message `id`, written at `writtenAt`) to `peer`. `requirePrivate`: it
   * was written in a private conversation (the outbox sends it after a reconnect or restart): it waits
   * for a new private conversation, started here, and never goes out in plaintext. So does one written
   * while the conversation expects privacy but is not private right now (the contact or we went
   * offline). A message that waits does so for PRIVATE_WAIT_MS from when it was written, then fails
   * with the reason; handed in again (every new stream does), it is held once and keeps its id.
   */
  send(
    peer: string,
    id: string,
    text: string,
    { requirePrivate = false, writtenAt }: { requirePrivate?: boolean; writtenAt?: number } = {},
  ): Promise<void> {
    return this.serialize(peer, async (state) => {
      state.userActed = true;
      const mustWait = requirePrivate || (state.expectsPrivacy && state.conversation.state === 'plaintext');
      // Reasons are what follows the UI's "Not sent: ".
      if (mustWait && this.deps.policyFor(peer) === 'never') {
        const text = 'this message was written in a private conversation, and private conversations are now turned off for this contact.';
        this.deps.messageState(peer, id, 'failed', { reason: 'private-turned-off', text });
        return;
      }
      if (mustWait && !state.expectsPrivacy) {
        state.expectsPrivacy = true; // written in a private conversation: nothing goes out in plaintext in this chat until the user ends it
        this.deps.privacyChanged(peer);
      }
      // "Wait for a private conversation before the first message": this one waits for it (started now, for
      // one AKE), instead of going out in plaintext with the offer, to a contact whose app is known to speak OTR.
      const waitsFirst =
        !mustWait &&
        !state.endedByUser &&
        state.conversation.state === 'plaintext' &&
        this.deps.policyFor(peer) === 'opportunistic' &&
        (this.deps.firstMessageWaits?.(peer) ?? false);
      // Only a message written in a private conversation waits that long; others wait for one AKE, as before.
      const waitUntil = mustWait ? { waitUntil: (writtenAt ?? this.deps.now()) + PRIVATE_WAIT_MS } : {};
      const out = state.conversation.sendText(text, { requirePrivate: mustWait || waitsFirst, id, ...waitUntil });
      // Events about this message carry its id; others in the same output (held ones that timed out) are theirs.
      const failed = out.events.find((e) => e.type === 'send-failed' && e.id === id);
      if (failed?.type === 'send-failed') {
        // Reported here, once (handed in again, it may have been among the held ones).
        if (state.held.some((h) => h.id === id)) failHeld(this.deps, peer, state, [failed]);
        else this.deps.messageState(peer, id, 'failed', failureText(peer, failed));
      } else if (out.events.some((e) => e.type === 'queued' && e.id === id)) {
        if (!state.held.some((h) => h.id === id)) state.held.push({ id });
        const text = `Waiting for a private conversation with ${peer}; it goes out by itself once there is one, or is marked not sent ${PRIVATE_WAIT_HOURS} hours after it was written.`;
        this.deps.messageState(peer, id, 'waiting', mustWait ? { reason: 'private-waiting', params: { peer, hours: PRIVATE_WAIT_HOURS }, text } : undefined);
      }
      // A held message gets its id on the stanza that finally carries it (queued-sent), not on the query.
      const held = state.held.some((h) => h.id === id);
      const delivered = await this.deliver(peer, state, { ...out, events: out.events.filter((e) => e !== failed) }, undefined, held ? undefined : id);
      if (!failed && !state.held.some((h) => h.id === id)) {
        const encrypted = out.events.some((e) => e.type === 'encrypted-sent');
        if (delivered) this.deps.messageState(peer, id, 'sent', undefined, encrypted);
        else this.deps.messageState(peer, id, 'failed', CONNECTION_LOST);
      }
    });
  }

  /** A message body from `from` (a full JID) arrived. */
  receive(from: string, stanza: StanzaInfo, body: string): Promise<void> {
    const peer = bareJid(from);
    if (!peer) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      if (body.includes(OTR_PREFIX) && from !== peer) state.resource = from;
      if (classifyMessage(body).kind !== 'plaintext') this.deps.speaksOtr?.(peer);
      const out = await this.computeSmp(state, state.conversation.receive(body));
      const instance = state.conversation.lastSenderInstance;
      if (instance !== undefined && from !== peer) {
        state.resources.set(instance, from);
        // Only instances the engine keeps (it bounds them), so random instance tags cannot grow this.
        for (const known of state.resources.keys()) if (!state.conversation.sessions.has(known)) state.resources.delete(known);
      }
      // The stanza id names the message it completed (the last one, when fragments end several).
      out.display.forEach((d, i) =>
        this.deps.show(peer, { ...stanza, id: i === out.display.length - 1 ? stanza.id : undefined, text: d.text, encrypted: d.encrypted }),
      );
      await this.deliver(peer, state, out, from, undefined, stanza.id);
    });
  }

  start(peer: string): Promise<void> {
    return this.serialize(peer, async (state) => {
      state.userActed = true;
      await this.deliver(peer, state, state.conversation.startPrivate(), undefined);
    });
  }

  /** Ends the conversation (OTR's disconnect to the peer); `quiet`: another scheme took the chat and says so itself. */
  end(peer: string, quiet = false): Promise<void> {
    return this.serialize(peer, async (state) => {
      const wasPrivate = state.conversation.state !== 'plaintext' || state.expectsPrivacy;
      state.expectsPrivacy = false;
      state.endedByUser = true;
      await this.deliver(peer, state, state.conversation.end(), undefined);
      if (wasPrivate && !quiet) this.deps.notice(peer, 'You ended the private conversation.', { kind: 'ended-by-us' });
      this.deps.privacyChanged(peer);
    });
  }

  /**
   * The contact's policy changed. Turned off ('never') during a private conversation: it ends on
   * both sides (the engine's end goes to the peer, who then sends nothing private), visibly.
   */
  setPolicy(peer: string): Promise<void> {
    if (!this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      const policy = this.deps.policyFor(peer);
      const wasPrivate = state.conversation.state !== 'plaintext' || state.expectsPrivacy;
      const wasEncrypted = state.conversation.state !== 'plaintext';
      const out = state.conversation.setPolicy(policy, this.deps.v3Only?.() ?? false);
      if (policy === 'never') state.expectsPrivacy = false;
      const otherScheme = this.deps.otherScheme?.(peer);
      if (otherScheme === undefined) state.toldOtherScheme = false;
      await this.deliver(peer, state, out, undefined);
      // Another scheme took the chat: the router ends OTR and says so itself.
      if (policy === 'never' && wasPrivate && otherScheme === undefined) {
        this.deps.notice(peer, 'Private conversations are now turned off for this contact; the private conversation has ended.', { kind: 'ended-otr-off' });
      } else if (wasEncrypted && state.conversation.state === 'plaintext') {
        // A version 2 conversation, ended by the v3-only setting (the peer was told).
        state.expectsPrivacy = false;
        this.deps.notice(peer, 'You ended the private conversation.', { kind: 'ended-by-us' });
      }
      this.deps.privacyChanged(peer);
    });
  }

  /** The policies of every conversation (the v3-only setting) changed: each follows now. */
  async policiesChanged(): Promise<void> {
    await Promise.all([...this.peers.keys()].map((peer) => this.setPolicy(peer).catch(() => undefined)));
  }

  /** The peer's resource went offline: a private conversation with it is over (nothing to tell it). */
  resourceOffline(full: string): Promise<void> {
    const peer = bareJid(full);
    if (!peer || !this.peers.has(peer)) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      state.askedOnline.delete(full); // its next coming online is a new one
      if (this.resourceOf(state) !== full || state.conversation.state === 'plaintext') return;
      this.endLocally(peer, state);
      this.deps.notice(peer, `${peer} went offline; the private conversation has ended.`, { kind: 'peer-offline' });
    });
  }

  /**
   * A resource of `full`'s contact came online after our private conversation with that contact ended
   * without the user ending it (they or we went offline). As libotr's opportunistic policy: no request
   * by itself (a contact without OTR would read it as text; the next message the user writes asks for
   * privacy, since this chat expects it). A request goes out only when messages wait for a private
   * conversation (starting one is what the user asked for) or the policy is "always"; once per coming online.
   */
  peerAvailable(full: string): Promise<void> {
    const peer = bareJid(full);
    if (!peer || !this.settled.get(peer)?.expectsPrivacy) return Promise.resolve();
    return this.serialize(peer, async (state) => {
      const policy = this.deps.policyFor(peer);
      if (!state.expectsPrivacy || state.conversation.akeInProgress() || policy === 'never') return;
      // Private with another resource, while messages of ours wait for the contact's confirmation: this may be
      // their app started again (killed before it decrypted them, its old connection not yet timed out at the
      // server). A new private conversation (with the same instance, or a second device) lets them go again.
      const unconfirmed = this.deps.unconfirmed?.(peer) ?? false;
      if (state.conversation.state === 'encrypted' && !(unconfirmed && this.resourceOf(state) !== full)) return;
      const waiting = state.held.length > 0 || unconfirmed;
      if (!waiting && policy !== 'always') return;
      // Both sides notice each other at once; with nothing waiting here only one starts, so that two AKEs do not cross.
      if (!waiting && this.deps.account.toLowerCase() > peer) return;
      // A presence seen twice (our probe's answer and the contact's own broadcast, a status change) asks once.
      if (state.askedOnline.has(full)) return;
      state.askedOnline.add(full);
      await this.deliver(peer, state, state.conversation.startPrivate(), undefined);
    });
  }

  /**
   * The account's key was replaced (an import): every private conversation made with the old one
   * ends, telling the peer; the next one is made with the new key. A chat that expected privacy
   * still does (nothing goes out in plaintext) until the user ends it or a new one is private.
   */
  async identityChanged(): Promise<void> {
    const peers = [...this.peers.keys()];
    const expectingPrivacy = new Set<string>();
    await Promise.all(
      peers.map((peer) =>
        this.serialize(peer, async (state) => {
          const wasPrivate = state.conversation.state === 'encrypted';
          if (state.conversation.state !== 'plaintext' || state.expectsPrivacy) expectingPrivacy.add(peer);
          const out = state.conversation.end();
          failHeld(this.deps, peer, state, out.events);
          await this.deliver(peer, state, { ...out, events: [] }, undefined);
          if (wasPrivate) {
            this.deps.notice(peer, 'Your key was replaced; the private conversation has ended. Start a new one to use the new key.', { kind: 'key-replaced' });
          }
        }).catch(() => undefined),
      ),
    );
    for (const peer of peers) {
      this.peers.delete(peer);
      this.settled.delete(peer);
    }
    // The new conversations (with the new key) are made now, so privacy() never reads "plaintext" in between.
    await Promise.all(
      peers.map(async (peer) => {
        if (expectingPrivacy.has(peer)) await this.state(peer, { expectsPrivacy: true }).catch(() => undefined);
        this.deps.privacyChanged(peer);
      }),
    );
  }

  /**
   * Our own connection ended: every private conversation is over, and so is a request for one made on
   * that stream (it may never have reached the server): what waits asks again on the next stream.
   * The chat says that it was our connection, not the contact, that went away (their presence is
   * unknown now, not offline).
   */
  disconnected(): Promise<void> {
    const ended = [...this.peers.keys()].map((peer) =>
      this.serialize(peer, async (state) => {
        const conversation = state.conversation;
        state.askedOnline.clear(); // the next stream sees every presence anew
        const wasPrivate = conversation.state === 'encrypted';
        if (conversation.state !== 'plaintext' || conversation.queuedCount > 0 || conversation.akeInProgress()) this.endLocally(peer, state);
        if (wasPrivate) this.deps.notice(peer, 'You went offline; the private conversation has ended.', { kind: 'own-offline' });
      }).catch(() => undefined),
    );
    return Promise.all(ended).then(() => undefined);
  }

  /**
   * We sign out or quit: every private conversation ends properly, as libotr clients do (the peer gets
   * the "disconnected" message and goes back to plaintext instead of encrypting to a session that is
   * gone). Resolves once those messages were handed to the stream. The chat says that our going
   * offline ended it; a conversation the user expected private stays so (nothing goes out in
   * plaintext until it is private again or the user ends it).
   */
  signingOff(): Promise<void> {
    const ended = [...this.peers.keys()].map((peer) =>
      this.serialize(peer, async (state) => {
        if (state.conversation.state !== 'encrypted') return;
        // The peer is told; what the user wrote and is held waits for the next private conversation, as after a drop.
        const out = state.conversation.end({ keepWaiting: true });
        failHeld(this.deps, peer, state, out.events);
        await this.deliver(peer, state, { ...out, events: [] }, undefined);
        state.resource = undefined;
        state.resources.clear();
        this.deps.notice(peer, 'You went offline; the private conversation has ended.', { kind: 'own-offline' });
        this.deps.privacyChanged(peer);
      }).catch(() => undefined),
    );
    return Promise.all(ended).then(() => undefined);
  }

  /** Timers of the engine (AKE timeouts for held messages). Call every few seconds. */
  tick(): void {
    // Strangers made in a burst (all busy then) are let go once idle.
    this.trimStrangers(MAX_STRANGER_PEERS);
    // A copy: serialize() moves each peer to the end of the map.
    for (const peer of [...this.peers.keys()]) {
      void this.serialize(peer, (state) => this.deliver(peer, state, state.conversation.poll(), undefined));
    }
  }

  /**
   * Whether a plaintext message with `peer` gets the "not encrypted" notice now: the engine's rule for
   * live messages (a private or ended conversation, or a policy that requires encryption), for the
   * copies of another device of ours (carbons), which never pass the engine.
   */
  plaintextNeedsNotice(peer: string): boolean {
    const conversation = this.settled.get(peer)?.conversation;
    if (!conversation) return this.deps.policyFor(peer) === 'always';
    return conversation.state !== 'plaintext' || conversation.policyFlags.requireEncryption;
  }

  /** Whether an OTR session runs with `peer` (private, or finished by the peer): one to end before another scheme takes the chat. */
  inSession(peer: string): boolean {
    const state = this.settled.get(peer);
    return !!state && state.conversation.state !== 'plaintext';
  }

  /** Every peer inSession() holds for now. */
  peersInSession(): string[] {
    return [...this.settled.keys()].filter((peer) => this.inSession(peer));
  }

  /**
   * Whether the conversation with `peer` is in OTR's hands now: private or ended (not by the user),
   * expected private, or holding messages for a private conversation.
   */
  engaged(peer: string): boolean {
    const state = this.settled.get(peer);
    if (!state) return false;
    return state.conversation.state !== 'plaintext' || state.expectsPrivacy || state.held.length > 0;
  }

  privacy(peer: string): Privacy | undefined {
    const state = this.settled.get(peer);
    if (!state) return undefined;
    const conversation = state.conversation;
    // Ended without the user ending it: shown like "finished" (nothing is sent until the user decides).
    if (conversation.state === 'finished' || (state.expectsPrivacy && conversation.state !== 'encrypted')) return 'finished';
    const session = conversation.privateSession;
    if (conversation.state !== 'encrypted' || !session) return undefined;
    return this.deps.isVerified?.(peer, session.fingerprint) ? 'private-verified' : 'private';
  }
}
