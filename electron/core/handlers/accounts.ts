/** The requests of one domain. Accounts: setting them up, signing in and out, the server certificate to trust, presence and picture. */
import { randomUUID } from 'node:crypto';
import { KlatschError } from '../errors.js';
import { PolicyRefusal } from '../policy/policy-gate.js';
import type { StoredAccount } from '../store/settings-store.js';
import { ClassifiedError } from '../xmpp/errors.js';
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function accountHandlers(core: CoreContext): Pick<Handlers, 'getSnapshot' | 'addAccount' | 'connectAccount' | 'disconnectAccount' | 'removeAccount' | 'trustCertificate' | 'setPresence' | 'setAvatar'> {
  return {
    getSnapshot: async () => core.snapshot(),

    addAccount: async ({ jid, password, rememberPassword, host, port, directTls, trustCertificate }) => {
      const bare = jid.toLowerCase();
      if ([...core.accounts.values()].some((a) => a.settings.jid === bare)) {
        throw new KlatschError('already-exists', 'This account is already set up.', { reason: 'account-exists' });
      }
      core.allowedByPolicy(() => {
        core.policy.checkNewAccount(bare, [...core.accounts.values()].map((a) => a.settings.jid));
        const conflict = core.policy.connectionConflict(bare, { host, port, directTls });
        if (conflict) throw new PolicyRefusal(conflict);
        if (trustCertificate && core.policy.pinnedCertificates(bare)) throw new PolicyRefusal('Your administrator decides which certificates this server may use.');
      });
      const stored: StoredAccount = {
        id: randomUUID(),
        jid: bare,
        ...(host ? { host } : {}),
        ...(port ? { port } : {}),
        directTls: directTls ?? false,
        rememberPassword,
        ownPresence: { show: 'online', status: '' },
      };
      if (trustCertificate) stored.pinnedCertificate = core.takeRefused(bare, trustCertificate);
      const account = core.makeAccount(stored, { announce: false, history: await core.openHistory(stored.id), roomHistory: await core.openRoomHistory(stored.id), outbox: await core.openOutbox(stored.id), omemoStore: await core.openOmemoStore(stored) });
      try {
        await account.connection.connect(password, false);
      } catch (error) {
        core.accounts.delete(account.id);
        await account.close();
        await core.dropHistory(account.id);
        core.rememberRefused(bare, error);
        throw error;
      }
      try {
        await core.settings.upsertAccount(core.withPassword(stored, rememberPassword ? password : undefined));
      } catch (error) {
        core.accounts.delete(account.id);
        await account.close();
        await core.dropHistory(account.id);
        throw new KlatschError('storage', `The account could not be saved: ${(error as Error).message}`, { reason: 'account-not-saved', params: { detail: (error as Error).message } });
      }
      account.update(core.settings.account(stored.id)!);
      core.emit('rosterReplaced', { accountId: account.id, contacts: account.contacts() });
      // Messages that came before the account was saved (offline storage, the archive's newest page) were not announced.
      for (const list of Object.values(account.chats.snapshot())) for (const message of list) core.emit('messageUpserted', { accountId: account.id, message });
      return account.view();
    },

    connectAccount: async ({ accountId, password, rememberPassword }) => {
      const account = core.account(accountId);
      const stored = account.settings;
      const secret = password ?? core.storedPassword(stored);
      if (secret === undefined) {
        if (account.connection.retry()) return {}; // the password typed earlier in this session
        throw new KlatschError('auth-failed', 'Enter the password to sign in.', { reason: 'password-needed' });
      }
      if (password !== undefined && rememberPassword !== undefined) {
        await core.saveAccount(account, (current) => core.withPassword({ ...current, rememberPassword }, rememberPassword ? password : undefined));
      }
      try {
        await account.connection.connect(secret);
      } catch (error) {
        core.rememberRefused(accountId, error);
        if (error instanceof ClassifiedError && error.appError.code === 'auth-failed' && stored.password) {
          // A stored password that the server refuses is dropped rather than retried forever.
          await core.saveAccount(account, (current) => core.withPassword(current, undefined));
        }
        throw error;
      }
      return {};
    },

    disconnectAccount: async ({ accountId }) => {
      await core.account(accountId).signOut();
      return {};
    },

    removeAccount: async ({ accountId }) => {
      const account = core.account(accountId);
      await core.settings.removeAccount(accountId);
      core.accounts.delete(accountId);
      await account.close();
      await core.dropHistory(accountId); // the account's chats go with it
      core.emit('accountRemoved', { accountId });
      return {};
    },

    trustCertificate: async ({ accountId, sha256 }) => {
      const account = core.account(accountId);
      core.allowedByPolicy(() => {
        if (core.policy.pinnedCertificates(account.settings.jid)) throw new PolicyRefusal('Your administrator decides which certificates this server may use.');
      });
      const pinned = core.takeRefused(accountId, sha256);
      await core.saveAccount(account, (current) => ({ ...current, pinnedCertificate: pinned }));
      const password = core.storedPassword(account.settings);
      if (password !== undefined) account.connection.connect(password).catch(() => undefined);
      else if (!account.connection.retry()) await account.connection.disconnect(); // offline: the UI asks for the password
      return {};
    },

    setPresence: async ({ accountId, show, status }) => {
      const account = core.account(accountId);
      await core.saveAccount(account, (current) => ({ ...current, ownPresence: { show, status } }));
      await account.setPresence(show, status);
      return {};
    },

    setAvatar: async ({ accountId, image }) => {
      const account = core.account(accountId);
      await account.avatars.setOwn(account.settings.jid, image);
      return {};
    },
  };
}
