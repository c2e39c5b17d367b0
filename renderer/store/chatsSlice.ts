import type { StateCreator } from 'zustand/vanilla';
import type { AppState, ChatsSlice } from './types';
import { upsertChatMessage } from './transitions';

export const createChatsSlice: StateCreator<AppState, [], [], ChatsSlice> = (set) => ({
  chats: {},
  selected: null,

  messageUpserted: (accountId, message) =>
    set((s) => {
      const chats = upsertChatMessage(s.chats, accountId, message);
      return chats === s.chats ? {} : { chats };
    }),

  // The chat's account comes to the front: the sidebar's presence and status are those of the open chat.
  chatSelected: (chat) => set(chat ? { selected: chat, activeAccountId: chat.accountId } : { selected: null }),
});
