/**
 * What the user can do with group chats, as functions over the store and the API (DOM-free).
 * Part of `createActions`; `settle` turns a broken bridge into an ordinary failure.
 */
import type { AccountId, ChatMessage, KlatschApi, Result, RoomView } from '../../shared/contract';
import type { AppStore } from './store';
import type { ChatKey } from './types';

type Settle = <T>(promise: Promise<Result<T>>) => Promise<Result<T>>;

export function createRoomActions(store: AppStore, api: KlatschApi, settle: Settle) {
  /** True when the room is on screen and the user can see it. */
  function roomVisible(accountId: AccountId, room: string): boolean {
    const s = store.getState();
    return s.windowFocused && s.selected === null && s.selectedRoom?.accountId === accountId && s.selectedRoom.peer === room;
  }

  function markRoomRead(accountId: AccountId, room: string): void {
    const view = store.getState().rooms[accountId]?.find((r) => r.jid === room);
    if (view && view.unread > 0) void settle(api.markRoomRead({ accountId, room }));
  }

  return {
    async joinRoom(accountId: AccountId, room: string, nick: string, password?: string): Promise<Result<RoomView>> {
      const result = await settle(api.joinRoom({ accountId, room, nick, ...(password ? { password } : {}) }));
      if (result.ok) {
        store.getState().roomUpdated(accountId, result.value);
        store.getState().roomSelected({ accountId, peer: result.value.jid });
      }
      return result;
    },

    leaveRoom(accountId: AccountId, room: string) {
      return settle(api.leaveRoom({ accountId, room }));
    },

    async sendRoomMessage(accountId: AccountId, room: string, body: string): Promise<Result<ChatMessage>> {
      const result = await settle(api.sendRoomMessage({ accountId, room, body }));
      if (result.ok) store.getState().roomMessageUpserted(accountId, result.value);
      return result;
    },

    setRoomSubject(accountId: AccountId, room: string, subject: string) {
      return settle(api.setRoomSubject({ accountId, room, subject }));
    },

    inviteToRoom(accountId: AccountId, room: string, contact: string, reason?: string) {
      return settle(api.inviteToRoom({ accountId, room, contact, ...(reason ? { reason } : {}) }));
    },

    /** Enters the invitation's room (nothing joins without this); on success the room is shown. */
    async acceptInvitation(accountId: AccountId, id: string, nick: string): Promise<Result<RoomView>> {
      const result = await settle(api.acceptInvitation({ accountId, id, nick }));
      if (result.ok) {
        store.getState().roomUpdated(accountId, result.value);
        store.getState().roomSelected({ accountId, peer: result.value.jid });
      }
      return result;
    },

    declineInvitation(accountId: AccountId, id: string) {
      return settle(api.declineInvitation({ accountId, id }));
    },

    listRooms(accountId: AccountId) {
      return settle(api.listRooms({ accountId }));
    },

    selectRoom(room: ChatKey | null): void {
      store.getState().roomSelected(room);
      if (room) markRoomRead(room.accountId, room.peer);
    },

    /** A room changed: its unread messages are read at once when it is on screen. */
    roomChanged(accountId: AccountId, room: RoomView): void {
      if (room.unread > 0 && roomVisible(accountId, room.jid)) void settle(api.markRoomRead({ accountId, room: room.jid }));
    },
  };
}
