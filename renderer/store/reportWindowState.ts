/**
 * Tells main whether the window has the focus and which chat is open, each
 * time either changes: main notifies only of messages the user cannot see.
 */
import type { KlatschApi } from '../../shared/contract';
import type { AppStore } from './store';

export function reportWindowState(store: AppStore, api: KlatschApi): () => void {
  let last = '';
  const report = () => {
    const { windowFocused, selected } = store.getState();
    const openChat = selected ? { accountId: selected.accountId, peer: selected.peer } : null;
    const key = JSON.stringify([windowFocused, openChat]);
    if (key === last) return;
    last = key;
    // Nothing to do on failure: main then notifies as if the user were away, which loses nothing.
    void api.windowStateChanged({ focused: windowFocused, openChat }).catch(() => undefined);
  };
  report();
  return store.subscribe(report);
}
