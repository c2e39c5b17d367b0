/**
 * The `<encrypted>` element of an OMEMO message (XEP-0384 0.3 §4.5, current §5.4).
 *
 *   oldmemo (0.3): <encrypted xmlns='eu.siacs.conversations.axolotl'>
 *          <header sid='27183'>
 *            <key rid='31415' prekey='true'>b64</key>…   (one per recipient device, matched by id only)
 *            <iv>b64</iv>
 *          </header>
 *          <payload>b64</payload>                           (absent in key transport / empty messages)
 *        </encrypted>
 *
 *   twomemo (2):   <encrypted xmlns='urn:xmpp:omemo:2'>
 *          <header sid='27183'>
 *            <keys jid='juliet@capulet.lit'><key rid='31415' kex='true'>b64</key>…</keys>…
 *          </header>
 *          <payload>b64</payload>                           (the encrypted SCE envelope; absent if empty)
 *        </encrypted>
 *
 * `prekey`/`kex` are written only when true: oldmemo/twomemo 1.0.3 read any value of the attribute,
 * 'false' included, as true.
 *
 * @example
 *   const r = parseEncrypted(stanza.getChild('encrypted', NS_OMEMO_2)!);
 *   const mine = r.ok ? keyFor(r.value, ownBareJid, ownDeviceId) : undefined;
 */
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../../values/jid.js';
import {
  checkOwnDeviceId,
  decodeBase64,
  encodeBase64,
  fail,
  MAX_KEY_TEXT_CHARS,
  MAX_MESSAGE_KEYS,
  MAX_PAYLOAD_TEXT_CHARS,
  NAMESPACE,
  NS_EME,
  NS_HINTS,
  ok,
  parseDeviceId,
  parseXmlBoolean,
  versionOfNamespace,
  type OmemoVersion,
  type Parsed,
} from './common.js';

/** One `<key>`: the engine's KeyElement (`data`, `keyExchange`) with its recipient. */
export interface OmemoKeyElement {
  /** omemo:2: the recipient's bare JID (lowercase) from `<keys jid>`. 0.3 has none: keys match by device id only. */
  jid?: string;
  rid: number;
  /** A key exchange (0.3 `prekey`, omemo:2 `kex`): the data is a PreKeyWhisperMessage / OMEMOKeyExchange. */
  keyExchange: boolean;
  data: Uint8Array;
}

export interface OmemoEncrypted {
  version: OmemoVersion;
  /** The sending device. */
  sid: number;
  keys: OmemoKeyElement[];
  /** 0.3 only: the payload's AES-GCM IV (12 bytes from current clients, 16 from some old ones). */
  iv?: Uint8Array;
  /** Absent for an empty message (key transport, heartbeat, session completion). */
  payload?: Uint8Array;
}

const IV_LENGTHS = new Set([12, 16]);

/** Parses an `<encrypted>` element of either version. */
export function parseEncrypted(el: Element): Parsed<OmemoEncrypted> {
  const version = versionOfNamespace(el.attrs.xmlns);
  if (!version || el.name !== 'encrypted') {
    return fail('wrong-element', `not an OMEMO <encrypted> element: <${el.name} xmlns='${el.attrs.xmlns ?? ''}'>`);
  }
  const ns = NAMESPACE[version];
  const headers = el.getChildren('header', ns);
  if (headers.length !== 1) return fail('missing', 'OMEMO message without exactly one <header>');
  const header = headers[0]!;
  const sid = parseDeviceId(header.attrs.sid);
  if (sid === undefined) return fail('bad-id', 'OMEMO message: sender device id (sid) missing or out of range');

  // The <key> elements with the recipient JID each belongs to (omemo:2) or none (0.3).
  const keyEls: { jid?: string; el: Element }[] = [];
  if (version === 'oldmemo') {
    for (const k of header.getChildren('key', ns)) keyEls.push({ el: k });
  } else {
    for (const group of header.getChildren('keys', ns)) {
      const jid = bareJid(group.attrs.jid);
      if (!jid || group.attrs.jid?.includes('/')) return fail('missing', 'OMEMO message: <keys> without a bare JID');
      for (const k of group.getChildren('key', ns)) keyEls.push({ jid, el: k });
      if (keyEls.length > MAX_MESSAGE_KEYS) break;
    }
  }
  if (keyEls.length > MAX_MESSAGE_KEYS) {
    return fail('too-large', `OMEMO message with more than ${MAX_MESSAGE_KEYS} keys refused`);
  }
  if (keyEls.length === 0) return fail('empty', 'OMEMO message without keys');

  const keys: OmemoKeyElement[] = [];
  for (const { jid, el: k } of keyEls) {
    const rid = parseDeviceId(k.attrs.rid);
    if (rid === undefined) return fail('bad-id', 'OMEMO message: a recipient device id (rid) is missing or out of range');
    const text = k.text();
    if (text.length > MAX_KEY_TEXT_CHARS) return fail('too-large', `OMEMO message: a key of ${text.length} characters refused`);
    const data = decodeBase64(text, MAX_KEY_TEXT_CHARS);
    if (!data || data.length === 0) return fail('bad-base64', `OMEMO message: the key for device ${rid} is not base64`);
    const keyExchange = parseXmlBoolean(version === 'oldmemo' ? k.attrs.prekey : k.attrs.kex);
    keys.push(jid === undefined ? { rid, keyExchange, data } : { jid, rid, keyExchange, data });
  }

  const result: OmemoEncrypted = { version, sid, keys };
  if (version === 'oldmemo') {
    const ivs = header.getChildren('iv', ns);
    if (ivs.length !== 1) return fail('missing', 'OMEMO 0.3 message without exactly one <iv>');
    const iv = decodeBase64(ivs[0]!.text(), 64);
    if (!iv || !IV_LENGTHS.has(iv.length)) return fail('bad-base64', 'OMEMO 0.3 message: the IV is not 12 or 16 bytes of base64');
    result.iv = iv;
  }
  const payloads = el.getChildren('payload', ns);
  if (payloads.length > 1) return fail('missing', 'OMEMO message with more than one <payload>');
  if (payloads.length === 1) {
    const text = payloads[0]!.text();
    if (text.length > MAX_PAYLOAD_TEXT_CHARS) return fail('too-large', `OMEMO payload of ${text.length} characters refused`);
    const payload = decodeBase64(text, MAX_PAYLOAD_TEXT_CHARS);
    if (!payload || payload.length === 0) return fail('bad-base64', 'OMEMO payload is not base64');
    result.payload = payload;
  }
  return ok(result);
}

/**
 * The key meant for this device: in omemo:2 under our bare JID, in 0.3 by device id alone (that
 * version's header names no JIDs). Undefined when the message was not encrypted for us.
 */
export function keyFor(message: OmemoEncrypted, ownBareJid: string, ownDeviceId: number): OmemoKeyElement | undefined {
  const own = bareJid(ownBareJid);
  return message.keys.find((k) => k.rid === ownDeviceId && (message.version === 'oldmemo' || k.jid === own));
}

/** Builds the `<encrypted>` element. oldmemo needs `iv`; twomemo needs a `jid` on every key. */
export function buildEncrypted(message: OmemoEncrypted): Element {
  const { version } = message;
  const ns = NAMESPACE[version];
  checkOwnDeviceId(message.sid);
  if (message.keys.length === 0 || message.keys.length > MAX_MESSAGE_KEYS) {
    throw new RangeError(`an OMEMO message needs 1..${MAX_MESSAGE_KEYS} keys`);
  }
  const keyEl = (k: OmemoKeyElement): Element => {
    checkOwnDeviceId(k.rid);
    const flag = version === 'oldmemo' ? 'prekey' : 'kex';
    return xml('key', { rid: String(k.rid), [flag]: k.keyExchange ? 'true' : undefined }, encodeBase64(k.data));
  };
  const headerChildren: Element[] = [];
  if (version === 'oldmemo') {
    if (!message.iv || !IV_LENGTHS.has(message.iv.length)) throw new RangeError('an OMEMO 0.3 message needs a 12- or 16-byte IV');
    headerChildren.push(...message.keys.map(keyEl), xml('iv', {}, encodeBase64(message.iv)));
  } else {
    const byJid = new Map<string, OmemoKeyElement[]>();
    for (const k of message.keys) {
      const jid = bareJid(k.jid);
      if (!jid) throw new RangeError('an omemo:2 key needs the recipient bare JID');
      (byJid.get(jid) ?? byJid.set(jid, []).get(jid)!).push(k);
    }
    for (const [jid, keys] of byJid) headerChildren.push(xml('keys', { jid }, ...keys.map(keyEl)));
  }
  return xml(
    'encrypted',
    { xmlns: ns },
    xml('header', { sid: String(message.sid) }, ...headerChildren),
    message.payload ? xml('payload', {}, encodeBase64(message.payload)) : undefined,
  );
}

/**
 * A chat message carrying `encrypted`: with a store hint (so servers archive it though it may have
 * no body) and XEP-0380's encryption marker. `fallbackBody` is the plaintext `<body>` for clients
 * without OMEMO — never the message itself.
 */
export function buildOmemoMessage(opts: { to: string; id: string; encrypted: Element; fallbackBody?: string }): Element {
  const version = versionOfNamespace(opts.encrypted.attrs.xmlns);
  if (!version || opts.encrypted.name !== 'encrypted') throw new RangeError('buildOmemoMessage needs an OMEMO <encrypted> element');
  return xml(
    'message',
    { to: opts.to, id: opts.id, type: 'chat' },
    opts.encrypted,
    xml('store', { xmlns: NS_HINTS }),
    xml('encryption', { xmlns: NS_EME, namespace: NAMESPACE[version], name: version === 'oldmemo' ? 'OMEMO' : 'OMEMO 2' }),
    opts.fallbackBody !== undefined ? xml('body', {}, opts.fallbackBody) : undefined,
  );
}
