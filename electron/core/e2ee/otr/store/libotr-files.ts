/**
 * Moving between Klatsch and libotr clients (Pidgin, …): libotr's three files.
 *
 *   otr.private_key   S-expression, see otr/libotr-keyfile.ts
 *   otr.fingerprints  lines  contact \t account \t protocol \t 40 hex \t trust
 *                     (trust "" = unverified, "verified" = checked by hand,
 *                     "smp" = checked with the SMP; anything else = unverified)
 *   otr.instance_tags lines  account \t protocol \t 8 hex   ("#" lines are comments)
 *
 * Pidgin names XMPP accounts (and sometimes contacts) with a resource
 * ("alice@example.com/Home") under the protocol "prpl-jabber"; Klatsch keys
 * everything by bare JID. Imports are all-or-nothing: every file is read and
 * checked first, then everything is applied in one atomic write.
 */
import { OtrKeyFileError, readLibotrPrivateKeys, writeLibotrPrivateKeys, type LibotrPrivateKey } from '../../../otr/libotr-keyfile.js';
import type { DsaPrivateKey } from '../../../otr/dsa.js';
import { MIN_INSTANCE_TAG } from '../../../otr/wire.js';
import {
  OtrStoreError,
  fingerprintOf,
  strongerTrust,
  type OtrStore,
  type OtrStoreImport,
  type Trust,
} from './otr-store.js';
import { requireBareJid } from '../../../values/jid.js';

/** libotr's protocol name for XMPP: "prpl-jabber" in Pidgin, "xmpp" in other clients. */
export type LibotrProtocol = 'xmpp' | 'prpl-jabber';

export interface LibotrImportOptions {
  /** otr.private_key (required: importing is about keeping one's identity); its bytes as read from disk. */
  privateKeyText: string | Uint8Array;
  /** otr.fingerprints */
  fingerprintsText?: string;
  /** otr.instance_tags */
  instanceTagsText?: string;
  protocol: LibotrProtocol;
  /** Import only these accounts (bare JIDs); each must have a key in the file. Default: every account of the protocol. */
  accounts?: string[];
  /** Replace keys that Klatsch already has for an account (default false: that is an error). */
  replaceKeys?: boolean;
}

export interface LibotrImportResult {
  accounts: { account: string; fingerprint: string; instanceTag: number | undefined }[];
  fingerprints: number;
}

export interface LibotrExport {
  privateKeyText: string;
  fingerprintsText: string;
  instanceTagsText: string;
}

export interface LibotrExportOptions {
  /** libotr account name for a bare JID; e.g. `(jid) => \`${jid}/Home\`` for a Pidgin account with a resource. Default: the bare JID. */
  accountName?: (account: string) => string;
}

const MAX_TEXT = 4 << 20;
const INSTAG_WARNING = "# WARNING! You shouldn't copy this file to another computer. It is unnecessary and can cause problems.";

export function trustFromLibotr(text: string): Trust {
  if (text === 'verified') return 'verified-manual';
  if (text === 'smp') return 'verified-smp';
  return 'unverified';
}

export function trustToLibotr(trust: Trust): string {
  return trust === 'verified-manual' ? 'verified' : trust === 'verified-smp' ? 'smp' : '';
}

function fail(file: string, why: string): never {
  throw new OtrStoreError(`${file}: ${why} Nothing was imported.`, { reason: 'libotr-file-invalid', params: { file } });
}

function lines(text: string, file: string): { n: number; line: string }[] {
  if (text.length > MAX_TEXT) fail(file, 'the file is too large.');
  if (text.includes('\0')) fail(file, 'this is not a text file.');
  return text
    .split('\n')
    .map((line, i) => ({ n: i + 1, line: line.endsWith('\r') ? line.slice(0, -1) : line }))
    .filter(({ line }) => line.trim() !== '');
}

function jidIn(file: string, n: number, what: string, value: string): string {
  try {
    return requireBareJid(value);
  } catch {
    return fail(file, `line ${n}: the ${what} ${JSON.stringify(value.slice(0, 80))} is not a JID.`);
  }
}

interface ParsedKey {
  account: string;
  originalName: string;
  key: DsaPrivateKey;
}

/** Reads and checks otr.private_key; throws OtrStoreError ("otr.private_key: … Nothing was imported.") if it is damaged. */
export function readLibotrKeyFile(text: string | Uint8Array): LibotrPrivateKey[] {
  const file = 'otr.private_key';
  if ((typeof text === 'string' ? Buffer.byteLength(text) : text.byteLength) > MAX_TEXT) fail(file, 'the file is too large.');
  try {
    return readLibotrPrivateKeys(text);
  } catch (error) {
    if (error instanceof OtrKeyFileError) fail(file, error.message);
    throw error;
  }
}

function parseKeys(all: readonly LibotrPrivateKey[], protocol: LibotrProtocol): ParsedKey[] {
  const file = 'otr.private_key';
  const ours = all.filter((k) => k.protocol === protocol);
  if (ours.length === 0) {
    const found = all.map((k) => `${k.account} (${k.protocol})`).join(', ');
    fail(file, `there is no key for the protocol "${protocol}" in it${found ? ` (it has: ${found})` : ''}.`);
  }
  const byAccount = new Map<string, ParsedKey>();
  for (const { account: name, key } of ours) {
    let account: string;
    try {
      account = requireBareJid(name);
    } catch {
      fail(file, `the account name ${JSON.stringify(name.slice(0, 80))} is not a JID.`);
    }
    const other = byAccount.get(account);
    if (other && fingerprintOf(other.key) !== fingerprintOf(key)) {
      fail(file, `it has two different keys for ${account} ("${other.originalName}" and "${name}"); Klatsch keeps one key per account.`);
    }
    if (!other) byAccount.set(account, { account, originalName: name, key });
  }
  return [...byAccount.values()];
}

interface ParsedFingerprint {
  account: string;
  contact: string;
  fingerprint: string;
  trust: Trust;
}

function parseFingerprints(text: string, protocol: LibotrProtocol): ParsedFingerprint[] {
  const file = 'otr.fingerprints';
  const out = new Map<string, ParsedFingerprint>();
  for (const { n, line } of lines(text, file)) {
    const cols = line.split('\t');
    if (cols.length !== 4 && cols.length !== 5) {
      fail(file, `line ${n} has ${cols.length} tab-separated columns; expected contact, account, protocol, fingerprint and trust.`);
    }
    const [contactName = '', accountName = '', proto = '', hex = '', trustText = ''] = cols;
    if (/\p{Cc}/u.test(line.replace(/\t/g, ''))) fail(file, `line ${n} contains control characters.`);
    if (proto === '') fail(file, `line ${n} has no protocol.`);
    if (!/^[0-9a-fA-F]{40}$/.test(hex)) fail(file, `line ${n}: the fingerprint must be 40 hex digits.`);
    if (contactName === '' || accountName === '') fail(file, `line ${n} has an empty name.`);
    if (proto !== protocol) continue; // other protocols' names need not be JIDs (AIM names have spaces)
    const contact = jidIn(file, n, 'contact', contactName);
    const account = jidIn(file, n, 'account', accountName);
    const fingerprint = hex.toLowerCase();
    const trust = trustFromLibotr(trustText);
    const id = `${account}\n${contact}\n${fingerprint}`;
    const had = out.get(id);
    // Several Pidgin accounts may become one bare JID: a verification made in any of them counts.
    out.set(id, { account, contact, fingerprint, trust: had ? strongerTrust(had.trust, trust) : trust });
  }
  return [...out.values()];
}

interface ParsedInstanceTag {
  account: string;
  originalName: string;
  instanceTag: number;
}

function parseInstanceTags(text: string, protocol: LibotrProtocol): ParsedInstanceTag[] {
  const file = 'otr.instance_tags';
  const out: ParsedInstanceTag[] = [];
  for (const { n, line } of lines(text, file)) {
    if (line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (cols.length !== 3) fail(file, `line ${n} has ${cols.length} tab-separated columns; expected account, protocol and instance tag.`);
    const [accountName = '', proto = '', hex = ''] = cols;
    if (proto === '') fail(file, `line ${n} has no protocol.`);
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) fail(file, `line ${n}: the instance tag must be up to 8 hex digits.`);
    const instanceTag = Number.parseInt(hex, 16);
    if (instanceTag < MIN_INSTANCE_TAG) fail(file, `line ${n}: the instance tag ${hex} is not valid (the smallest is 00000100).`);
    if (accountName === '') fail(file, `line ${n} has an empty account name.`);
    if (proto === protocol) out.push({ account: jidIn(file, n, 'account', accountName), originalName: accountName, instanceTag });
  }
  return out;
}

/** Reads, checks and imports libotr's files in one atomic write; throws OtrStoreError (and changes nothing) on any problem. */
export async function importLibotr(store: OtrStore, options: LibotrImportOptions): Promise<LibotrImportResult> {
  const { privateKeyText, ...rest } = options;
  return importLibotrKeys(store, readLibotrKeyFile(privateKeyText), rest);
}

/** `importLibotr` with otr.private_key already read by `readLibotrKeyFile` (so that it is parsed and checked once). */
export async function importLibotrKeys(
  store: OtrStore,
  privateKeys: readonly LibotrPrivateKey[],
  options: Omit<LibotrImportOptions, 'privateKeyText'>,
): Promise<LibotrImportResult> {
  const { protocol } = options;
  if (protocol !== 'xmpp' && protocol !== 'prpl-jabber') throw new TypeError(`Unknown libotr protocol ${String(protocol)}`);
  let wanted: Set<string> | undefined;
  if (options.accounts) {
    try {
      wanted = new Set(options.accounts.map((account) => requireBareJid(account)));
    } catch (error) {
      throw new OtrStoreError(`${(error as Error).message}. Nothing was imported.`);
    }
  }

  // 1. Read and check everything.
  const keys = parseKeys(privateKeys, protocol).filter((k) => !wanted || wanted.has(k.account));
  const fingerprints = options.fingerprintsText === undefined ? [] : parseFingerprints(options.fingerprintsText, protocol);
  const tags = options.instanceTagsText === undefined ? [] : parseInstanceTags(options.instanceTagsText, protocol);
  if (wanted) {
    const missing = [...wanted].filter((a) => !keys.some((k) => k.account === a));
    if (missing.length > 0) fail('otr.private_key', `there is no ${protocol} key for ${missing.join(', ')} in it.`);
  }

  // 2. One instance tag per bare account: the one of the account whose key is imported, else the only one.
  const instanceTags: { account: string; instanceTag: number }[] = [];
  for (const account of new Set(tags.map((t) => t.account))) {
    if (wanted && !wanted.has(account)) continue;
    const candidates = tags.filter((t) => t.account === account);
    const keyName = keys.find((k) => k.account === account)?.originalName;
    const exact = candidates.filter((t) => t.originalName === keyName);
    const choice = exact.length > 0 ? exact : candidates;
    const distinct = new Set(choice.map((t) => t.instanceTag));
    if (distinct.size > 1) fail('otr.instance_tags', `it has different instance tags for ${account}.`);
    instanceTags.push({ account, instanceTag: choice[0]!.instanceTag });
  }

  const plan: OtrStoreImport = {
    keys: keys.map(({ account, key }) => ({ account, key })),
    instanceTags,
    fingerprints: fingerprints.filter((f) => !wanted || wanted.has(f.account)),
    replaceKeys: options.replaceKeys ?? false,
  };

  // 3. Apply in one write (which may still refuse: e.g. an account already has another key).
  await store.applyImport(plan);
  return {
    accounts: plan.keys.map(({ account, key }) => ({
      account,
      fingerprint: fingerprintOf(key),
      instanceTag: instanceTags.find((t) => t.account === account)?.instanceTag,
    })),
    fingerprints: plan.fingerprints.length,
  };
}

/** libotr's three files for everything the store holds. Throws OtrStoreError if the stored keys cannot be read now. */
export function exportLibotr(store: OtrStore, protocol: LibotrProtocol, options: LibotrExportOptions = {}): LibotrExport {
  const name = options.accountName ?? ((account: string) => account);
  const data = store.exportAll();
  const accountName = (account: string): string => {
    const n = name(account);
    if (n.length === 0 || /[\s\p{Cc}]/u.test(n)) throw new TypeError(`Bad libotr account name ${JSON.stringify(n)}`);
    return n;
  };
  const privateKeyText = writeLibotrPrivateKeys(data.keys.map(({ account, key }) => ({ account: accountName(account), protocol, key })));
  const fingerprintsText = data.fingerprints
    .map((f) => `${f.contact}\t${accountName(f.account)}\t${protocol}\t${f.fingerprint}\t${trustToLibotr(f.trust)}\n`)
    .join('');
  const instanceTagsText =
    `${INSTAG_WARNING}\n` +
    data.instanceTags.map((t) => `${accountName(t.account)}\t${protocol}\t${t.instanceTag.toString(16).padStart(8, '0')}\n`).join('');
  return { privateKeyText, fingerprintsText, instanceTagsText };
}
