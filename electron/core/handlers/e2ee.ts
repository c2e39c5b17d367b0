/** The requests of one domain. End-to-end encryption: starting and ending private conversations, authenticating (SMP), keys and trust, libotr files, per-contact policy and the kept private history. */
import type { Account } from '../account.js';
import { KlatschError } from '../errors.js';
import { KeyConflictError } from '../e2ee/otr/store/libotr-folder.js';
import { OtrStoreError } from '../e2ee/otr/store/otr-store.js';
import { humanFingerprint, toOtrFingerprint } from '../values/fingerprint.js';
import type { PrivateChats } from '../e2ee/otr/private-chats.js';
import { OTR_SCHEME, type OtrProvider } from '../e2ee/otr/provider.js';
import { OMEMO_SCHEME, type OmemoProvider, type OmemoTrustRow } from '../e2ee/omemo/provider.js';
import type { ResponseOf } from '../../../shared/contract.js';
import type { Handlers } from '../ipc/dispatch.js';
import type { CoreContext } from './context.js';

export function e2eeHandlers(core: CoreContext): Pick<Handlers, 'startPrivate' | 'endPrivate' | 'startSmp' | 'respondSmp' | 'abortSmp' | 'dismissSmp' | 'acceptKey' | 'setTrust' | 'forgetKey' | 'listTrust' | 'importLibotr' | 'exportLibotr' | 'setOtrPolicy' | 'setE2eeScheme' | 'setKeepPrivateHistory' | 'verifyOmemoDevices'> {
  return {
    startPrivate: async ({ accountId, peer, scheme }) => {
      const account = core.account(accountId);
      core.allowedByPolicy(() => core.policy.checkRemote(account.settings.jid, peer));
      if (!account.connection.activeSession) throw new KlatschError('not-connected', 'Sign in first to start a private conversation.', { reason: 'private-offline' });
      await account.startPrivate(peer.toLowerCase(), scheme);
      return {};
    },

    endPrivate: async ({ accountId, peer }) => {
      await core.account(accountId).endPrivate(peer.toLowerCase());
      return {};
    },

    startSmp: async ({ accountId, peer, secret, question }) => {
      await otrChats(privateAccount(core, accountId)).startSmp(peer.toLowerCase(), secret, question);
      return {};
    },

    respondSmp: async ({ accountId, peer, requestId, secret }) => {
      await otrChats(privateAccount(core, accountId)).respondSmp(peer.toLowerCase(), requestId, secret);
      return {};
    },

    abortSmp: async ({ accountId, peer }) => {
      await otrChats(core.account(accountId)).abortSmp(peer.toLowerCase());
      return {};
    },

    dismissSmp: async ({ accountId, peer }) => {
      await otrChats(core.account(accountId)).dismissSmp(peer.toLowerCase());
      return {};
    },

    acceptKey: async ({ accountId, peer, scheme, key }) => {
      if (scheme === OMEMO_SCHEME) {
        const omemo = omemoOf(core.account(accountId));
        const fp = omemoFingerprintArg(key);
        // Only a held device is accepted (used without verification); a verified one stays verified.
        if (omemo.trustOfKey(peer.toLowerCase(), fp) !== 'held') throw new KlatschError('not-found', 'That key is no longer waiting to be accepted.', { reason: 'key-not-pending' });
        await trustChange(() => omemo.setTrust(peer.toLowerCase(), fp, 'blind'));
        core.emit('trustChanged', { accountId });
        return {};
      }
      otrKeys(scheme);
      const accepted = await otrChats(core.account(accountId)).acceptKey(peer.toLowerCase(), key);
      if (!accepted) throw new KlatschError('not-found', 'That key is no longer waiting to be accepted.', { reason: 'key-not-pending' });
      return {};
    },

    setTrust: async ({ accountId, peer, scheme, key, verified }) => {
      if (scheme === OMEMO_SCHEME) {
        const omemo = omemoOf(core.account(accountId));
        const fp = omemoFingerprintArg(key);
        if (omemo.trustOfKey(peer.toLowerCase(), fp) === undefined) throw new KlatschError('not-found', 'That key is not known.', { reason: 'key-not-known' });
        // Taking a verification back leaves the device in use, as before it was verified.
        await trustChange(() => omemo.setTrust(peer.toLowerCase(), fp, verified ? 'verified' : 'blind'));
        core.emit('trustChanged', { accountId });
        return {};
      }
      otrKeys(scheme);
      const account = core.account(accountId);
      const fp = fingerprintArg(key);
      const changed = await trustChange(() => core.otr.setTrust(account.settings.jid, peer.toLowerCase(), fp, verified));
      // The chat says so: its log never contradicts the header.
      if (changed) await otrChats(account).trustChangedByUser(peer.toLowerCase(), humanFingerprint(fp), verified ? 'verified' : 'unverified');
      return {};
    },

    verifyOmemoDevices: async ({ accountId, peer, devices }) => {
      const omemo = omemoOf(core.account(accountId));
      const result = await trustChange(() => omemo.verifyDevices(peer.toLowerCase(), devices.map((d) => ({ deviceId: d.deviceId, fingerprint: omemoFingerprintArg(d.fingerprint) }))));
      if (result.verified > 0) core.emit('trustChanged', { accountId });
      return result;
    },

    forgetKey: async ({ accountId, peer, scheme, key }) => {
      if (scheme === OMEMO_SCHEME) {
        const omemo = omemoOf(core.account(accountId));
        await trustChange(() => omemo.forgetKey(peer.toLowerCase(), omemoFingerprintArg(key)));
        core.emit('trustChanged', { accountId });
        return {};
      }
      otrKeys(scheme);
      const account = core.account(accountId);
      const fp = fingerprintArg(key);
      const wasVerified = await trustChange(() => core.otr.forget(account.settings.jid, peer.toLowerCase(), fp));
      if (wasVerified) await otrChats(account).trustChangedByUser(peer.toLowerCase(), humanFingerprint(fp), 'forgotten');
      return {};
    },

    listTrust: async () => {
      const accounts = [...core.accounts.values()];
      const otr = core.otr.list(
        accounts.map((a) => ({
          id: a.id,
          jid: a.settings.jid,
          inUse: (peer: string) => (a.e2ee.view(peer)?.scheme === OTR_SCHEME ? a.e2ee.view(peer)?.fingerprint : undefined),
        })),
      );
      const own: TrustList['own'] = [...otr.own];
      const contacts: TrustList['contacts'] = [...otr.contacts];
      for (const account of accounts) {
        const omemo = account.e2ee.provider<OmemoProvider>(OMEMO_SCHEME);
        if (!omemo) continue;
        await omemo.ready;
        const uri = omemo.ownUri();
        for (const [version, fingerprint] of Object.entries(omemo.ownFingerprints())) {
          // The URI carries the 0.3 key: the row that shows that fingerprint shows its QR code.
          const withUri = version === 'oldmemo' && uri !== undefined ? { uri } : {};
          own.push({ accountId: account.id, jid: account.settings.jid, fingerprint, stored: true, scheme: OMEMO_SCHEME, label: omemoLabel(version), ...withUri });
        }
        for (const row of omemo.trustRows()) contacts.push(omemoTrustRow(account.id, row));
      }
      return { own, contacts };
    },

    importLibotr: async ({ replaceKeys }) => {
      const dir = await pick(core, 'import-libotr');
      if (dir === undefined) return { cancelled: true, accounts: [], fingerprints: 0 };
      const accounts = [...core.accounts.values()];
      let result;
      try {
        result = await core.otr.importFolder(dir, accounts.map((a) => a.settings.jid), replaceKeys ?? false);
      } catch (error) {
        if (error instanceof KeyConflictError) throw new KlatschError('already-exists', error.message, error.detail);
        if (error instanceof OtrStoreError) throw new KlatschError('storage', error.message, error.detail);
        throw error;
      }
      // Private conversations made with the old keys end; new ones use the imported key.
      for (const imported of result.accounts) {
        const account = core.accountByJid(imported.jid);
        if (account) await otrChats(account).identityChanged();
      }
      return { cancelled: false, ...result };
    },

    exportLibotr: async () => {
      const dir = await pick(core, 'export-libotr');
      if (dir === undefined) return { cancelled: true };
      try {
        await core.otr.exportFolder(dir);
      } catch (error) {
        if (error instanceof OtrStoreError) throw new KlatschError('storage', error.message, error.detail); // the store cannot give its keys now
        throw new KlatschError('storage', `The files could not be written: ${(error as Error).message}`, { reason: 'libotr-files-not-written', params: { detail: (error as Error).message } });
      }
      return { cancelled: false, folder: dir };
    },

    setE2eeScheme: async ({ accountId, peer, scheme }) => {
      const account = core.account(accountId);
      if (core.policy.encryptionSchemeLocked) {
        throw new KlatschError('forbidden-by-policy', `The encryption of this chat is set by your administrator. ${core.policy.reason}`, { reason: 'e2ee-scheme-locked', params: core.policy.lockedParams });
      }
      if (scheme !== undefined && (!account.e2ee.schemes.includes(scheme) || core.policy.e2eeOverride(scheme) === undefined)) {
        throw new KlatschError('invalid-request', `The encryption “${scheme}” is not available.`, { reason: 'unknown-scheme', params: { scheme } });
      }
      const jid = peer.toLowerCase();
      await core.saveAccount(account, (current) => {
        const { [jid]: _old, ...others } = current.e2eeSchemes ?? {};
        return { ...current, e2eeSchemes: scheme ? { ...others, [jid]: scheme } : others };
      });
      await account.e2eeSchemeChanged(jid);
      return {};
    },

    setOtrPolicy: async ({ accountId, peer, policy }) => {
      const account = core.account(accountId);
      if (core.policy.otrPolicyLocked) throw new KlatschError('forbidden-by-policy', `The privacy setting is locked. ${core.policy.reason}`, { reason: 'otr-policy-locked', params: core.policy.lockedParams });
      const jid = peer.toLowerCase();
      await core.saveAccount(account, (current) => {
        const { [jid]: _old, ...others } = current.otrPolicies ?? {};
        return { ...current, otrPolicies: policy ? { ...others, [jid]: policy } : others };
      });
      await account.e2eePolicyChanged(jid);
      return {};
    },

    setKeepPrivateHistory: async ({ accountId, peer, keep }) => {
      const account = core.account(accountId);
      if (keep && !core.policy.historyKept()) throw new KlatschError('forbidden-by-policy', `Your administrator has turned the chat history off. ${core.policy.reason}`, { reason: 'history-off', params: core.policy.lockedParams });
      const jid = peer.toLowerCase();
      await core.saveAccount(account, (current) => {
        const kept = (current.keepPrivateHistory ?? []).filter((p) => p !== jid);
        const dropped = (current.dropPrivateHistory ?? []).filter((p) => p !== jid);
        return { ...current, keepPrivateHistory: keep ? [...kept, jid] : kept, dropPrivateHistory: keep ? dropped : [...dropped, jid] };
      });
      account.keepPrivateHistoryChanged(jid);
      return {};
    },
  };
}

function pick(core: CoreContext, purpose: 'import-libotr' | 'export-libotr'): Promise<string | undefined> {
  if (!core.options.pickFolder) throw new KlatschError('invalid-request', 'Choosing a folder is not possible here.', { reason: 'folder-unavailable' });
  return core.options.pickFolder(purpose);
}

type TrustList = ResponseOf<'listTrust'>;

/** The version's name as the user sees it beside the fingerprint (clients show the 0.3 and the 2 key differently). */
function omemoLabel(version: string): string {
  return version === 'twomemo' ? 'OMEMO 2' : 'OMEMO 0.3';
}

/** One OMEMO device key as a trust-manager row: the state the user decides on, trust in OTR's words. */
function omemoTrustRow(accountId: string, row: OmemoTrustRow): TrustList['contacts'][number] {
  const state = !row.active ? 'inactive' : row.trust === 'verified' ? 'verified' : row.trust === 'blind' ? 'trusted-blindly' : 'held';
  return {
    accountId,
    peer: row.jid,
    scheme: OMEMO_SCHEME,
    fingerprint: row.fingerprint,
    trust: row.trust === 'verified' ? 'verified-manual' : 'unverified',
    firstSeen: row.firstSeen,
    inUse: state === 'verified' || state === 'trusted-blindly',
    device: { id: String(row.deviceId), label: omemoLabel(row.version), state, ...(row.name !== undefined ? { name: row.name } : {}) },
  };
}

/** The account's OMEMO provider, for trust by device key. */
function omemoOf(account: Account): OmemoProvider {
  const omemo = account.e2ee.provider<OmemoProvider>(OMEMO_SCHEME);
  if (!omemo) throw new KlatschError('invalid-request', 'OMEMO is not available for this account.', { reason: 'unknown-scheme', params: { scheme: OMEMO_SCHEME } });
  return omemo;
}

/** An OMEMO fingerprint in any spacing or case → the groups of 8 hex digits the provider shows. */
function omemoFingerprintArg(fingerprint: string): string {
  const hex = fingerprint.replace(/\s+/g, '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(hex)) throw new KlatschError('invalid-request', 'That is not an OMEMO fingerprint (64 hex digits).', { reason: 'not-an-omemo-fingerprint' });
  return hex.match(/.{8}/g)!.join(' ');
}

/** Keys of OTR's store; any scheme but OTR and OMEMO is refused as such. */
function otrKeys(scheme: string): void {
  if (scheme !== OTR_SCHEME) throw new KlatschError('invalid-request', `Keys of the scheme “${scheme}” are not known here.`, { reason: 'unknown-scheme', params: { scheme } });
}

/** The account's OTR conversations, for the requests only OTR has (SMP, a key to accept, trust set by hand). */
function otrChats(account: Account): PrivateChats {
  const otr = account.e2ee.provider<OtrProvider>(OTR_SCHEME);
  if (!otr) throw new KlatschError('invalid-request', 'OTR is not available for this account.', { reason: 'otr-unavailable' });
  return otr.chats;
}

/** An account that is signed in (SMP messages go through the private conversation). */
function privateAccount(core: CoreContext, id: string): Account {
  const account = core.account(id);
  if (!account.connection.activeSession) throw new KlatschError('not-connected', 'Sign in first to authenticate a contact.', { reason: 'smp-offline' });
  return account;
}

/** The store's own normalization (any spacing or case → 40 lowercase hex digits), its refusal the user's to read. */
function fingerprintArg(fingerprint: string): string {
  try {
    return toOtrFingerprint(fingerprint);
  } catch {
    throw new KlatschError('invalid-request', 'That is not an OTR fingerprint (40 hex digits).', { reason: 'not-a-fingerprint' });
  }
}

/** Store failures (a damaged, read-only store) reach the user as such. */
async function trustChange<T>(change: () => Promise<T>): Promise<T> {
  try {
    return await change();
  } catch (error) {
    throw new KlatschError('storage', (error as Error).message, error instanceof OtrStoreError ? error.detail : undefined);
  }
}
