/**
 * The messages of one account's one-to-one chats in memory — each chat's newest
 * page from the stored history (history-store.ts), what came since, and older
 * pages the user scrolled to — and their unread counts.
 */
import type { ChatMessage } from '../../shared/contract.js';

/** Enough for a day of chatting without letting a flood grow memory without end. */
const MAX_PER_CHAT = 2_000;

export class ChatLog {
  private chats = new Map<string, ChatMessage[]>();
  /** Per chat, the direction and id of every message in it: new messages (the usual case) are not searched for. */
  private keys = new Map<string, Set<string>>();
  private unreadCounts = new Map<string, number>();
  /** Per chat, how many older messages the user paged in: the bound does not drop what they scrolled to. */
  private pagedIn = new Map<string, number>();

  /** Inserts or replaces (same peer, id and direction) a message, keeping time order; returns it. */
  upsert(message: ChatMessage): ChatMessage {
    const list = this.chats.get(message.peer) ?? [];
    const keys = this.keysOf(message.peer);
    const key = keyOf(message.direction, message.id);
    const index = keys.has(key) ? lastIndexOf(list, message.id, message.direction) : -1;
    keys.add(key);
    if (index >= 0 && list[index]!.timestamp === message.timestamp) {
      list[index] = message; // a state change: same place
    } else {
      if (index >= 0) list.splice(index, 1);
      // Messages are nearly always the newest: insert from the end (equal timestamps keep arrival order).
      let at = list.length;
      while (at > 0 && list[at - 1]!.timestamp > message.timestamp) at--;
      list.splice(at, 0, message);
      const max = MAX_PER_CHAT + (this.pagedIn.get(message.peer) ?? 0);
      if (list.length > max) for (const old of list.splice(0, list.length - max)) keys.delete(keyOf(old.direction, old.id));
    }
    this.chats.set(message.peer, list);
    return message;
  }

  private keysOf(peer: string): Set<string> {
    let keys = this.keys.get(peer);
    if (!keys) this.keys.set(peer, (keys = new Set()));
    return keys;
  }

  /** Any message of this chat with this id (a peer could reuse one of our ids: callers check `direction`). */
  find(peer: string, id: string, direction?: ChatMessage['direction']): ChatMessage | undefined {
    const list = this.chats.get(peer);
    const keys = this.keys.get(peer);
    const maybe = direction === undefined ? DIRECTIONS.some((d) => keys?.has(keyOf(d, id))) : keys?.has(keyOf(direction, id));
    return list && maybe ? list[lastIndexOf(list, id, direction)] : undefined;
  }

  has(peer: string, id: string, direction: ChatMessage['direction']): boolean {
    return this.keys.get(peer)?.has(keyOf(direction, id)) ?? false;
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
    const list = [...messages, ...(this.chats.get(peer) ?? [])].sort((a, b) => a.timestamp - b.timestamp).slice(-MAX_PER_CHAT);
    this.chats.set(peer, list);
    this.keys.set(peer, new Set(list.map((m) => keyOf(m.direction, m.id))));
  }

  /** Puts an older page (oldest first, all older than what the chat has) before the chat's messages. */
  prepend(peer: string, older: readonly ChatMessage[]): void {
    const keys = this.keysOf(peer);
    const fresh = older.filter((m) => !keys.has(keyOf(m.direction, m.id)));
    for (const m of fresh) keys.add(keyOf(m.direction, m.id));
    this.chats.set(peer, [...fresh, ...(this.chats.get(peer) ?? [])]);
    this.pagedIn.set(peer, (this.pagedIn.get(peer) ?? 0) + fresh.length);
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

const DIRECTIONS: readonly ChatMessage['direction'][] = ['in', 'out', 'notice'];

function keyOf(direction: ChatMessage['direction'], id: string): string {
  return `${direction}\n${id}`;
}
