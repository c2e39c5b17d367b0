/**
 * Placing what others wrote in the one-to-one chats: a message an encryption scheme (or plaintext) shows, a
 * scheme's notice, a plaintext correction (XEP-0308), a message from the server's archive. Each is on disk
 * before it is shown or confirmed.
 */
import { randomUUID } from 'node:crypto';
import { asksTheUser, type ChatMessage } from '../../../shared/contract.js';
import type { ChatLog } from '../chat-log.js';
import type { ContactTyping } from '../chat-states/contact-typing.js';
import { correctionTarget } from '../correction/correction.js';
import type { IncomingText, NoticeDetails, NoticeOptions } from '../e2ee/provider.js';
import { latencyProbe } from '../latency-probe.js';
import { placeIncoming } from '../message-time.js';
import type { OwedReceipts } from '../receipts/owed-receipts.js';
import type { HistoryStore } from '../store/history-store.js';
import type { OutboxStore } from '../store/outbox-store.js';
import type { ChatWriter } from './chat-writer.js';

export interface IncomingMessagesHost {
  chats: ChatLog;
  history: HistoryStore | undefined;
  /** Ids received lately (outbox-store.ts): a message sent again is shown once. */
  outbox: OutboxStore;
  writer: ChatWriter;
  typing: ContactTyping;
  receipts: OwedReceipts;
  plaintextChat(peer: string): boolean;
  /** The contact's unread count (or typing) changed: the account tells the UI. */
  contactChanged(peer: string): void;
  /** A new message from someone else was just shown, arriving now (desktop notifications). */
  incoming(message: ChatMessage): void;
  /** When the current (not resumed) session began: archive results stamped later were live messages. */
  onlineSince(): number | undefined;
  now(): number;
}

export class IncomingMessages {
  /** Per chat, the time of the contact's message shown last: a notice about it ("not encrypted") goes right below it. */
  private readonly lastShownAt = new Map<string, number>();

  constructor(private readonly host: IncomingMessagesHost) {}

  /** The E2eeHost's show: a message to show in the chat with `peer`. */
  show(peer: string, { id: stanzaId, stampedAt, text, encrypted, replaces, archiveId }: IncomingText): void {
    const { chats, outbox } = this.host;
    if (replaces !== undefined && !encrypted && this.applyCorrection(peer, replaces, text, stanzaId)) return;
    let id = stanzaId && stanzaId.length <= 256 ? stanzaId : randomUUID();
    // A message sent again (after the sender's reconnect or restart) has the id of the first copy: shown once.
    if (chats.has(peer, id, 'in') || (stanzaId !== undefined && outbox.seen(peer, stanzaId))) {
      if (stanzaId) this.host.receipts.sendFor(peer, stanzaId); // a duplicate (resent after a reconnect): shown before, confirmed again
      return;
    }
    // Ids are unique within a chat, so that no peer can replace one of our messages by reusing its id.
    if (chats.has(peer, id, 'out')) id = randomUUID();
    // Placed at the sender's time of writing (message-time.ts): a copy that waited or came again (a private message
    // offered again in a new private conversation) goes among the others in the order written, also after a restart.
    const timestamp = placeIncoming(stampedAt, this.host.now());
    this.lastShownAt.set(peer, timestamp);
    const received: ChatMessage = {
      id,
      peer,
      direction: 'in',
      body: text,
      timestamp,
      state: 'received',
      ...(encrypted ? { encrypted } : {}),
      ...(archiveId !== undefined && !encrypted ? { archiveId } : {}),
    };
    // Durable before it is shown or confirmed: killed right after, the app must not show it again when it comes again.
    // What the history keeps goes into the same commit as its id as seen (one database; putDurably in ChatWriter.upsert
    // commits both): never the id without the message, which would drop a copy as seen and never show it.
    latencyProbe.mark?.('incoming-handled', id);
    const kept = this.host.history !== undefined && this.host.writer.storable(received);
    if (stanzaId) outbox.markSeen(peer, stanzaId, !kept);
    chats.countUnread(peer);
    this.host.typing.ended(peer);
    // Its "could not be read" changes first, so the message's commit to disk takes that change along.
    if (encrypted) this.readAfterAll(peer, id);
    const shown = this.host.writer.upsert(received, true);
    if (stanzaId) this.host.receipts.sendFor(peer, stanzaId);
    this.host.contactChanged(peer);
    this.host.incoming(shown);
  }

  /** The E2eeHost's notice: a notice in the chat with `peer`. */
  notice(peer: string, text: string, notice?: NoticeDetails, options?: NoticeOptions): void {
    // About a message of the contact's (by its id): none when that message is shown already (a copy came first).
    const about = options?.about !== undefined && options.about.length <= 256 ? options.about : undefined;
    if (about !== undefined && (this.host.chats.has(peer, about, 'in') || this.host.outbox.seen(peer, about))) return;
    const shown = this.host.writer.upsert({
      id: about !== undefined ? unreadableNoticeId(about) : randomUUID(),
      peer,
      direction: 'notice',
      body: text,
      // "The message above was not encrypted" stays right below that message, wherever its time put it.
      timestamp: notice?.kind === 'not-encrypted' ? (this.lastShownAt.get(peer) ?? this.host.now()) : this.host.now(),
      state: 'received',
      ...(notice ? { notice } : {}),
      // Said inside the private conversation (an SMP question): private like its messages.
      ...(options?.private ? { encrypted: true } : {}),
    });
    // The contact waits for an answer: unread and announced like a message, or it goes unseen in another chat.
    if (asksTheUser(shown)) {
      this.host.chats.countUnread(peer);
      this.host.contactChanged(peer);
      this.host.incoming(shown);
    }
  }

  /** A message from the archive: into the chat in time order; one the user has not seen counts as unread. */
  putArchived(message: ChatMessage, unread: boolean): void {
    if (unread) this.host.chats.countUnread(message.peer);
    // New to the user, as a live message is: on disk before it is shown (see show).
    const shown = this.host.writer.upsert(message, unread && message.direction === 'in');
    if (unread) this.host.contactChanged(message.peer);
    // Stamped after this session began, it is a live message the archive's answer overtook (its live copy is
    // then dropped as a duplicate): it notifies like one. The archive stamps to the second, hence the slack.
    const onlineSince = this.host.onlineSince();
    if (unread && shown.direction === 'in' && onlineSince !== undefined && shown.timestamp >= onlineSince - 1_000) {
      this.host.incoming(shown);
    }
  }

  /**
   * A plaintext correction (XEP-0308) of the sender's own last message replaces its text; true when
   * applied. Anything else (another message's id, ours, a private message, a private conversation)
   * is not a correction: it goes on as a new message. Decided when the correction is shown, after
   * every message received before it, so "the sender's last message" is the one the user saw last.
   */
  private applyCorrection(peer: string, replaces: string, text: string, stanzaId: string | undefined): boolean {
    if (!this.host.plaintextChat(peer)) return false;
    const target = correctionTarget(this.host.chats.list(peer), replaces);
    if (!target) return false;
    this.host.typing.set(peer, false);
    this.host.writer.upsert({ ...target, body: text, edited: true });
    if (stanzaId) this.host.receipts.sendFor(peer, stanzaId);
    return true;
  }

  /**
   * A private message that could not be read (its conversation died with a restart of ours) came again, readable
   * (the sender offers it again in the next private conversation, same id): its notice no longer claims it lost.
   */
  private readAfterAll(peer: string, id: string): void {
    const notice = this.host.chats.find(peer, unreadableNoticeId(id), 'notice') ?? this.host.history?.find(peer, unreadableNoticeId(id), 'notice');
    if (notice?.notice?.kind !== 'unreadable') return;
    this.host.writer.upsert({ ...notice, body: `A private message from ${peer} could not be read at first; it came again and is shown in its place.`, notice: { kind: 'unreadable-resent' } });
  }
}

/** The id of the notice that the contact's message `id` could not be read (found again when the message comes again). */
function unreadableNoticeId(id: string): string {
  return `unreadable:${id}`;
}
