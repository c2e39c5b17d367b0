/** The requests of one domain. One-to-one chat: sending, correcting and re-sending messages, chat states, read marks (account.ts does the work). */
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function chatHandlers(core: CoreContext): Pick<Handlers, 'sendMessage' | 'setChatState' | 'correctMessage' | 'markRead' | 'resendMessage'> {
  return {
    sendMessage: async ({ accountId, to, body }) => {
      core.allowedByPolicy(() => core.policy.checkRemote(core.account(accountId).settings.jid, to));
      return await core.account(accountId).sendMessage(to, body);
    },

    setChatState: async ({ accountId, peer, state }) => {
      core.allowedByPolicy(() => core.policy.checkRemote(core.account(accountId).settings.jid, peer));
      await core.account(accountId).setChatState(peer, state);
      return {};
    },

    correctMessage: async ({ accountId, peer, id, body }) => {
      core.allowedByPolicy(() => core.policy.checkRemote(core.account(accountId).settings.jid, peer));
      return await core.account(accountId).correctMessage(peer, id, body);
    },

    markRead: async ({ accountId, peer }) => {
      core.account(accountId).markRead(peer);
      return {};
    },

    resendMessage: async ({ accountId, peer, id }) => {
      core.allowedByPolicy(() => core.policy.checkRemote(core.account(accountId).settings.jid, peer));
      return await core.account(accountId).resendMessage(peer.toLowerCase(), id);
    },
  };
}
