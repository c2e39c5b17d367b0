/**
 * The delivery state machine of one account's one-to-one messages. The outbox keeps the user's messages until
 * the server has them (XEP-0198 acknowledgements), a private one until the contact's app confirms it (XEP-0184);
 * what is on its way on the current stream is in flight; a new or resumed stream flushes the rest, oldest first.
 * Acknowledgements, receipts and bounces turn a message 'sent', 'delivered', 'waiting' or 'failed'.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../shared/contract.js';
import { PRIVATE_WAIT_MS } from '../../../shared/private-wait.js';
import type { ChatLog } from '../chat-log.js';
import type { Envelope } from '../e2ee/provider.js';
import type { E2eeRouter } from '../e2ee/router.js';
import type { HistoryStore } from '../store/history-store.js';
import type { OutboxEntry, OutboxStore } from '../store/outbox-store.js';
import type { ConnectionManager } from '../xmpp/connection-manager.js';
import { domainOfAddress, isRemoteServerCondition } from '../xmpp/remote-server.js';
import type { ParsedMessage } from '../xmpp/stanzas.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { latencyProbe } from '../latency-probe.js';
import { KlatschError } from '../errors.js';
import { bareJid } from '../values/jid.js';
import { Transmitter, type OutgoingFilter } from './outgoing.js';
import { RemoteRetries } from './remote-retries.js';

/** What the account gives its delivery. */
export interface DeliveryHost {
  /** The user's messages until the server has them. */
  outbox: OutboxStore;
  /** The chats in memory, and the stored history (a restored outbox entry may be older than what is in memory). */
  chats: ChatLog;
  history: HistoryStore | undefined;
  connection: Pick<ConnectionManager, 'activeSession' | 'state'>;
  e2ee: Pick<E2eeRouter, 'send' | 'resourceOffline'>;
  /** The chat with `peer` is plaintext and may stay so: no private conversation, no policy that requires one. */
  plaintextChat(peer: string): boolean;
  /** Into the chat and the history (chats/chat-writer.ts); `announce` false: the caller tells the UI itself. */
  upsertMessage(message: ChatMessage, durably?: boolean, announce?: boolean): ChatMessage;
  /** Tells the UI of a message (sendMessage: once it is on disk). */
  announce(message: ChatMessage): void;
  /** Ending the private conversations of a lost stream: what fails meanwhile fails for that, and goes out again. */
  losingStream(): Promise<void> | undefined;
  /**
   * The archive's catch-up of the current stream: the contact's receipts that came to a stream of ours that died are
   * only there. Private messages the server has wait for it before they go again (most turn out confirmed).
   */
  catchingUp(): Promise<void>;
  /** What every stanza carrying the user's message passes before it leaves, in order (delivery/outgoing.ts). */
  filters: readonly OutgoingFilter[];
  /** Whether `peer`'s app confirms messages (receipts/receipt-support.ts): undefined while unknown. */
  confirms(peer: string): boolean | undefined;
  backoff: { baseMs?: number; maxMs?: number } | undefined;
  now(): number;
}

export class Delivery {
  /** Outbox messages put on the current stream (or one it resumes), waiting for the server's acknowledgement. */
  private readonly inFlight = new Set<string>();
  /** Messages our server bounced because it could not reach the contact's server (federation), sent again in a while. */
  private readonly retries = new RemoteRetries();
  /** Puts stanzas on the stream, and remembers which of the user's messages the stream refused. */
  private readonly wire: Transmitter;
  /** The outbox is being sent on this stream; `flushAgain`: something went back into it meanwhile. */
  private flushing: XmppSession | undefined;
  private flushAgain = false;
  /** The stream whose flush went through the whole outbox: new messages go out on it directly. */
  private flushedFor: XmppSession | undefined;
  /** The time of writing given to the user's last message (writtenNow). */
  private lastWrittenAt = 0;

  constructor(private readonly host: DeliveryHost) {
    // When it was written: the outbox's entry, or (a copy sent after the entry left it: confirmed meanwhile) the chat's.
    this.wire = new Transmitter(host.connection, (id, to) => this.outbox.get(id)?.timestamp ?? this.host.chats.find(bareJid(to) ?? to, id, 'out')?.timestamp, host.filters);
  }

  private get outbox(): OutboxStore {
    return this.host.outbox;
  }

  /** The E2eeHost's transmit: one stanza of an encryption provider's output on the current stream. */
  transmit(envelope: Envelope): Promise<void> {
    return this.wire.transmit(envelope);
  }

  /** Sends through the contact's private conversation (or in plaintext where the policy allows it). */
  async sendMessage(to: string, body: string): Promise<ChatMessage> {
    const peer = bareJid(to);
    if (!peer) throw new KlatschError('invalid-request', 'That is not a valid address.', { reason: 'invalid-address' });
    // Signed out (by the user or for good): not sent. On the way back (connecting, reconnecting): the outbox keeps it.
    const kind = this.host.connection.state.kind;
    if (kind === 'offline' || kind === 'error') throw new KlatschError('not-connected', 'You are not connected; the message was not sent.', { reason: 'offline-not-sent' });
    // Written in a private conversation (or under "always"): it may leave only encrypted, also after a restart.
    const mustBePrivate = !this.host.plaintextChat(peer);
    const message: ChatMessage = { id: randomUUID(), peer, direction: 'out', body, timestamp: this.writtenNow(), state: 'sending', ...(mustBePrivate ? { encrypted: true } : {}) };
    // In the outbox and in the history as "sending" in one commit (one database), on disk (fsync'd) before the user
    // sees it and before anything goes on the wire: killed at any point after, Klatsch sends it after the restart
    // (without a writable outbox it is still kept in memory). Meanwhile a flush of the outbox (a stream just came
    // up) leaves it alone: it is this call's to send.
    this.inFlight.add(message.id);
    const durable = this.outbox.add({ id: message.id, peer, body, timestamp: message.timestamp, private: mustBePrivate });
    this.host.upsertMessage(message, false, false);
    await durable.catch(() => undefined);
    latencyProbe.mark?.('outbox-written', message.id);
    this.host.announce(this.host.chats.find(peer, message.id, 'out') ?? message);
    const entry = this.outbox.get(message.id);
    const session = this.host.connection.activeSession;
    // Oldest first: until this stream's flush has sent what waited longer, the flush sends this one too, after them.
    if (entry && session && this.flushedFor === session && this.flushing !== session) await this.transmitFromOutbox(entry);
    else {
      this.inFlight.delete(message.id);
      if (session && this.flushing === session) this.flushAgain = true;
    }
    const now = this.host.chats.find(peer, message.id, 'out') ?? message;
    // Marked private when written privately, or when the engine encrypted it (messageState): never by the chat's state now.
    return now;
  }

  /**
   * The time of writing of the user's next message: its stamp orders it at the contact's (message-time.ts), so two
   * written in the same millisecond (sends queued while the app was busy) get different ones, in the order written.
   */
  private writtenNow(): number {
    this.lastWrittenAt = Math.max(this.host.now(), this.lastWrittenAt + 1);
    return this.lastWrittenAt;
  }

  /** A failed message, or one the contact's app did not confirm (receipts/unconfirmed.ts), goes out again, privately if the conversation is private now. */
  async resendMessage(peer: string, id: string): Promise<ChatMessage> {
    const message = this.host.chats.find(peer, id, 'out');
    if (!message || (message.state !== 'failed' && !(message.state === 'sent' && message.unconfirmed))) throw new KlatschError('not-found', 'There is no failed message to send again.', { reason: 'no-failed-message' });
    if (!this.host.connection.activeSession) throw new KlatschError('not-connected', 'You are not connected; the message was not sent.', { reason: 'offline-not-sent' });
    // Private or not as the chat is now: the user may have ended the private conversation to send it in plaintext.
    const mustBePrivate = !this.host.plaintextChat(peer);
    const { error: _error, encrypted: _before, ...rest } = message;
    this.inFlight.add(id); // ours to send, as in sendMessage
    // Into the outbox and "sending" in the history in one commit, as in sendMessage.
    const durable = this.outbox.add({ id, peer, body: message.body, timestamp: message.timestamp, private: mustBePrivate });
    this.host.upsertMessage({ ...rest, state: 'sending', ...(mustBePrivate ? { encrypted: true } : {}) });
    await durable.catch(() => undefined);
    const entry = this.outbox.get(id); // acknowledged meanwhile (a flush of the outbox sent it): nothing left to do
    if (entry) await this.transmitFromOutbox(entry);
    // How it went out is on the message now (messageState): the engine's record, not the chat's state.
    return this.host.chats.find(peer, id, 'out')!;
  }

  /** The E2eeHost's messageState: the engine reports on our message `id`. */
  messageState(peer: string, id: string, given: 'sent' | 'waiting' | 'failed', reason?: ChatMessage['error'], leftEncrypted?: boolean): void {
    const state = this.outboxState(id, given, reason, leftEncrypted);
    const error = state === 'sending' ? undefined : reason;
    const message = this.host.chats.find(peer, id, 'out');
    if (!message) return;
    // Whether it went out private is what the engine did with it, recorded as it leaves.
    const privately = leftEncrypted ?? message.encrypted ?? false;
    // A receipt may arrive before we noted that the message went out, or a copy may go again (its receipt was
    // late): 'delivered' stays, the contact's app has it.
    if (message.state === 'delivered') {
      if (privately !== (message.encrypted ?? false)) this.host.upsertMessage(withEncrypted(message, privately));
      return;
    }
    const { error: _old, ...rest } = message;
    this.host.upsertMessage(withEncrypted({ ...rest, state, ...(error ? { error } : {}) }, privately));
  }

  /** Messages that were waiting when Klatsch stopped show as 'sending' again, and go out with the next session. */
  restore(): void {
    for (const entry of this.outbox.entries()) {
      const known = this.host.chats.find(entry.peer, entry.id, 'out') ?? this.host.history?.find(entry.peer, entry.id, 'out');
      // The history has it as sent or delivered (an earlier version's outbox file lagged behind it). Done, not sent again
      // (a private one still waits for the contact's confirmation, if their app gives one: onAcked).
      const onServer = entry.onServer || known?.state === 'sent';
      if (known?.state === 'delivered' || (known?.state === 'sent' && !this.waitsForReceipt({ ...entry, onServer: true }))) {
        this.outbox.remove(entry.id);
        continue;
      }
      if (onServer && !entry.onServer) this.outbox.setOnServer(entry.id, true);
      const { error: _error, ...rest } = known ?? { id: entry.id, peer: entry.peer, direction: 'out' as const, body: entry.body, timestamp: entry.timestamp, state: 'sending' as const };
      this.host.chats.upsert({
        ...rest,
        state: entry.failed ? 'failed' : onServer ? 'sent' : 'sending',
        ...(entry.failed ? { error: entry.failedReason ?? entry.failed } : {}),
        ...(entry.private ? { encrypted: true } : {}),
      });
    }
  }

  /**
   * Puts one outbox message on the current stream. The first time, the chat's rules decide as for any
   * message (they keep a private one private). `again` (a new stream, a restart): the private conversation
   * it was written in is gone, so a private one waits for a new one, started for it, never in plaintext.
   */
  private async transmitFromOutbox(entry: OutboxEntry, again = false): Promise<void> {
    this.retries.goingNow(entry.id);
    this.inFlight.add(entry.id);
    await this.host.e2ee.send(entry.peer, entry.id, entry.body, { requirePrivate: again && entry.private, writtenAt: entry.timestamp }).catch(() => {
      this.inFlight.delete(entry.id);
      const message = this.host.chats.find(entry.peer, entry.id, 'out');
      if (message) this.host.upsertMessage({ ...message, state: 'failed', error: { reason: 'not-prepared', text: 'The message could not be prepared for sending.' } });
      this.outbox.setFailed(entry.id, 'The message could not be prepared for sending.');
    });
  }

  /** A new stream (not resumed): the old one is gone, and with it what it had not acknowledged: the outbox sends all of that again. */
  newStream(): void {
    this.inFlight.clear();
  }

  /** A new or resumed stream: what waits (and is not on its way already) goes out, oldest first. */
  async flush(session: XmppSession): Promise<void> {
    // One pass at a time per stream, so that the oldest goes first; a message put back meanwhile makes it start over.
    if (this.flushing === session) {
      this.flushAgain = true;
      return;
    }
    this.flushing = session;
    let unconfirmed = false;
    try {
      await this.host.losingStream();
      do {
        this.flushAgain = false;
        for (const entry of this.outbox.entries()) {
          if (!session.isOpen || this.host.connection.activeSession !== session) return;
          if (entry.failed || this.inFlight.has(entry.id)) continue;
          if (entry.onServer) {
            if (!this.waitsForReceipt(entry)) {
              this.outbox.remove(entry.id); // unconfirmed for PRIVATE_WAIT_MS: it stays "sent", and goes no more
              continue;
            }
            // A resumed stream goes on with the same private conversations: nothing of theirs was lost. On a new one it
            // goes again once the archive was read (resendUnconfirmed); what was never sent does not wait for that.
            unconfirmed = true;
            continue;
          }
          await this.transmitFromOutbox(entry, true);
        }
      } while (this.flushAgain);
      this.flushedFor = session;
    } finally {
      if (this.flushing === session) this.flushing = undefined;
    }
    if (unconfirmed && !session.resumed) await this.resendUnconfirmed(session);
  }

  /**
   * Private messages the server has but the contact's app did not confirm go again on a new stream (their private
   * conversation is gone), after the archive's catch-up: receipts that came to our stream that died are there, and
   * otherwise each new stream would send every such message again, hundreds ahead of new ones under load.
   */
  private async resendUnconfirmed(session: XmppSession, peer?: string): Promise<void> {
    await this.host.catchingUp();
    if (!session.isOpen || this.host.connection.activeSession !== session) return;
    // All in one turn, oldest first (the engine takes them in this order): each is on its way before any is acknowledged.
    for (const entry of this.outbox.entries()) {
      if ((peer !== undefined && entry.peer !== peer) || !entry.onServer || entry.failed || this.inFlight.has(entry.id)) continue;
      if (this.waitsForReceipt(entry)) void this.transmitFromOutbox(entry, true);
      else this.outbox.remove(entry.id); // past PRIVATE_WAIT_MS, or the contact's app confirms nothing
    }
  }

  /**
   * What a message of the outbox shows while the engine reports on it: 'sent' only once the server
   * acknowledged it (until then 'sending'); a failure because the connection went away is no
   * failure (it goes out with the next stream); other failures wait for the user's resend.
   */
  private outboxState(id: string, state: 'sent' | 'waiting' | 'failed', reason: ChatMessage['error'], leftEncrypted?: boolean): ChatMessage['state'] {
    const entry = this.outbox.get(id);
    if (!entry) return state;
    if (state === 'sent') {
      // Out encrypted but not yet acknowledged: if it must go again (a new stream), then privately only.
      if (leftEncrypted && !entry.private) void this.outbox.add({ ...entry, private: true }).catch(() => undefined);
      return entry.onServer ? 'sent' : 'sending'; // the server's acknowledgement may come before this
    }
    if (state === 'waiting') {
      // Held for a private conversation: after a restart it must wait for one again.
      if (!entry.private) void this.outbox.add({ ...entry, private: true }).catch(() => undefined);
      return 'waiting';
    }
    const lostOn = this.wire.takeLost(id);
    if (lostOn !== undefined) {
      // What the stream could not take goes out again on the next stream (a private message in a new private
      // conversation there), as if it had never left; the user is never asked to send it again for a connection
      // problem. A stream that took over already sends it now.
      this.inFlight.delete(id);
      const active = this.host.connection.activeSession;
      if (active && active !== lostOn) void this.flush(active);
      return 'sending';
    }
    if (!this.host.connection.activeSession || this.host.losingStream()) {
      this.inFlight.delete(id);
      return 'sending';
    }
    this.inFlight.delete(id);
    this.outbox.setFailed(id, reason ?? 'Not sent.');
    return 'failed';
  }

  /** An error stanza about one of our messages, `sent`: why it did not arrive. */
  errorReturned(sent: ChatMessage, parsed: ParsedMessage): void {
    // The link between the servers failed, not the message: it waits and goes again, never lost.
    if (isRemoteServerCondition(parsed.errorCondition)) this.waitForRemoteServer(sent);
    else if (parsed.errorCondition === 'recipient-unavailable' && (sent.encrypted || this.outbox.get(sent.id)?.private)) this.waitForPrivateAgain(sent, parsed.from);
    else {
      const problem = parsed.errorText ?? 'error';
      this.host.upsertMessage({ ...sent, state: 'failed', error: { reason: 'not-delivered', params: { problem }, text: `Not delivered: ${problem}` } });
    }
  }

  /**
   * Our server bounced a message it could not pass to the contact's server: back into the outbox (as
   * private as it left), shown as waiting with why, and sent again after a growing delay (or with the
   * next stream, whichever comes first).
   */
  private waitForRemoteServer(sent: ChatMessage): void {
    if (sent.state === 'delivered') return; // the contact's app has it: a late bounce of an earlier copy
    this.inFlight.delete(sent.id);
    const entry: OutboxEntry = { id: sent.id, peer: sent.peer, body: sent.body, timestamp: sent.timestamp, private: sent.encrypted ?? false };
    void this.outbox.add(entry).catch(() => undefined); // kept in memory when the disk fails
    const { error: _old, ...rest } = sent;
    this.host.upsertMessage({ ...rest, state: 'waiting', waitingForServer: domainOfAddress(sent.peer) });
    this.retries.schedule(sent.id, this.host.backoff, () => {
      const session = this.host.connection.activeSession;
      const waiting = this.outbox.get(sent.id);
      // No stream now: flush sends it with the next one.
      if (!session?.isOpen || !waiting || waiting.failed || this.inFlight.has(sent.id)) return;
      void this.transmitFromOutbox(waiting, true);
    });
  }

  /**
   * Our server bounced a private message: the resource it went to is gone (the contact's app was killed
   * or signed off before it took it), and with it the private conversation there. It waits for the next
   * private conversation and goes in it by itself, never in plaintext; not "failed".
   */
  private waitForPrivateAgain(sent: ChatMessage, to: string): void {
    if (sent.state === 'delivered') return; // the contact's app has it: a late bounce of an earlier copy
    this.inFlight.delete(sent.id);
    void this.outbox.add({ id: sent.id, peer: sent.peer, body: sent.body, timestamp: sent.timestamp, private: true }).catch(() => undefined);
    void this.host.e2ee.resourceOffline(to).then(() => {
      const entry = this.outbox.get(sent.id);
      if (entry && !entry.failed && !this.inFlight.has(entry.id) && this.host.connection.activeSession) void this.transmitFromOutbox(entry, true);
    });
  }

  /** The server has one of our stanzas (XEP-0198 `<a/>`, or the ping after it): an outbox message leaves. */
  onAcked(stanza: Element): void {
    const id = stanza.attrs.id;
    if (stanza.name !== 'message' || id === undefined) return;
    const entry = this.outbox.get(id);
    if (!entry) return;
    if (this.retries.timed(id)) return; // an ack of the copy that bounced: the entry waits for its next try
    if (this.waitsForReceipt({ ...entry, onServer: true })) {
      // The server has it, but the contact's app may be killed before it decrypts it, and then it never can:
      // it stays until their app confirms it, and goes again in the next private conversation otherwise.
      this.inFlight.delete(id);
      this.outbox.setOnServer(id, true);
    } else this.leftOutbox(id);
    const message = this.host.chats.find(entry.peer, id, 'out');
    if (message && (message.state === 'sending' || message.state === 'waiting')) {
      const { error: _error, ...rest } = message;
      this.host.upsertMessage({ ...rest, state: 'sent' });
    }
  }

  /** The peer's app confirmed one of our messages (only the peer can confirm messages to it). */
  receiptArrived(peer: string, id: string): void {
    const message = this.host.chats.find(peer, id, 'out');
    if (message) this.retries.done(id);
    // The contact's app confirms messages: its private messages wait for that from now on (see onAcked).
    if (message) this.outbox.setConfirms(peer, true);
    if (this.outbox.get(id)?.peer === peer) {
      // It got there, so the server has it: out of the outbox, and 'sent' on the way to 'delivered' (the ack may come after).
      this.leftOutbox(id);
      if (message?.state === 'sending') this.host.upsertMessage({ ...message, state: 'sent' });
    }
    if (message && (message.state === 'sent' || message.state === 'sending')) this.host.upsertMessage({ ...message, state: 'delivered' });
  }

  /**
   * Whether an outbox entry the server has waits for the contact's receipt: a private message (which only the
   * private conversation it went out in can decrypt) to a contact whose app confirms messages, or may (not known
   * yet: the first messages to a contact go before any receipt came), within PRIVATE_WAIT_MS of its writing.
   * Apps known to confirm nothing (libotr's, e.g. Pidgin: no receipts in their capabilities) are not sent copies.
   */
  private waitsForReceipt(entry: OutboxEntry): boolean {
    return entry.private && entry.onServer === true && !entry.failed && this.host.confirms(entry.peer) !== false && this.host.now() < entry.timestamp + PRIVATE_WAIT_MS;
  }

  /** The E2eeHost's unconfirmed: private messages to `peer` wait for the contact's confirmation. */
  unconfirmed(peer: string): boolean {
    return this.outbox.entries().some((e) => e.peer === peer && this.waitsForReceipt(e));
  }

  /** A private conversation with `peer` was made: what the contact did not confirm goes again in it, oldest first, with its id. */
  offerUnconfirmed(peer: string): void {
    const session = this.host.connection.activeSession;
    if (session) void this.resendUnconfirmed(session, peer);
  }

  private leftOutbox(id: string): void {
    this.inFlight.delete(id);
    // Out of the outbox in the open transaction of the history's database; the caller writes it "sent" there right
    // after, with no commit between: killed at any point, the message is waiting or sent, never neither.
    this.outbox.remove(id);
  }

  /** No more timed retries (the account closes). */
  close(): void {
    this.retries.close();
  }
}

/** `message` marked as sent privately or not (the field is absent when not). */
function withEncrypted(message: ChatMessage, encrypted: boolean): ChatMessage {
  const { encrypted: _was, ...rest } = message;
  return encrypted ? { ...rest, encrypted: true } : rest;
}
