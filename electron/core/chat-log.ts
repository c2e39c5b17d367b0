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
    const index = lastIndexOf(list, message.id, message.direction);
    if (index >= 0 && list[index]!.timestamp === message.timestamp) {
      list[index] = message; // a state change: same place
    } else {
      if (index >= 0) list.splice(index, 1);
      // Messages are nearly always the newest: insert from the end (equal timestamps keep arrival order).
      let at = list.length;
      while (at > 0 && list[at - 1]!.timestamp > message.timestamp) at--;
      list.splice(at, 0, message);
      if (list.length > MAX_PER_CHAT) list.splice(0, list.length - MAX_PER_CHAT);
    }
    this.chats.set(message.peer, list);
    return message;
  }

  /** Any message of this chat with this id (a peer could reuse one of our ids: callers check `direction`). */
  find(peer: string, id: string, direction?: ChatMessage['direction']): ChatMessage | undefined {
    const list = this.chats.get(peer);
    return list ? list[lastIndexOf(list, id, direction)] : undefined;
  }

  has(peer: string, id: string, direction: ChatMessage['direction']): boolean {
    const list = this.chats.get(peer);
    return list ? lastIndexOf(list, id, direction) >= 0 : false;
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

/** Searches from the newest end: the messages asked about are nearly always recent ones. */
function lastIndexOf(list: readonly ChatMessage[], id: string, direction: ChatMessage['direction'] | undefined): number {
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i]!;
    if (m.id === id && (direction === undefined || m.direction === direction)) return i;
  }
  return -1;
}
