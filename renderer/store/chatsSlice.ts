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

  chatSelected: (chat) => set({ selected: chat }),
});
