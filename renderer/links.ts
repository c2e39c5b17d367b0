/**
 * Links in message text: found as plain text spans, never as markup. What a
 * link really points to is decided by the URL parser (the same WHATWG parser
 * main uses), not by how the text looks: the confirmation shows that address,
 * with international domain names in their ASCII (punycode) form, so a
 * lookalike such as "pаypal.com" with a Cyrillic "а" shows as "xn--pypal-4ve.com".
 * Pure and DOM-free: unit-tested in Node.
 */

import { mailtoSubjectAndBodyOnly } from '../shared/mailto';

export type TextSegment = { kind: 'text'; text: string } | { kind: 'link'; text: string };

/** Longer than any real link; longer ones stay text (main refuses them too). */
const MAX_LINK_LENGTH = 8192;

/**
 * A scheme we make clickable, not glued to a word before it ("xhttps://" is text), then anything
 * but white space, quotes, angle brackets and the invisible direction marks that could make the
 * shown text differ from the address.
 */
const LINK = /(?<![\p{L}\p{N}_])(?:https?:\/\/|mailto:|xmpp:)[^\s<>"`\u200e\u200f\u202a-\u202e\u2066-\u2069]+/giu;

const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Punctuation after a link belongs to the sentence ("see https://x.org/a)." → "https://x.org/a"). */
function trimTrailing(link: string): string {
  let end = link.length;
  for (;;) {
    const ch = link[end - 1];
    if (ch === undefined) break;
    // Closing quotes of English, German („…“) and French (« … ») texts.
    if ('.,;:!?\'"»«”“’‘›‹'.includes(ch)) {
      end--;
      continue;
    }
    const opener = CLOSERS[ch];
    if (opener) {
      const body = link.slice(0, end);
      const opens = body.split(opener).length - 1;
      const closes = body.split(ch).length - 1;
      if (closes > opens) {
        end--;
        continue;
      }
    }
    break;
  }
  return link.slice(0, end);
}

/** The text split into plain text and link spans; joined again they are the text exactly. */
export function splitLinks(text: string): TextSegment[] {
  const segments: TextSegment[] = [];
  let last = 0;
  for (const match of text.matchAll(LINK)) {
    const start = match.index;
    const candidate = trimTrailing(match[0]);
    // A bare scheme ("https://") or something the parser refuses stays text.
    if (candidate.length > MAX_LINK_LENGTH || !/^(?:https?:\/\/|mailto:|xmpp:)./i.test(candidate) || !parses(candidate)) continue;
    if (start > last) segments.push({ kind: 'text', text: text.slice(last, start) });
    segments.push({ kind: 'link', text: candidate });
    last = start + candidate.length;
  }
  if (last < text.length) segments.push({ kind: 'text', text: text.slice(last) });
  return segments;
}

function parses(raw: string): boolean {
  try {
    new URL(raw);
    return true;
  } catch {
    return false;
  }
}

export type LinkProblem =
  /** http: — Klatsch opens only encrypted web addresses. */
  | 'insecure'
  /** `https://name@host`: the part before @ looks like the address but is not. */
  | 'credentials'
  /** Anything the parser or main would refuse. */
  | 'unsupported';

export type LinkInfo = {
  /** The address as the URL parser reads it (what main opens): hosts in ASCII (punycode). */
  href: string;
  scheme: 'https' | 'http' | 'mailto' | 'xmpp' | 'other';
  /** The host that will be contacted, in ASCII (https/http only). */
  host?: string;
  /** The host as written in the message, when it differs from `host` (international letters). */
  writtenHost?: string;
  /** The host has international (non-ASCII) letters: it may imitate another address. */
  international: boolean;
  /** What was written before an @ in a web address (shown so the user sees it is not the host). */
  userInfo?: string;
  /** Set when Klatsch will not open it. */
  problem?: LinkProblem;
};

/** What the confirmation dialog says about a link that the user clicked. */
export function describeLink(raw: string): LinkInfo {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { href: raw, scheme: 'other', international: false, problem: 'unsupported' };
  }
  const protocol = url.protocol.toLowerCase();
  if (protocol === 'mailto:' || protocol === 'xmpp:') {
    const scheme = protocol === 'mailto:' ? 'mailto' : 'xmpp';
    const address = decodeSafely(url.pathname);
    const domain = address.split('@').pop() ?? '';
    // A mail link is shown as main will open it: without cc, bcc, attach or other headers.
    const href = scheme === 'mailto' ? mailtoSubjectAndBodyOnly(url.href) : url.href;
    return { href, scheme, international: /[^\x20-\x7e]/.test(domain) };
  }
  if (protocol !== 'https:' && protocol !== 'http:') return { href: url.href, scheme: 'other', international: false, problem: 'unsupported' };
  const scheme = protocol === 'https:' ? 'https' : 'http';
  const written = writtenHostOf(raw);
  const international = url.hostname.split('.').some((label) => label.startsWith('xn--'));
  const info: LinkInfo = { href: url.href, scheme, host: url.hostname, international };
  if (written && written.toLowerCase() !== url.hostname) info.writtenHost = written;
  if (url.username || url.password) {
    info.userInfo = decodeSafely(url.username) + (url.password ? ':…' : '');
    info.problem = 'credentials';
  } else if (scheme === 'http') info.problem = 'insecure';
  else if (!url.hostname) info.problem = 'unsupported';
  return info;
}

/** The host part of a web address as the sender typed it (between // and the first /, ?, # ; after any @). */
function writtenHostOf(raw: string): string | undefined {
  const m = /^[a-z]+:\/\/([^/?#]*)/i.exec(raw);
  if (!m) return undefined;
  const authority = m[1]!;
  const host = authority.slice(authority.lastIndexOf('@') + 1).replace(/:\d*$/, '');
  return host || undefined;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Only these are handed to main (main checks again). */
export function canOpen(info: LinkInfo): boolean {
  return info.problem === undefined && (info.scheme === 'https' || info.scheme === 'mailto' || info.scheme === 'xmpp');
}
