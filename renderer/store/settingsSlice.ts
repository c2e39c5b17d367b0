/** App-wide settings as main holds them (with the administrator's locks), and whether the settings screen is open. */
import type { StateCreator } from 'zustand/vanilla';
import type { AppState, SettingsSlice } from './types';

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  settings: null,
  settingsOpen: false,
  settingsChanged: (view) => set({ settings: view }),
  settingsOpenSet: (open) => set({ settingsOpen: open }),
});
