/**
 * History: searching the stored history, and the server's message archive (XEP-0313).
 */
import { z } from 'zod';
import { SearchHit } from '../messages.js';
import { AccountId, BareJid } from '../values.js';

export const archiveRequests = {
  /**
   * The stored history's messages containing every word of `query` (case and accents ignored), newest
   * first, at most `limit`; in one account or all. Private messages only where the user keeps them.
   */
  searchHistory: {
    request: z.object({ query: z.string().min(1).max(256), accountId: AccountId.optional(), limit: z.number().int().min(1).max(200).optional() }).strict(),
    response: z.object({
      hits: z.array(SearchHit),
      more: z.boolean(),
      /** Chats with private messages that were not kept (so cannot be searched), and how many: the panel says so. */
      unkept: z.array(z.object({ accountId: AccountId, peer: z.string(), count: z.number().int().min(1) })).optional(),
    }),
  },
  /** Fetch the page of the chat's history before its oldest message from the server's archive (plaintext only). */
  loadOlderMessages: {
    request: z.object({ accountId: AccountId, peer: BareJid }).strict(),
    /** `added`: messages that are new here; `complete`: the archive holds nothing older. */
    response: z.object({ added: z.number().int().min(0), complete: z.boolean() }),
  },
} as const;
