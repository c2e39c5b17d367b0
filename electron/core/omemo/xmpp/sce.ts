/**
 * Stanza Content Encryption (XEP-0420) as omemo:2 uses it: what is encrypted is an envelope
 *
 *   <envelope xmlns='urn:xmpp:sce:1'>
 *     <content><body xmlns='jabber:client'>text</body></content>
 *     <rpad>random padding</rpad>
 *     <time stamp='2026-12-06T22:30:00Z'/>
 *     <to jid='juliet@capulet.lit'/>
 *     <from jid='romeo@montague.lit'/>
 *   </envelope>
 *
 * and the receiver checks the affixes against the stanza that carried it (XEP-0420 §4): `from` is
 * required in OMEMO and must be the stanza's sender; `to`, when present, must be its recipient;
 * `time`, when present, must lie within a margin of the stanza's sending time (its delay stamp, or
 * when it arrived). A mismatch is a rejection, not a warning: an attacker who can replay or redirect
 * a ciphertext cannot make it say it came from someone else, to someone else, or long ago.
 *
 * The decrypted text comes from a contact's device: it is parsed with bounds (size, elements, depth),
 * must be exactly one envelope, and prefixed names are refused (our XML elements do not resolve them).
 *
 * @example
 *   const plaintext = buildEnvelope({ content: [xml('body', { xmlns: 'jabber:client' }, text)],
 *     from: ownBare, to: peerBare, time: new Date(now), rpad: makeRpad(randomBytes) });
 *   const r = parseEnvelope(decrypted, { from: stanzaFromBare, to: ownBare, sentAt: delayOrNow });
 */
import xml, { Parser, type Element } from '@xmpp/xml';
import { bareJid } from '../../values/jid.js';
import { fail, MAX_PAYLOAD_TEXT_CHARS, NS_SCE, ok, type Parsed } from './common.js';

const NS_CLIENT = 'jabber:client';
/** Elements in one envelope and their nesting: a chat message needs a handful. */
export const MAX_ENVELOPE_ELEMENTS = 1024;
export const MAX_ENVELOPE_DEPTH = 32;
/** How far the envelope's time may be from the stanza's sending time (clocks of two devices drift). */
export const DEFAULT_MAX_SKEW_MS = 10 * 60 * 1000;
/** XEP-0420: random padding of 0 to 200 characters. */
export const MAX_RPAD_CHARS = 200;

export interface EnvelopeInput {
  /** What the message carries: `<body xmlns='jabber:client'>` and any other extension elements. */
  content: Element[];
  /** Our bare JID. */
  from: string;
  /** The recipient's bare JID. */
  to?: string;
  /** When we encrypt it. */
  time?: Date;
  /** Random padding (makeRpad). */
  rpad: string;
}

/** The envelope as text, to be encrypted as UTF-8. */
export function buildEnvelope(input: EnvelopeInput): string {
  const from = bareJid(input.from);
  if (!from) throw new RangeError('envelope: from must be a JID');
  const to = input.to === undefined ? undefined : bareJid(input.to);
  if (input.to !== undefined && !to) throw new RangeError('envelope: to must be a JID');
  if (input.rpad.length > MAX_RPAD_CHARS) throw new RangeError('envelope: rpad longer than 200 characters');
  return xml(
    'envelope',
    { xmlns: NS_SCE },
    xml('content', {}, ...input.content),
    xml('rpad', {}, input.rpad),
    input.time ? xml('time', { stamp: xep0082(input.time) }) : undefined,
    to ? xml('to', { jid: to }) : undefined,
    xml('from', { jid: from }),
  ).toString();
}

/** Padding of random length (0..200) and content, from an injected source of random bytes. */
export function makeRpad(randomBytes: (n: number) => Uint8Array): string {
  const [hi = 0, lo = 0] = randomBytes(2);
  const length = ((hi << 8) | lo) % (MAX_RPAD_CHARS + 1);
  // base64 gives 4 characters per 3 bytes; cut to the length drawn.
  return Buffer.from(randomBytes(Math.ceil((length * 3) / 4) + 3)).toString('base64').replace(/=+$/, '').slice(0, length);
}

/** XEP-0082 DateTime in UTC, whole seconds: 2026-12-06T22:30:00Z. */
function xep0082(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.sss]TZD) to milliseconds, or undefined. */
export function parseXep0082(stamp: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.exec(stamp);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${(m[7] ?? '').slice(0, 4)}${m[8]}`);
  return Number.isFinite(ms) ? ms : undefined;
}

export interface EnvelopeExpectation {
  /** The bare JID the stanza came from (for a sent carbon: our own). */
  from: string;
  /** The bare JID the stanza was addressed to. */
  to: string;
  /** When the stanza was sent, in ms: its XEP-0203 delay stamp, else when it arrived. */
  sentAt: number;
  /** Default DEFAULT_MAX_SKEW_MS. */
  maxSkewMs?: number;
}

export interface ParsedEnvelope {
  /** The `<content>` element: the extension elements the sender encrypted. */
  content: Element;
  /** The text of `<content><body/>`, if any. */
  body?: string;
  from: string;
  to?: string;
  /** The sender's encryption time (ms), if given. */
  time?: number;
}

/** Parses the decrypted text of an omemo:2 payload and checks its affixes against the stanza. */
export function parseEnvelope(text: string, expect: EnvelopeExpectation): Parsed<ParsedEnvelope> {
  if (text.length > MAX_PAYLOAD_TEXT_CHARS) return fail('too-large', `envelope of ${text.length} characters refused`);
  const parsed = parseBounded(text);
  if (!parsed.ok) return parsed;
  const env = parsed.value;
  if (env.name !== 'envelope' || env.attrs.xmlns !== NS_SCE) {
    return fail('bad-envelope', `decrypted payload is not an SCE envelope but <${env.name}>`);
  }
  const only = (name: string): Element | undefined | null => {
    const found = env.getChildren(name, NS_SCE);
    return found.length > 1 ? null : found[0];
  };
  const content = only('content');
  const fromEl = only('from');
  const toEl = only('to');
  const timeEl = only('time');
  if (content === null || fromEl === null || toEl === null || timeEl === null || only('rpad') === null) {
    return fail('bad-envelope', 'envelope with a repeated <content>, <from>, <to>, <time> or <rpad>');
  }
  if (!content) return fail('bad-envelope', 'envelope without <content>');

  // from: required in OMEMO, a bare JID, the stanza's sender.
  const fromAttr = fromEl?.attrs.jid;
  if (!fromAttr) return fail('envelope-mismatch', 'envelope without a sender (<from>)');
  const from = bareJid(fromAttr);
  if (!from || fromAttr.includes('/') || from !== bareJid(expect.from)) {
    return fail('envelope-mismatch', 'the envelope names another sender than the message');
  }
  let to: string | undefined;
  if (toEl) {
    const toAttr = toEl.attrs.jid;
    to = bareJid(toAttr);
    if (!to || toAttr?.includes('/') || to !== bareJid(expect.to)) {
      return fail('envelope-mismatch', 'the envelope names another recipient than the message');
    }
  }
  let time: number | undefined;
  if (timeEl) {
    time = timeEl.attrs.stamp === undefined ? undefined : parseXep0082(timeEl.attrs.stamp);
    if (time === undefined) return fail('bad-envelope', 'envelope <time> without a valid stamp');
    const skew = expect.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    if (Math.abs(time - expect.sentAt) > skew) {
      return fail('envelope-mismatch', 'the envelope was encrypted at another time than the message was sent');
    }
  }
  const bodyEl = content.getChildElements().find((c) => c.name === 'body' && (c.getNS() === NS_CLIENT || c.getNS() === NS_SCE));
  const result: ParsedEnvelope = { content, from };
  if (bodyEl) result.body = bodyEl.text();
  if (to !== undefined) result.to = to;
  if (time !== undefined) result.time = time;
  return ok(result);
}

/**
 * The parser of @xmpp/xml with bounds. Its handlers are bound in its constructor, so the checks are
 * overrides (as in xmpp/guarded-client.ts), not listeners.
 */
class BoundedParser extends Parser {
  problem: string | undefined;
  ended = false;
  private elements = 0;
  private depth = 0;

  override onStartElement(name: string, attrs: Record<string, string>): void {
    if (this.problem) return;
    if (this.ended) this.problem = 'content after the envelope';
    else if (++this.elements > MAX_ENVELOPE_ELEMENTS) this.problem = 'too many elements';
    else if (++this.depth > MAX_ENVELOPE_DEPTH) this.problem = 'nested too deep';
    else if (name.includes(':') || Object.keys(attrs).some((a) => a.startsWith('xmlns:'))) this.problem = 'prefixed names';
    if (!this.problem) super.onStartElement(name, attrs);
  }

  override onEndElement(name: string): void {
    if (this.problem) return;
    this.depth--;
    super.onEndElement(name);
  }

  override onText(str: string): void {
    if (this.problem) return;
    if (this.ended || !this.cursor) {
      if (str.trim()) this.problem = 'text outside the envelope';
      return;
    }
    super.onText(str);
  }
}

/** One XML document of at most MAX_ENVELOPE_ELEMENTS elements, MAX_ENVELOPE_DEPTH deep, without prefixes. */
function parseBounded(text: string): Parsed<Element> {
  // The parser reports text only when a tag follows it: text after the last tag is checked here.
  if (!/>[\t\n\r ]*$/.test(text)) return fail('bad-envelope', 'decrypted payload is not well-formed: text outside the envelope');
  const parser = new BoundedParser();
  let root: Element | undefined;
  parser.on('start', (el: Element) => {
    root = el;
  });
  parser.on('element', (el: Element) => {
    root?.children.push(el); // a child of the root: the parser has set its parent already
  });
  parser.on('end', () => {
    parser.ended = true;
  });
  parser.on('error', (err: Error) => {
    parser.problem ??= err.message;
  });
  try {
    parser.write(text);
  } catch (err) {
    parser.problem ??= (err as Error).message;
  }
  if (parser.problem) return fail('bad-envelope', `decrypted payload is not well-formed: ${parser.problem}`);
  if (!root || !parser.ended) return fail('bad-envelope', 'decrypted payload is not a complete XML element');
  return ok(root);
}
