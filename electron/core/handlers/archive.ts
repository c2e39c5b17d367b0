/** The requests of one domain. The history: searching what is stored, loading older messages from the server's archive (XEP-0313). */
import { searchMessages, type SearchSource } from '../search/history-search.js';
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function archiveHandlers(core: CoreContext): Pick<Handlers, 'searchHistory' | 'loadOlderMessages'> {
  return {
    searchHistory: async ({ query, accountId, limit }) => {
      if (accountId !== undefined) core.account(accountId);
      const unkept = unkeptChats(core, accountId);
      return { ...searchMessages(searchSources(core, accountId), query, limit), ...(unkept.length > 0 ? { unkept } : {}) };
    },

    loadOlderMessages: async ({ accountId, peer }) => {
      core.allowedByPolicy(() => core.policy.checkRemote(core.account(accountId).settings.jid, peer));
      return await core.account(accountId).loadOlderMessages(peer);
    },
  };
}

/**
 * What a search looks through: each account's stored history — which holds private messages only where
 * the user keeps them (the default). Without a stored history (the policy keeps none) the chats of this session,
 * less their private messages: the same promise, nothing private is searchable unless kept.
 */
function* searchSources(core: CoreContext, accountId?: string): Generator<SearchSource> {
  for (const account of core.accounts.values()) {
    if (accountId !== undefined && account.id !== accountId) continue;
    const history = core.histories.get(account.id);
    if (history) {
      yield { accountId: account.id, search: (words, max) => history.search(words, max) };
      continue;
    }
    const chats = Object.entries(account.chats.snapshot()).map(
      ([peer, list]) => [peer, list.filter((m) => !m.encrypted)] as [string, typeof list],
    );
    yield { accountId: account.id, chats };
  }
}

/**
 * Per chat, how many private messages the search cannot find because they were not kept: the stored
 * history's count (this session's included), or without one this session's private messages.
 */
function unkeptChats(core: CoreContext, accountId?: string): { accountId: string; peer: string; count: number }[] {
  const found: { accountId: string; peer: string; count: number }[] = [];
  for (const account of core.accounts.values()) {
    if (accountId !== undefined && account.id !== accountId) continue;
    const history = core.histories.get(account.id);
    const counts = history
      ? history.unkeptCounts()
      : new Map(
          Object.entries(account.chats.snapshot()).map(([peer, list]) => [peer, list.filter((m) => m.encrypted && m.direction !== 'notice').length] as const),
        );
    for (const [peer, count] of counts) if (count > 0) found.push({ accountId: account.id, peer, count });
  }
  return found;
}
