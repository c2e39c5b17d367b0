// Plaintext signalling and the text form of binary OTR messages
// (Protocol-v3 "Unencoded messages": Query Messages, Tagged plaintext
// messages, Error Messages; "Encoded messages": "?OTR:" base64 ".").
// Detection follows libotr's proto.c (otrl_proto_message_type,
// otrl_proto_query_bestversion, otrl_proto_whitespace_bestversion).
//
// @example
//   classifyMessage('?OTRv23?\nAlice has requested …')
//   // → { kind: 'query', versions: Set {2, 3}, v1: false }
//   encodeOtrMessage(bytes)          // '?OTR:AAMC….'
//   decodeOtrMessage('?OTR:AAMC….')  // bytes, or throws OtrParseError

import { OtrParseError } from './wire.js';

export const OTR_PREFIX = '?OTR';
export const ENCODED_PREFIX = '?OTR:';
export const ERROR_PREFIX = '?OTR Error: ';
const ERROR_MARKER = '?OTR Error:';

/** Upper bound on an encoded message ("?OTR:" + base64 + ".") in characters. */
/** Enough for a 1 MiB message (base64 of it plus the data message around it), and no more. */
export const MAX_ENCODED_CHARS = 2 * 1024 * 1024;

// ---- Query messages ----

/** The version string after "?OTR": "v23?" for v2+v3 (we never offer v1). */
export function queryVersionTag(versions: readonly number[]): string {
  const ids = [2, 3].filter((v) => versions.includes(v)).join('');
  return ids ? `v${ids}?` : '?';
}

/**
 * A Query Message with libotr's explanation for people without OTR
 * (otrl_proto_default_query_msg). `html` keeps libotr's markup; the default
 * is the same wording in plain text, since our transport sends plain bodies.
 */
export function buildQueryMessage(versions: readonly number[], account?: string, options: { html?: boolean } = {}): string {
  const tag = `${OTR_PREFIX}${queryVersionTag(versions)}`;
  const url = 'https://otr.cypherpunks.ca/';
  if (options.html) {
    const who = account ? `<b>${account}</b> has requested` : 'You have been requested to join';
    return `${tag}\n${who} an <a href="${url}">Off-the-Record private conversation</a>.  However, you do not have a plugin to support that.\nSee <a href="${url}">${url}</a> for more information.`;
  }
  const who = account ? `${account} has requested` : 'You have been requested to join';
  return `${tag}\n${who} an Off-the-Record private conversation.  However, you do not have a plugin to support that.\nSee ${url} for more information.`;
}

export interface QueryOffer {
  /** Versions 2 and 3 if offered (unknown identifiers such as "4" or "x" are ignored). */
  versions: Set<number>;
  /** "?OTR?" form: the peer offers version 1, which we never speak. */
  v1: boolean;
}

/**
 * Parses the version string of a Query Message starting at `at` (the index
 * of "?OTR"). Returns undefined if it is not a query ("?OTR" not followed
 * by "?" or "v").
 */
function parseQueryAt(text: string, at: number): QueryOffer | undefined {
  let i = at + OTR_PREFIX.length;
  const versions = new Set<number>();
  let v1 = false;
  if (text[i] === '?') {
    v1 = true;
    i++;
  }
  if (text[i] === 'v') {
    // Up to the next "?" (or the end, like libotr); at most a few identifiers.
    for (i++; i < text.length && text[i] !== '?' && i < at + 64; i++) {
      if (text[i] === '2') versions.add(2);
      else if (text[i] === '3') versions.add(3);
    }
  } else if (!v1) {
    return undefined;
  }
  return { versions, v1 };
}

// ---- Whitespace tags ----

export const WHITESPACE_TAG_BASE = ' \t  \t\t\t\t \t \t \t  ';
export const WHITESPACE_TAG_V1 = ' \t \t  \t ';
export const WHITESPACE_TAG_V2 = '  \t\t  \t ';
export const WHITESPACE_TAG_V3 = '  \t\t  \t\t';

/** The tag to append to a plaintext message, offering `versions` (2 and/or 3). */
export function buildWhitespaceTag(versions: readonly number[]): string {
  let tag = WHITESPACE_TAG_BASE;
  if (versions.includes(2)) tag += WHITESPACE_TAG_V2;
  if (versions.includes(3)) tag += WHITESPACE_TAG_V3;
  return tag;
}

export interface WhitespaceTag {
  start: number;
  end: number;
  versions: Set<number>;
  v1: boolean;
}

/** Finds the first whitespace tag: the base followed by 8-char groups of spaces/tabs. */
export function findWhitespaceTag(text: string): WhitespaceTag | undefined {
  const start = text.indexOf(WHITESPACE_TAG_BASE);
  if (start < 0) return undefined;
  let end = start + WHITESPACE_TAG_BASE.length;
  const versions = new Set<number>();
  let v1 = false;
  while (end + 8 <= text.length && /^[ \t]{8}$/.test(text.slice(end, end + 8))) {
    const group = text.slice(end, end + 8);
    if (group === WHITESPACE_TAG_V1) v1 = true;
    else if (group === WHITESPACE_TAG_V2) versions.add(2);
    else if (group === WHITESPACE_TAG_V3) versions.add(3);
    end += 8;
  }
  return { start, end, versions, v1 };
}

/** The text without its whitespace tag (unchanged when there is none). */
export function stripWhitespaceTag(text: string): string {
  const tag = findWhitespaceTag(text);
  return tag ? text.slice(0, tag.start) + text.slice(tag.end) : text;
}

// ---- Error messages ----

export function buildErrorMessage(message: string): string {
  return `${ERROR_PREFIX}${message}`;
}

// ---- Encoded messages ----

/** "?OTR:" + base64(bytes) + "." */
export function encodeOtrMessage(bytes: Uint8Array): string {
  return `${ENCODED_PREFIX}${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64')}.`;
}

/**
 * Strict decoding of the first "?OTR:…." in `text`: canonical, padded
 * base64, the closing ".", at most MAX_ENCODED_CHARS. Throws OtrParseError.
 */
export function decodeOtrMessage(text: string): Uint8Array {
  const at = text.indexOf(ENCODED_PREFIX);
  if (at < 0) throw new OtrParseError('not an encoded OTR message');
  const stop = text.indexOf('.', at + ENCODED_PREFIX.length);
  if (stop < 0) throw new OtrParseError('encoded OTR message without the closing "."');
  if (stop - at + 1 > MAX_ENCODED_CHARS) throw new OtrParseError('encoded OTR message too long');
  const b64 = text.slice(at + ENCODED_PREFIX.length, stop);
  if (b64.length === 0 || b64.length % 4 !== 0) throw new OtrParseError('encoded OTR message is not valid base64');
  // Buffer.from skips characters outside base64, so the round trip also rejects them (cheaper than a regex).
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.toString('base64') !== b64) throw new OtrParseError('encoded OTR message is not valid base64');
  return new Uint8Array(bytes);
}

// ---- Classification of a received text ----

export type ClassifiedMessage =
  | { kind: 'encoded'; text: string }
  | { kind: 'error'; message: string }
  | { kind: 'query'; offer: QueryOffer }
  | { kind: 'tagged'; text: string; versions: Set<number>; v1: boolean }
  | { kind: 'plaintext'; text: string };

/**
 * What kind of (unfragmented) message `text` is. "?OTR:" is an encoded
 * message (decode it with decodeOtrMessage), "?OTR Error:" an error,
 * "?OTR?"/"?OTRv" a query; any other "?OTR" is treated as ordinary text.
 * Fragments ("?OTR|", "?OTR,") must be handled before (fragment.ts).
 */
export function classifyMessage(text: string): ClassifiedMessage {
  for (let at = text.indexOf(OTR_PREFIX); at >= 0; at = text.indexOf(OTR_PREFIX, at + 1)) {
    if (text.startsWith(ENCODED_PREFIX, at)) return { kind: 'encoded', text: text.slice(at) };
    if (text.startsWith(ERROR_MARKER, at)) {
      let message = text.slice(at + ERROR_MARKER.length);
      if (message.startsWith(' ')) message = message.slice(1);
      return { kind: 'error', message };
    }
    const offer = parseQueryAt(text, at);
    if (offer) return { kind: 'query', offer };
  }
  const tag = findWhitespaceTag(text);
  if (tag) return { kind: 'tagged', text: text.slice(0, tag.start) + text.slice(tag.end), versions: tag.versions, v1: tag.v1 };
  return { kind: 'plaintext', text };
}
