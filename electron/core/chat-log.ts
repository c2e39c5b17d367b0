/**
 * The messages of one account's one-to-one chats, in memory for now (stored
 * history comes with the encrypted history store), and their unread counts.
 */
import type { ChatMessage } from '../../shared/contract.js';

/** Enough for a day of chatting without letting a flood grow memory without end. */
const MAX_PER_CHAT = 2_000;

export class ChatLog {
  private chats = new Map<string, ChatMessage[]>();
  private unreadCounts = new Map<string, number>();

  /** Inserts or replaces (same peer, id and direction) a message, keeping time order; returns it. */
  upsert(message: ChatMessage): ChatMessage {
    const list = this.chats.get(message.peer) ?? [];
    const index = list.findIndex((m) => m.id === message.id && m.direction === message.direction);
    if (index >= 0) list[index] = message;
    else list.push(message);
    list.sort((a, b) => a.timestamp - b.timestamp);
    if (list.length > MAX_PER_CHAT) list.splice(0, list.length - MAX_PER_CHAT);
    this.chats.set(message.peer, list);
    return message;
  }

  /** Any message of this chat with this id (a peer could reuse one of our ids: callers check `direction`). */
  find(peer: string, id: string, direction?: ChatMessage['direction']): ChatMessage | undefined {
    return this.chats.get(peer)?.find((m) => m.id === id && (direction === undefined || m.direction === direction));
  }

  has(peer: string, id: string, direction: ChatMessage['direction']): boolean {
    return this.chats.get(peer)?.some((m) => m.id === id && m.direction === direction) ?? false;
  }

  countUnread(peer: string): void {
    this.unreadCounts.set(peer, (this.unreadCounts.get(peer) ?? 0) + 1);
  }

  markRead(peer: string): void {
    this.unreadCounts.delete(peer);
  }

  unread(peer: string): number {
    return this.unreadCounts.get(peer) ?? 0;
  }

  peers(): string[] {
    return [...this.chats.keys()];
  }

  /** A chat's messages, oldest first. */
  list(peer: string): readonly ChatMessage[] {
    return this.chats.get(peer) ?? [];
  }

  /** Puts back a stored chat (oldest first) before anything else happened in it. */
  restore(peer: string, messages: readonly ChatMessage[]): void {
    const list = [...messages, ...(this.chats.get(peer) ?? [])].sort((a, b) => a.timestamp - b.timestamp);
    this.chats.set(peer, list.slice(-MAX_PER_CHAT));
  }

  snapshot(): Record<string, ChatMessage[]> {
    return Object.fromEntries([...this.chats].map(([peer, list]) => [peer, [...list]]));
  }
}
