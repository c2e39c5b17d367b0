/**
 * What the XMPP side of OMEMO (XEP-0384) shares across its codecs: the two versions' namespaces and
 * PEP nodes, the limits on what a contact (or their server) may hand us, the one error type, and
 * strict readers for the ids and base64 texts the elements carry.
 *
 * Versions are the engine's (../version.ts): 'oldmemo' is XEP-0384 0.3 (`eu.siacs.conversations.axolotl`,
 * what Conversations, Monal and Gajim deploy); 'twomemo' is the current XEP-0384 (`urn:xmpp:omemo:2`,
 * payload = an XEP-0420 envelope).
 *
 * The codecs are pure: elements in, values out (or values in, elements out). Parsers never throw on
 * what came from the network: they return `{ ok: false, error }` with a code and a plain sentence.
 */

import { NAMESPACE, type OmemoVersion } from '../version.js';

export { NAMESPACE, type OmemoVersion };
export const NS_OMEMO_03 = NAMESPACE.oldmemo;
export const NS_OMEMO_2 = NAMESPACE.twomemo;
export const NS_SCE = 'urn:xmpp:sce:1';
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
export const NS_PUBSUB_ERRORS = 'http://jabber.org/protocol/pubsub#errors';
export const NS_DATA_FORMS = 'jabber:x:data';
export const NS_HINTS = 'urn:xmpp:hints';
export const NS_EME = 'urn:xmpp:eme:0';

/** PEP node of the device list (the item is 'current' in both versions). */
export const DEVICE_LIST_NODE: Record<OmemoVersion, string> = {
  oldmemo: 'eu.siacs.conversations.axolotl.devicelist',
  twomemo: 'urn:xmpp:omemo:2:devices',
};
export const DEVICE_LIST_ITEM = 'current';

/** PEP node and item of one device's bundle: 0.3 has a node per device, omemo:2 one node with an item per device. */
export function bundleLocation(version: OmemoVersion, deviceId: number): { node: string; item: string } {
  checkOwnDeviceId(deviceId);
  return version === 'oldmemo'
    ? { node: `eu.siacs.conversations.axolotl.bundles:${deviceId}`, item: 'current' }
    : { node: 'urn:xmpp:omemo:2:bundles', item: String(deviceId) };
}

/** The version an `<encrypted>`, `<list>`/`<devices>` or `<bundle>` element belongs to, by its namespace. */
export function versionOfNamespace(ns: string | undefined): OmemoVersion | undefined {
  return ns === NS_OMEMO_03 ? 'oldmemo' : ns === NS_OMEMO_2 ? 'twomemo' : undefined;
}

// ---- limits ----------------------------------------------------------------------------------

/** Device ids: both versions say 1 ≤ id ≤ 2^31 − 1. */
export const MIN_DEVICE_ID = 1;
export const MAX_DEVICE_ID = 2 ** 31 - 1;
/** Pre-key and signed-pre-key ids: protobuf uint32 (libsignal uses 24 bits, python-omemo 32). */
export const MAX_KEY_ID = 2 ** 32 - 1;
/**
 * Devices on one account's list. Real accounts have a handful; every device costs a key in every
 * message, so a list far above this is an attack (or a broken client) and is refused as a whole.
 */
export const MAX_DEVICES = 500;
/** A device label (omemo:2 only), in characters; longer labels are dropped, the device kept. */
export const MAX_LABEL_CHARS = 128;
/** Pre-keys in one bundle (XEP-0384 asks for about 100; python-omemo and Conversations keep 100). */
export const MAX_PREKEYS = 500;
/** The base64 text of one key, signature or pre-key in a bundle. */
export const MAX_BUNDLE_TEXT_CHARS = 1024;
/** Keys (recipient devices) in one `<encrypted>` header. */
export const MAX_MESSAGE_KEYS = 2 * MAX_DEVICES;
/** The base64 text of one `<key>` (a key exchange with its message is ~200 bytes). */
export const MAX_KEY_TEXT_CHARS = 4096;
/** The base64 `<payload>`: Prosody's default stanza limit (256 KiB). */
export const MAX_PAYLOAD_TEXT_CHARS = 256 * 1024;

// ---- errors ----------------------------------------------------------------------------------

export type OmemoXmlErrorCode =
  /** Not the element asked for (name or namespace). */
  | 'wrong-element'
  /** A required child or attribute is missing. */
  | 'missing'
  /** An id is not a decimal integer in its range. */
  | 'bad-id'
  /** Text that must be base64 is not (or decodes to the wrong length). */
  | 'bad-base64'
  /** More devices, keys or pre-keys than allowed, or text longer than allowed. */
  | 'too-large'
  /** A bundle without pre-keys, a header without keys. */
  | 'empty'
  /** The decrypted envelope is not well-formed XML of the expected shape. */
  | 'bad-envelope'
  /** The envelope's affixes do not match the stanza (XEP-0420 §4: reject). */
  | 'envelope-mismatch';

export class OmemoXmlError extends Error {
  constructor(
    readonly code: OmemoXmlErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'OmemoXmlError';
  }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: OmemoXmlError };

export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

export function fail<T>(code: OmemoXmlErrorCode, message: string): Parsed<T> {
  return { ok: false, error: new OmemoXmlError(code, message) };
}

// ---- strict readers --------------------------------------------------------------------------

/** A decimal integer in [min, max] (XML Schema integers may carry surrounding whitespace), else undefined. */
export function parseDecimal(text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  // At most 10 digits: 2^32 − 1 has 10; longer strings are refused before Number() rounds them.
  if (!/^[0-9]{1,10}$/.test(trimmed)) return undefined;
  const n = Number(trimmed);
  return n >= min && n <= max ? n : undefined;
}

export function parseDeviceId(text: string | undefined): number | undefined {
  return parseDecimal(text, MIN_DEVICE_ID, MAX_DEVICE_ID);
}

export function isDeviceId(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_DEVICE_ID && n <= MAX_DEVICE_ID;
}

/** For values we build ourselves: an out-of-range id is a bug here, not bad input. */
export function checkOwnDeviceId(n: number): void {
  if (!isDeviceId(n)) throw new RangeError(`OMEMO device id out of range 1..2^31-1: ${n}`);
}

/** XML Schema booleans ('true'/'1'); anything else, or no attribute, is false. */
export function parseXmlBoolean(text: string | undefined): boolean {
  const t = text?.trim();
  return t === 'true' || t === '1';
}

/**
 * Canonical base64 (RFC 4648 §4 with padding; whitespace between characters allowed, as XML Schema's
 * base64Binary allows it and some clients wrap lines). Undefined if anything else is in the text or it
 * is longer than `maxChars`.
 */
export function decodeBase64(text: string, maxChars: number): Uint8Array | undefined {
  if (text.length > maxChars + Math.ceil(maxChars / 32) + 8) return undefined; // whitespace allowance
  const compact = text.replace(/[\t\n\r ]+/g, '');
  if (compact.length > maxChars || compact.length % 4 !== 0) return undefined;
  if (!/^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return undefined;
  const bytes = Buffer.from(compact, 'base64');
  // Non-zero bits in the padding (e.g. "QR==") decode silently: refuse them, so one value has one text.
  if (bytes.toString('base64') !== compact) return undefined;
  return new Uint8Array(bytes);
}

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}
