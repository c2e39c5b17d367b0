/**
 * `xmpp:` URIs (RFC 5122) opened with Klatsch: from a web page, a mail, a
 * QR code. The result is what the UI offers — a chat, or adding a contact
 * (always after asking) — never an action taken on the link's word alone.
 *
 * Understood: `xmpp:user@domain`, `xmpp://account@ourdomain/user@domain`
 * (the authority names which account to use; ignored), the query actions
 * `message` (with `body`), `subscribe` and `roster` (RFC 5122 §2.5, XEP-0147),
 * `otr-fingerprint=` (40 hex digits) to pre-fill the fingerprint to verify, and Conversations'
 * `omemo-sid-<device id>=<fingerprint>` (64 hex digits; a leading `05`, the key type, is dropped) for
 * each OMEMO device to verify, by its id and key.
 *
 * @example parseXmppUri('xmpp:bob@example.com?message;body=Hi') // { action: 'chat', jid: 'bob@example.com', body: 'Hi' }
 */
import type { XmppLinkEvent } from '../../../shared/contract.js';
import { humanFingerprint, parseOtrFingerprint } from '../values/fingerprint.js';
import { bareJid } from '../values/jid.js';

const ADD_ACTIONS = new Set(['subscribe', 'roster']);

export function parseXmppUri(raw: string): XmppLinkEvent | undefined {
  if (typeof raw !== 'string' || raw.length > 8192 || !/^xmpp:/i.test(raw)) return undefined;
  let rest = raw.slice(5);
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const q = rest.indexOf('?');
  let path = q >= 0 ? rest.slice(0, q) : rest;
  const query = q >= 0 ? rest.slice(q + 1) : '';
  if (path.startsWith('//')) {
    // xmpp://authority/path: the authority is the account to use, not the contact.
    const slash = path.indexOf('/', 2);
    if (slash < 0) return undefined;
    path = path.slice(slash + 1);
  }
  const jid = decode(path);
  // A bare address with a local part (local@domain), no resource: the one JID parser decides; a `?` or `#`
  // (percent-encoded in the link) in the domain is a link someone built to mislead, not an address.
  const bare = jid?.includes('@') && !/[?#]/.test(jid.slice(jid.indexOf('@'))) ? bareJid(jid) : undefined;
  if (!bare || bare !== jid!.toLowerCase()) return undefined;

  // XEP-0147 separates pairs with `;`; some clients write `&`.
  const parts = query === '' ? [] : query.split(/[;&]/);
  let action: XmppLinkEvent['action'] = 'chat';
  const params = new Map<string, string>();
  for (const [i, part] of parts.entries()) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      if (i === 0 && ADD_ACTIONS.has(part.toLowerCase())) action = 'add-contact';
      continue;
    }
    const key = decode(part.slice(0, eq));
    const value = decode(part.slice(eq + 1));
    if (key === undefined || value === undefined) return undefined;
    params.set(key.toLowerCase(), value);
  }
  const fingerprint = parseOtrFingerprint(params.get('otr-fingerprint') ?? '');
  const body = params.get('body');
  const omemoDevices = omemoDevicesOf(params);
  return {
    action,
    jid: bare,
    ...(fingerprint ? { otrFingerprint: humanFingerprint(fingerprint) } : {}),
    ...(omemoDevices.length > 0 ? { omemoDevices } : {}),
    ...(body && action === 'chat' ? { body: body.slice(0, 4096) } : {}),
  };
}

/** Devices to verify named by `omemo-sid-<id>=<fingerprint>` pairs; malformed ones are left out. */
function omemoDevicesOf(params: Map<string, string>): { deviceId: number; fingerprint: string }[] {
  const out: { deviceId: number; fingerprint: string }[] = [];
  for (const [key, value] of params) {
    const sid = /^omemo-sid-(\d{1,10})$/.exec(key);
    if (!sid) continue;
    const deviceId = Number(sid[1]);
    let hex = value.replace(/\s+/g, '').toLowerCase();
    if (/^05[0-9a-f]{64}$/.test(hex)) hex = hex.slice(2);
    if (deviceId < 1 || deviceId > 2 ** 31 - 1 || !/^[0-9a-f]{64}$/.test(hex)) continue;
    out.push({ deviceId, fingerprint: hex.match(/.{8}/g)!.join(' ') });
    if (out.length === 16) break;
  }
  return out;
}

/** Finds an `xmpp:` URI in a command line (Windows and Linux pass it as an argument). */
export function xmppUriFromArgv(argv: readonly string[]): string | undefined {
  return argv.find((arg) => /^xmpp:/i.test(arg));
}

function decode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
