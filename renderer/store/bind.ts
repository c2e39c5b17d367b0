/**
 * Keeps the store current with main: listeners for every event are registered once
 * (at start-up, outside React), then the snapshot is loaded.
 *
 * Ordering: an event may arrive before the snapshot answer although main sent it
 * after building the snapshot; dropping it would lose that change. So events are
 * queued until the snapshot is applied, then replayed in order. Every event carries
 * the whole new state of what it names (an account, a contact, a message, a roster),
 * so replaying one that is older than the snapshot is corrected by the later ones,
 * and the store ends at main's newest state.
 */
import type { KlatschApi } from '../../shared/contract';
import type { Actions } from './actions';
import type { AppStore } from './store';

export function bindStoreToApi(store: AppStore, api: KlatschApi, actions: Actions): () => void {
  let queue: (() => void)[] | null = [];
  const apply = (change: () => void) => {
    if (queue) queue.push(change);
    else change();
  };

  const unsubscribe = [
    api.on.accountUpdated((account) => apply(() => store.getState().accountUpdated(account))),
    api.on.accountRemoved(({ accountId }) => apply(() => store.getState().accountRemoved(accountId))),
    api.on.rosterReplaced(({ accountId, contacts }) => apply(() => store.getState().rosterReplaced(accountId, contacts))),
    api.on.contactUpdated(({ accountId, contact }) =>
      apply(() => {
        store.getState().contactUpdated(accountId, contact);
        actions.contactChanged(accountId, contact.jid, contact.unread);
      }),
    ),
    api.on.trustChanged(() => apply(() => store.getState().trustChanged())),
    api.on.subscriptionRequestsChanged(({ accountId, requests }) =>
      apply(() => store.getState().subscriptionRequestsChanged(accountId, requests)),
    ),
    api.on.avatarChanged(({ accountId, jid, avatar }) => apply(() => store.getState().avatarChanged(accountId, jid, avatar))),
    api.on.messageUpserted(({ accountId, message }) =>
      apply(() => {
        store.getState().messageUpserted(accountId, message);
        actions.messageArrived(accountId, message);
      }),
    ),
    api.on.xmppLinkOpened((link) => apply(() => store.getState().xmppLinkSet(link))),
    api.on.settingsChanged((view) => apply(() => store.getState().settingsChanged(view))),
    api.on.chatOpenRequested((chat) => apply(() => actions.openChatFromNotification(chat))),
    // Group chats
    api.on.roomUpdated(({ accountId, room }) =>
      apply(() => {
        store.getState().roomUpdated(accountId, room);
        actions.roomChanged(accountId, room);
      }),
    ),
    api.on.roomRemoved(({ accountId, room }) => apply(() => store.getState().roomRemoved(accountId, room))),
    api.on.roomMessageUpserted(({ accountId, message }) => apply(() => store.getState().roomMessageUpserted(accountId, message))),
    api.on.policyChanged(({ policy, changed }) => apply(() => store.getState().policyChanged(policy, changed))),
    api.on.invitationsChanged(({ accountId, invitations }) => apply(() => store.getState().invitationsChanged(accountId, invitations))),
  ];

  const unsubscribeStore = store.subscribe((state, prev) => {
    if (!queue || state.load.kind !== 'ready' || prev.load.kind === 'ready') return;
    const pending = queue;
    queue = null;
    for (const change of pending) change();
  });

  void actions.loadSnapshot();

  return () => {
    for (const off of unsubscribe) off();
    unsubscribeStore();
  };
}
