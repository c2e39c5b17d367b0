/**
 * The one renderer store, assembled from its slices (zustand's slices pattern).
 * Vanilla zustand: no React here, so tests create a fresh store in plain Node.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AppState } from './types';
import { createConnectionSlice } from './connectionSlice';
import { createRosterSlice } from './rosterSlice';
import { createChatsSlice } from './chatsSlice';
import { createUiSlice } from './uiSlice';
import { createSettingsSlice } from './settingsSlice';
import { createRoomsSlice } from './roomsSlice';

export type AppStore = StoreApi<AppState>;

export function createAppStore(): AppStore {
  return createStore<AppState>()((...a) => ({
    ...createConnectionSlice(...a),
    ...createRosterSlice(...a),
    ...createChatsSlice(...a),
    ...createUiSlice(...a),
    ...createSettingsSlice(...a),
    ...createRoomsSlice(...a),
  }));
}
