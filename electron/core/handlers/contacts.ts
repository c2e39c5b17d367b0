/** The requests of one domain. Contacts and subscriptions (ContactManager throws the user's errors itself). */
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function contactHandlers(core: CoreContext): Pick<Handlers, 'addContact' | 'removeContact' | 'renameContact' | 'setContactGroups' | 'approveSubscription' | 'denySubscription'> {
  return {
    addContact: async ({ accountId, jid, name, groups }) => {
      core.allowedByPolicy(() => core.policy.checkRemote(core.account(accountId).settings.jid, jid, 'contact'));
      await core.account(accountId).contactManager.add(jid, name, groups);
      return {};
    },

    removeContact: async ({ accountId, jid }) => {
      await core.account(accountId).contactManager.remove(jid);
      return {};
    },

    renameContact: async ({ accountId, jid, name }) => {
      await core.account(accountId).contactManager.rename(jid, name);
      return {};
    },

    setContactGroups: async ({ accountId, jid, groups }) => {
      await core.account(accountId).contactManager.setGroups(jid, groups);
      return {};
    },

    approveSubscription: async ({ accountId, jid }) => {
      await core.account(accountId).contactManager.approve(jid);
      return {};
    },

    denySubscription: async ({ accountId, jid }) => {
      await core.account(accountId).contactManager.deny(jid);
      return {};
    },
  };
}
