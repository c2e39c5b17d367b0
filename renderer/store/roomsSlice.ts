/**
 * Group chats per account, their messages, and the room on screen. Room messages live apart
 * from one-to-one chats: a room is not a contact (whether it is end-to-end encrypted is its RoomView.e2ee).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { ChatMessage, RoomView, Snapshot } from '../../shared/contract';
import type { AppState, RoomsSlice } from './types';
import { sortMessages, upsertMessage } from './transitions';

/** Rooms by nickname-free address, in the order the user will look for them. */
function sortRooms(rooms: RoomView[]): RoomView[] {
  return [...rooms].sort((a, b) => a.jid.localeCompare(b.jid));
}

/** The rooms part of a snapshot, for `snapshotLoaded`. */
export function roomsFromSnapshot(snapshot: Snapshot): Pick<RoomsSlice, 'rooms' | 'roomMessages' | 'invitations'> {
  const rooms: RoomsSlice['rooms'] = {};
  for (const [accountId, list] of Object.entries(snapshot.rooms ?? {})) rooms[accountId] = sortRooms(list);
  const roomMessages: RoomsSlice['roomMessages'] = {};
  for (const [accountId, byRoom] of Object.entries(snapshot.roomMessages ?? {})) {
    const sorted: Record<string, ChatMessage[]> = {};
    for (const [room, messages] of Object.entries(byRoom)) sorted[room] = sortMessages(messages);
    roomMessages[accountId] = sorted;
  }
  return { rooms, roomMessages, invitations: { ...snapshot.invitations } };
}

/** The rooms part of the state once an account is removed, for `accountRemoved`. */
export function roomsWithoutAccount(s: RoomsSlice, accountId: string): Pick<RoomsSlice, 'rooms' | 'roomMessages' | 'selectedRoom' | 'invitations'> {
  const { [accountId]: _rooms, ...rooms } = s.rooms;
  const { [accountId]: _messages, ...roomMessages } = s.roomMessages;
  const { [accountId]: _invitations, ...invitations } = s.invitations;
  return { rooms, roomMessages, invitations, selectedRoom: s.selectedRoom?.accountId === accountId ? null : s.selectedRoom };
}

export const createRoomsSlice: StateCreator<AppState, [], [], RoomsSlice> = (set) => ({
  rooms: {},
  roomMessages: {},
  selectedRoom: null,
  invitations: {},

  invitationsChanged: (accountId, invitations) => set((s) => ({ invitations: { ...s.invitations, [accountId]: invitations } })),

  roomUpdated: (accountId, room) =>
    set((s) => {
      const others = (s.rooms[accountId] ?? []).filter((r) => r.jid !== room.jid);
      return { rooms: { ...s.rooms, [accountId]: sortRooms([...others, room]) } };
    }),

  roomRemoved: (accountId, jid) =>
    set((s) => ({
      rooms: { ...s.rooms, [accountId]: (s.rooms[accountId] ?? []).filter((r) => r.jid !== jid) },
      selectedRoom: s.selectedRoom?.accountId === accountId && s.selectedRoom.peer === jid ? null : s.selectedRoom,
    })),

  roomMessageUpserted: (accountId, message) =>
    set((s) => {
      const byRoom = s.roomMessages[accountId] ?? {};
      const list = byRoom[message.peer] ?? [];
      const next = upsertMessage(list, message);
      if (next === list && byRoom[message.peer]) return {};
      return { roomMessages: { ...s.roomMessages, [accountId]: { ...byRoom, [message.peer]: next } } };
    }),

  roomSelected: (room) => set(room ? { selectedRoom: room, selected: null } : { selectedRoom: null }),
});
