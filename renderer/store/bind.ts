/**
 * Keeps the store current with main: listeners for every event are registered once
 * (at start-up, outside React), then the snapshot is loaded.
 *
 * Ordering: events that arrive before the snapshot answer describe changes main made
 * before (or while) it built the snapshot, so they are not applied on top of it (that
 * could turn a newer state back into an older one). The one exception is a message
 * the snapshot does not contain at all: it is added, so no message can be lost.
 */
import type { AccountId, ChatMessage, KlatschApi } from '../../shared/contract';
import type { Actions } from './actions';
import type { AppStore } from './store';

export function bindStoreToApi(store: AppStore, api: KlatschApi, actions: Actions): () => void {
  let snapshotApplied = false;
  let earlyMessages: { accountId: AccountId; message: ChatMessage }[] = [];

  const unsubscribe = [
    api.on.accountUpdated((account) => {
      if (snapshotApplied) store.getState().accountUpdated(account);
    }),
    api.on.accountRemoved(({ accountId }) => {
      if (snapshotApplied) store.getState().accountRemoved(accountId);
    }),
    api.on.rosterReplaced(({ accountId, contacts }) => {
      if (snapshotApplied) store.getState().rosterReplaced(accountId, contacts);
    }),
    api.on.contactUpdated(({ accountId, contact }) => {
      if (!snapshotApplied) return;
      store.getState().contactUpdated(accountId, contact);
      actions.contactChanged(accountId, contact.jid, contact.unread);
    }),
    api.on.messageUpserted(({ accountId, message }) => {
      if (!snapshotApplied) {
        earlyMessages.push({ accountId, message });
        return;
      }
      store.getState().messageUpserted(accountId, message);
      actions.messageArrived(accountId, message);
    }),
  ];

  const unsubscribeStore = store.subscribe((state, prev) => {
    if (snapshotApplied || state.load.kind !== 'ready' || prev.load.kind === 'ready') return;
    snapshotApplied = true;
    const early = earlyMessages;
    earlyMessages = [];
    for (const { accountId, message } of early) {
      const known = store.getState().chats[accountId]?.[message.peer]?.some((m) => m.id === message.id);
      if (!known) store.getState().messageUpserted(accountId, message);
    }
  });

  void actions.loadSnapshot();

  return () => {
    for (const off of unsubscribe) off();
    unsubscribeStore();
  };
}
