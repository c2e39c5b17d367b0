/** The history search, while the store's dialog is 'search': asks main as the user types (debounced). */
import { useEffect, useState } from 'react';
import { SearchPanel, type SearchState } from '../components/SearchPanel';
import { displayName } from '../store/transitions';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState, useAppStore } from './context';

/** Typing pauses this long before a search goes out. */
const DEBOUNCE_MS = 150;

export function SearchDialog() {
  const open = useAppState((s) => s.dialog?.kind === 'search');
  return open ? <SearchDialogOpen /> : null;
}

function SearchDialogOpen() {
  const actions = useActions();
  const texts = useTexts();
  const store = useAppStore();
  const query = useAppState((s) => s.searchQuery);
  const several = useAppState((s) => s.accounts.length > 1);
  const openChat = useAppState((s) => s.selected);
  const [state, setState] = useState<SearchState>({ kind: 'idle' });

  useEffect(() => {
    const text = query.trim();
    if (text === '') return;
    let current = true;
    const timer = setTimeout(() => {
      setState({ kind: 'searching' });
      void actions.searchHistory(text).then((result) => {
        if (!current) return;
        setState(result.ok ? { kind: 'done', query: text, hits: result.value.hits, more: result.value.more, unkept: result.value.unkept } : { kind: 'failed', message: errorText(texts, result.error) });
      });
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [actions, query, texts]);

  const chatName = (accountId: string, peer: string) => {
    const contact = store.getState().rosters[accountId]?.find((c) => c.jid === peer);
    return contact ? displayName(contact) : peer;
  };
  const accountName = (accountId: string) => store.getState().accounts.find((a) => a.id === accountId)?.jid ?? accountId;

  return (
    <SearchPanel
      query={query}
      state={query.trim() === '' ? { kind: 'idle' } : state}
      chatName={chatName}
      accountName={several ? accountName : undefined}
      openChat={openChat ? { accountId: openChat.accountId, peer: openChat.peer } : undefined}
      onQueryChange={actions.setSearchQuery}
      onChoose={(hit) => actions.openSearchResult(hit)}
      onClose={() => actions.closeDialog()}
    />
  );
}
