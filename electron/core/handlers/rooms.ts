/** The requests of one domain. Group chats and invitations (muc/rooms.ts throws the user's errors itself). */
import type { Account } from '../account.js';
import { KlatschError } from '../errors.js';
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function roomHandlers(core: CoreContext): Pick<Handlers, 'joinRoom' | 'leaveRoom' | 'sendRoomMessage' | 'setRoomSubject' | 'markRoomRead' | 'listRooms' | 'inviteToRoom' | 'acceptInvitation' | 'declineInvitation'> {
  return {
    joinRoom: async ({ accountId, room, nick, password }) => {
      const account = core.account(accountId);
      groupChatsAllowed(core, account, room.includes('@') ? room : undefined, 'room');
      return account.rooms.join(room, nick, password);
    },

    leaveRoom: async ({ accountId, room }) => {
      await core.account(accountId).rooms.leave(room);
      return {};
    },

    sendRoomMessage: async ({ accountId, room, body }) => {
      const account = core.account(accountId);
      groupChatsAllowed(core, account, room);
      return account.rooms.send(room, body);
    },

    setRoomSubject: async ({ accountId, room, subject }) => {
      const account = core.account(accountId);
      groupChatsAllowed(core, account, room);
      await account.rooms.setSubject(room, subject);
      return {};
    },

    markRoomRead: async ({ accountId, room }) => {
      core.account(accountId).rooms.markRead(room);
      return {};
    },

    listRooms: async ({ accountId }) => {
      const account = core.account(accountId);
      groupChatsAllowed(core, account, undefined);
      return account.rooms.list();
    },

    inviteToRoom: async ({ accountId, room, contact, reason, via }) => {
      const account = core.account(accountId);
      groupChatsAllowed(core, account, room);
      core.allowedByPolicy(() => core.policy.checkRemote(account.settings.jid, contact));
      await account.rooms.invite(room, contact, reason, via);
      return {};
    },

    acceptInvitation: async ({ accountId, id, nick }) => {
      const account = core.account(accountId);
      // The policy may have changed since the invitation came (it was checked then).
      groupChatsAllowed(core, account, account.rooms.invitations.list().find((i) => i.id === id)?.room, 'room');
      return account.rooms.acceptInvitation(id, nick);
    },

    declineInvitation: async ({ accountId, id }) => {
      await core.account(accountId).rooms.declineInvitation(id);
      return {};
    },
  };
}

/**
 * Group chats are plaintext to the server and every occupant: refused where the administrator
 * requires end-to-end encryption for every message, and for rooms the remote-address rules deny.
 */
function groupChatsAllowed(core: CoreContext, account: Account, room: string | undefined, action: 'message' | 'room' = 'message'): void {
  const refusal = core.policy.groupChatRefusal();
  if (refusal) throw new KlatschError('forbidden-by-policy', refusal, { reason: 'group-chats-off', params: core.policy.lockedParams });
  if (room) core.allowedByPolicy(() => core.policy.checkRemote(account.settings.jid, room, action));
}
