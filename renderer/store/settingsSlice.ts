/** App-wide settings as main holds them (with the administrator's locks). */
import type { StateCreator } from 'zustand/vanilla';
import type { AppState, SettingsSlice } from './types';

export const createSettingsSlice: StateCreator<AppState, [], [], SettingsSlice> = (set) => ({
  settings: null,
  settingsChanged: (view) => set({ settings: view }),
});
