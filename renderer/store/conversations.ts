/**
 * The conversation list: every one-to-one chat and group chat with something said in it,
 * most recent first, with a preview of the last message, its time and the unread count.
 * Derived from the chats, rooms and rosters in the store; pure, so it is tested in plain Node.
 */
import type { AccountId, ChatMessage, Contact, RoomView } from '../../shared/contract';
import type { ChatsByAccount } from './transitions';
import { displayName } from './transitions';

/**
 * What the row shows of the last message. A private (OTR) message never shows its text
 * (the rule of desktop notifications, electron/core/desktop/notifications.ts): a list on
 * screen is seen by whoever passes by, like a notification.
 */
export type ConversationPreview =
  | { kind: 'text'; text: string; fromMe: boolean; nick?: string }
  | { kind: 'private'; fromMe: boolean }
  | { kind: 'none' };

export type Conversation = {
  kind: 'chat' | 'room';
  accountId: AccountId;
  /** The contact's or the room's bare address. */
  peer: string;
  /** The contact's roster name (else the address), or the room's name (the address' local part). */
  name: string;
  /** Epoch ms of the last message (0: a room nothing was said in yet). */
  lastActivity: number;
  preview: ConversationPreview;
  unread: number;
};

export type ConversationSources = {
  accountIds: readonly AccountId[];
  chats: ChatsByAccount;
  rosters: Record<AccountId, Contact[]>;
  rooms: Record<AccountId, RoomView[]>;
  roomMessages: Record<AccountId, Record<string, ChatMessage[]>>;
};

const PREVIEW_CHARS = 120;

/** A room's name for people: its address without the service part. */
export function roomName(jid: string): string {
  const at = jid.indexOf('@');
  return at > 0 ? jid.slice(0, at) : jid;
}

/** One line of at most PREVIEW_CHARS code points (line breaks and control characters become spaces). */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\s]+/g, ' ').trim();
  const chars = [...line];
  return chars.length > PREVIEW_CHARS ? `${chars.slice(0, PREVIEW_CHARS - 1).join('')}…` : line;
}

/** The last message a person wrote (Klatsch's own notices are not activity in the conversation). */
function lastSaid(messages: readonly ChatMessage[] | undefined): ChatMessage | undefined {
  if (!messages) return undefined;
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.direction !== 'notice') return messages[i];
  return undefined;
}

export function previewOf(message: ChatMessage | undefined): ConversationPreview {
  if (!message) return { kind: 'none' };
  const fromMe = message.direction === 'out';
  if (message.encrypted) return { kind: 'private', fromMe };
  return { kind: 'text', text: oneLine(message.body), fromMe, ...(message.nick ? { nick: message.nick } : {}) };
}

/** The conversations of the given accounts, most recent first (ties: by name, then address). */
export function conversationList(src: ConversationSources): Conversation[] {
  const list: Conversation[] = [];
  for (const accountId of src.accountIds) {
    const roster = src.rosters[accountId] ?? [];
    const byJid = new Map(roster.map((c) => [c.jid, c]));
    for (const [peer, messages] of Object.entries(src.chats[accountId] ?? {})) {
      const last = lastSaid(messages);
      if (!last) continue;
      const contact = byJid.get(peer);
      list.push({
        kind: 'chat',
        accountId,
        peer,
        name: contact ? displayName(contact) : peer,
        lastActivity: last.timestamp,
        preview: previewOf(last),
        unread: contact?.unread ?? 0,
      });
    }
    for (const room of src.rooms[accountId] ?? []) {
      const last = lastSaid(src.roomMessages[accountId]?.[room.jid]);
      list.push({
        kind: 'room',
        accountId,
        peer: room.jid,
        name: roomName(room.jid),
        lastActivity: last?.timestamp ?? 0,
        preview: previewOf(last),
        unread: room.unread,
      });
    }
  }
  return list.sort(
    (a, b) => b.lastActivity - a.lastActivity || a.name.localeCompare(b.name) || a.peer.localeCompare(b.peer) || a.accountId.localeCompare(b.accountId),
  );
}

/**
 * A memoizing selector for React: the same array while none of its sources changed
 * (the store replaces a slice's object whenever something in it changes).
 */
export function createConversationListSelector(): (src: ConversationSources) => Conversation[] {
  let last: { src: ConversationSources; result: Conversation[] } | null = null;
  return (src) => {
    if (
      last &&
      last.src.chats === src.chats &&
      last.src.rosters === src.rosters &&
      last.src.rooms === src.rooms &&
      last.src.roomMessages === src.roomMessages &&
      last.src.accountIds.join('\n') === src.accountIds.join('\n')
    ) {
      return last.result;
    }
    last = { src, result: conversationList(src) };
    return last.result;
  };
}
