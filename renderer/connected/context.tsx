/** Hands the store and the actions to the connected components. */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Actions } from '../store/actions';
import type { AppStore } from '../store/store';
import type { AppState } from '../store/types';

type AppContextValue = { store: AppStore; actions: Actions };

const AppContext = createContext<AppContextValue | null>(null);

export function AppProvider({ store, actions, children }: AppContextValue & { children: ReactNode }) {
  return <AppContext.Provider value={{ store, actions }}>{children}</AppContext.Provider>;
}

function useAppContext(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('AppProvider is missing');
  return value;
}

/** Subscribes to a part of the store. Wrap selectors that build objects in `useShallow`. */
export function useAppState<T>(selector: (state: AppState) => T): T {
  return useStore(useAppContext().store, selector);
}

export function useActions(): Actions {
  return useAppContext().actions;
}

/** The store itself, for event handlers that read it when they run. */
export function useAppStore(): AppStore {
  return useAppContext().store;
}
