/**
 * The one way a one-to-one message gets into the chat log (chat-log.ts), the stored history (what it may keep:
 * plaintext and notices, private messages only when the user asked) and the UI.
 */
import type { ChatMessage } from '../../../shared/contract.js';
import type { ChatLog } from '../chat-log.js';
import type { HistoryStore } from '../store/history-store.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { StoredAccount } from '../store/settings-store.js';

export interface ChatWriterHost {
  chats: ChatLog;
  /** The account's stored chats (encrypted at rest); absent: chats live in memory only. */
  history: HistoryStore | undefined;
  outbox: OutboxStore;
  /** The account's settings now (the user's choices of keeping private history). */
  stored(): StoredAccount;
  /** The chat with `peer` is plaintext and may stay so: no private conversation, no policy that requires one. */
  plaintextChat(peer: string): boolean;
  /** Tells the UI. */
  announce(message: ChatMessage): void;
  /** Sees every change of a message first, and returns it as it may be stored (receipts/unconfirmed.ts). */
  observe?(message: ChatMessage): ChatMessage;
}

export class ChatWriter {
  /** Chats with a notice said once per stretch (until the next message of either side): see firstInStretch. */
  private readonly noticedInStretch = new Set<string>();

  constructor(private readonly host: ChatWriterHost) {}

  /**
   * `durably`: a received message about to be shown and confirmed, on disk before (see HistoryStore.putDurably).
   * `announce` false: the caller tells the UI itself, once the message is on disk (sendMessage).
   */
  upsert(given: ChatMessage, durably = false, announce = true): ChatMessage {
    // Waiting for the other company's server ends with the waiting, whatever state comes next.
    const { waitingForServer: _server, ...rest } = given;
    const kept = given.state === 'waiting' || given.waitingForServer === undefined ? given : rest;
    const message = this.host.observe ? this.host.observe(kept) : kept;
    this.host.chats.upsert(message);
    if (message.direction !== 'notice') this.noticedInStretch.delete(message.peer);
    const history = this.host.history;
    if (history) {
      if (this.storable(message)) {
        if (durably) history.putDurably(message);
        else history.put(message);
      } else this.leaveOut(history, message);
    }
    if (announce) this.host.announce(message);
    return message;
  }

  /** True the first time in this stretch of the chat with `peer` (until a message of either side shows next). */
  firstInStretch(peer: string): boolean {
    if (this.noticedInStretch.has(peer)) return false;
    this.noticedInStretch.add(peer);
    return true;
  }

  /**
   * Private messages are kept by default (as Signal and Gajim keep history); the user's choice per contact
   * wins: turned off (`dropPrivateHistory`) or on (`keepPrivateHistory`, also what older versions stored).
   */
  keepsPrivateHistory(peer: string): boolean {
    const stored = this.host.stored();
    if (stored.keepPrivateHistory?.includes(peer)) return true;
    return !(stored.dropPrivateHistory?.includes(peer) ?? false);
  }

  /** The user turned keeping this contact's private messages on (what is in memory is kept too) or off (deleted). */
  keepPrivateHistoryChanged(peer: string): void {
    const history = this.host.history;
    if (!history) return;
    if (this.keepsPrivateHistory(peer)) for (const m of this.host.chats.list(peer)) history.put(m);
    else for (const m of this.host.chats.list(peer)) if (!this.storable(m)) this.leaveOut(history, m);
    history.removeWhere(peer, (m) => !this.storable(m));
  }

  /**
   * A message that is not stored: a private message of ours or theirs is counted where it was (once it
   * is final: ours still on the way may yet go out in plaintext); anything else just stays out.
   */
  private leaveOut(history: HistoryStore, m: ChatMessage): void {
    const counts = m.direction === 'in' || (m.direction === 'out' && m.state !== 'sending' && m.state !== 'waiting');
    if (counts) history.leaveOut(m);
    else history.remove(m.peer, m.id, m.direction);
  }

  /**
   * Whether a message may go into the stored history: plaintext and notices do; private messages only
   * when the user asked for them. Ours still on the way count as private when the conversation is
   * (or must be) private, since they turn 'encrypted' only once they went out.
   */
  storable(m: ChatMessage): boolean {
    if (this.keepsPrivateHistory(m.peer)) return true;
    if (m.encrypted) return false; // private messages, and notices from inside a private conversation
    if (m.direction === 'notice') return true;
    if (m.direction === 'out' && this.host.outbox.get(m.id)?.private) return false; // written privately, whatever happens to it on the way
    if (m.direction === 'out' && m.state !== 'sent' && m.state !== 'delivered') return this.host.plaintextChat(m.peer);
    return true;
  }
}
