/** Paging back in a one-to-one chat: the stored history while it has older messages, then the server's archive. */
import type { ChatMessage } from '../../../shared/contract.js';
import type { MessageArchive } from '../archive/message-archive.js';
import type { ChatLog } from '../chat-log.js';
import { KlatschError } from '../errors.js';
import type { HistoryStore } from '../store/history-store.js';
import { bareJid } from '../values/jid.js';
import type { ConnectionManager } from '../xmpp/connection-manager.js';

/** Messages of the stored history per "load older" (the user scrolled to the top of a chat). */
const OLDER_PAGE = 200;

export interface OlderMessagesHost {
  chats: ChatLog;
  history: HistoryStore | undefined;
  connection: Pick<ConnectionManager, 'activeSession'>;
  archive: Pick<MessageArchive, 'loadOlder'>;
  /** Tells the UI of a message paged in. */
  announce(message: ChatMessage): void;
}

/**
 * One older page of the chat with `peer` (the user scrolled to the top): from the stored history while it
 * has older messages, then from the server's archive (plaintext only); `complete` when that has nothing older.
 */
export async function loadOlderMessages(host: OlderMessagesHost, peer: string): Promise<{ added: number; complete: boolean }> {
  const jid = bareJid(peer);
  if (!jid) throw new KlatschError('invalid-request', 'That is not a valid address.', { reason: 'invalid-address' });
  // The stored history first (offline too); the server's archive once it has nothing older.
  const older = host.history?.before(jid, host.chats.list(jid)[0], OLDER_PAGE) ?? [];
  if (older.length > 0) {
    host.chats.prepend(jid, older);
    for (const message of older) host.announce(message);
    return { added: older.length, complete: false };
  }
  if (!host.connection.activeSession) throw new KlatschError('not-connected', 'Sign in to load older messages.', { reason: 'archive-offline' });
  try {
    return await host.archive.loadOlder(jid);
  } catch (error) {
    const condition = (error as { condition?: string }).condition;
    // A server without an archive (or one that keeps none for us) has nothing older to give.
    if (condition === 'feature-not-implemented' || condition === 'service-unavailable') return { added: 0, complete: true };
    if (error instanceof KlatschError) throw error;
    const said = condition ?? (error as Error).message;
    throw new KlatschError('server-error', `The server could not send older messages (${said}).`, { reason: 'archive-refused', params: { condition: said } });
  }
}
