/**
 * macOS: managed preferences (`/Library/Managed Preferences/<appId>.plist`,
 * written by an MDM profile) in their XML form. Binary plists are converted
 * by `plutil` first (see `load-policy.ts`).
 *
 * The reading itself is the maintained `plist` package (the one electron-builder
 * uses). It is lenient — a truncated file reads as an empty list, an
 * unreadable `<integer>` as null — so the XML is first checked for
 * well-formedness by the same XML parser (`@xmldom/xmldom`), where every
 * warning counts as an error, and the result is checked for such holes:
 * a damaged preferences file must give the safest policy, never a partial one.
 * No external entities, no DTD declarations.
 */
import { DOMParser } from '@xmldom/xmldom';
import plist from 'plist';

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export class PlistParseError extends Error {
  override name = 'PlistParseError';
}

/**
 * @example parsePlist('<plist version="1.0"><dict><key>updates</key><false/></dict></plist>') // { updates: false }
 */
export function parsePlist(xml: string): PlistValue {
  if (xml.length > 4 * 1024 * 1024) throw new PlistParseError('the file is too large for a preferences file');
  if (/<!DOCTYPE[^>]*\[/i.test(xml)) throw new PlistParseError('a DOCTYPE with declarations is not accepted');
  try {
    checkWellFormed(xml);
    return checked(plist.parse(xml));
  } catch (error) {
    if (error instanceof PlistParseError) throw error;
    // The reader's own refusals, and a stack overflow from nesting beyond what any preferences file has.
    throw new PlistParseError(error instanceof RangeError ? 'nested too deeply' : error instanceof Error ? error.message : 'unreadable');
  }
}

function checkWellFormed(xml: string): void {
  const problems: string[] = [];
  const collect = (message: string) => problems.push(message.replace(/^\[xmldom \w+\]\s*/, '').split('\n')[0] ?? '');
  const doc = new DOMParser({ errorHandler: { warning: collect, error: collect, fatalError: collect } }).parseFromString(xml, 'text/xml');
  if (problems.length > 0) throw new PlistParseError(problems[0]!);
  const root = doc?.documentElement;
  if (!root || root.nodeName !== 'plist') throw new PlistParseError('not a property list (no <plist>)');
  if (elementChildren(root).length !== 1) throw new PlistParseError('<plist> must hold exactly one value');
  checkStructure(root);
}

interface XmlElement {
  nodeName: string;
  textContent: string | null;
  childNodes: ArrayLike<{ nodeType: number }>;
}

function elementChildren(element: XmlElement): XmlElement[] {
  return Array.from(element.childNodes).filter((node) => node.nodeType === 1) as unknown as XmlElement[];
}

const MAX_DEPTH = 64;

/** What the lenient reader would fill in silently: a key without a value, an integer that is not one. */
function checkStructure(element: XmlElement, depth = 0): void {
  if (depth > MAX_DEPTH) throw new PlistParseError('nested too deeply');
  const children = elementChildren(element);
  const text = (element.textContent ?? '').trim();
  if (element.nodeName === 'dict') {
    if (children.length % 2 !== 0) throw new PlistParseError('a <key> in <dict> has no value');
    children.forEach((child, i) => {
      if ((child.nodeName === 'key') !== (i % 2 === 0)) throw new PlistParseError('expected <key> and value pairs in <dict>');
    });
  }
  if (element.nodeName === 'integer' && !/^[+-]?\d{1,15}$/.test(text)) throw new PlistParseError(`<integer> holds ${JSON.stringify(text.slice(0, 20))}`);
  if (element.nodeName === 'real' && (text === '' || !Number.isFinite(Number(text)))) throw new PlistParseError('<real> is not a number');
  for (const child of children) checkStructure(child, depth + 1);
}

/** What the lenient reader lets through as null, Buffer or Date becomes an error or the text a policy expects. */
function checked(value: unknown): PlistValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PlistParseError('a number that is not finite');
    return value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new PlistParseError('an unreadable <date>');
    return value.toISOString();
  }
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (Array.isArray(value)) return value.map(checked);
  if (value !== null && typeof value === 'object') {
    const dict: { [key: string]: PlistValue } = {};
    for (const [key, item] of Object.entries(value)) dict[key] = checked(item);
    return dict;
  }
  throw new PlistParseError('a value that could not be read (an empty or malformed element)');
}
