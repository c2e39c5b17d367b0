/**
 * Is a message fetched from the archive one we have already? Recognized by the archive's id
 * (XEP-0359 stanza-id) or by the sender's message id / origin-id in the same direction. Kept
 * apart from the live de-duplication by message id (stream management's resends), so that both
 * checks stay small and can be merged into one later.
 */
import type { ChatMessage } from '../../../shared/contract.js';

export interface ArchiveKey {
  archiveId: string;
  direction: 'in' | 'out';
  messageId: string | undefined;
}

/** The local message `fetched` is a copy of, if any; `list` is the chat, oldest first. */
export function archiveDuplicate(list: readonly ChatMessage[], fetched: ArchiveKey): ChatMessage | undefined {
  // From the newest end: catching up meets recent messages; "load older" meets few at all.
  for (let i = list.length - 1; i >= 0; i--) {
    const m = list[i]!;
    if (m.archiveId !== undefined && m.archiveId === fetched.archiveId) return m;
    if (fetched.messageId !== undefined && m.id === fetched.messageId && m.direction === fetched.direction) return m;
  }
  return undefined;
}
