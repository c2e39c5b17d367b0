import type { StateCreator } from 'zustand/vanilla';
import type { AppState, RosterSlice } from './types';
import { replaceRoster, setUnread, updateContact } from './transitions';

export const createRosterSlice: StateCreator<AppState, [], [], RosterSlice> = (set) => ({
  rosters: {},
  subscriptionRequests: {},
  avatars: {},

  rosterReplaced: (accountId, contacts) =>
    set((s) => ({ rosters: { ...s.rosters, [accountId]: replaceRoster(contacts) } })),

  contactUpdated: (accountId, contact) =>
    set((s) => ({ rosters: { ...s.rosters, [accountId]: updateContact(s.rosters[accountId] ?? [], contact) } })),

  unreadCleared: (accountId, jid) =>
    set((s) => {
      const roster = s.rosters[accountId];
      if (!roster) return {};
      const next = setUnread(roster, jid, 0);
      return next === roster ? {} : { rosters: { ...s.rosters, [accountId]: next } };
    }),

  subscriptionRequestsChanged: (accountId, requests) =>
    set((s) => ({ subscriptionRequests: { ...s.subscriptionRequests, [accountId]: requests } })),

  avatarChanged: (accountId, jid, avatar) =>
    set((s) => {
      const mine = s.avatars[accountId] ?? {};
      if (mine[jid] === avatar) return {};
      const next = { ...mine };
      if (avatar) next[jid] = avatar;
      else delete next[jid];
      return { avatars: { ...s.avatars, [accountId]: next } };
    }),
});
