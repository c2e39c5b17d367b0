/**
 * macOS: managed preferences (`/Library/Managed Preferences/<appId>.plist`,
 * written by an MDM profile) in their XML form. Binary plists are converted
 * by `plutil` first (see `load-policy.ts`). Only what a preferences file
 * holds is understood: dict, array, string, integer, real, true, false, date,
 * data. No external entities, no DTD processing: a DOCTYPE line is skipped.
 */

export type PlistValue = string | number | boolean | PlistValue[] | { [key: string]: PlistValue };

export class PlistParseError extends Error {
  override name = 'PlistParseError';
}

type Token = { kind: 'open' | 'close' | 'empty'; name: string } | { kind: 'text'; text: string };

/**
 * @example parsePlist('<plist version="1.0"><dict><key>updates</key><false/></dict></plist>') // { updates: false }
 */
export function parsePlist(xml: string): PlistValue {
  if (xml.length > 4 * 1024 * 1024) throw new PlistParseError('the file is too large for a preferences file');
  const tokens = tokenize(xml);
  let at = 0;
  const next = (): Token => {
    const token = tokens[at++];
    if (!token) throw new PlistParseError('the file ends too early');
    return token;
  };
  const expectClose = (name: string) => {
    const token = next();
    if (token.kind !== 'close' || token.name !== name) throw new PlistParseError(`expected </${name}>`);
  };
  const textUntilClose = (name: string): string => {
    let token = next();
    let text = '';
    if (token.kind === 'text') {
      text = token.text;
      token = next();
    }
    if (token.kind !== 'close' || token.name !== name) throw new PlistParseError(`expected </${name}>`);
    return text;
  };
  const value = (token: Token): PlistValue => {
    if (token.kind === 'text') throw new PlistParseError('text where a value was expected');
    if (token.kind === 'close') throw new PlistParseError(`unexpected </${token.name}>`);
    const { name } = token;
    if (token.kind === 'empty') {
      if (name === 'true') return true;
      if (name === 'false') return false;
      if (name === 'string' || name === 'data') return '';
      if (name === 'dict') return {};
      if (name === 'array') return [];
      throw new PlistParseError(`<${name}/> is not a plist value`);
    }
    switch (name) {
      case 'string':
      case 'date':
        return textUntilClose(name);
      case 'data':
        return textUntilClose(name).replace(/\s+/g, '');
      case 'integer': {
        const text = textUntilClose(name).trim();
        if (!/^[+-]?\d{1,15}$/.test(text)) throw new PlistParseError(`<integer> holds ${JSON.stringify(text.slice(0, 20))}`);
        return Number(text);
      }
      case 'real': {
        const n = Number(textUntilClose(name).trim());
        if (!Number.isFinite(n)) throw new PlistParseError('<real> is not a number');
        return n;
      }
      case 'true':
      case 'false':
        expectClose(name);
        return name === 'true';
      case 'array': {
        const items: PlistValue[] = [];
        for (let t = next(); !(t.kind === 'close' && t.name === 'array'); t = next()) items.push(value(t));
        return items;
      }
      case 'dict': {
        const dict: { [key: string]: PlistValue } = Object.create(null);
        for (let t = next(); !(t.kind === 'close' && t.name === 'dict'); t = next()) {
          if (t.kind !== 'open' || t.name !== 'key') throw new PlistParseError('expected <key> in <dict>');
          const key = textUntilClose('key');
          dict[key] = value(next());
        }
        return { ...dict };
      }
      default:
        throw new PlistParseError(`<${name}> is not a plist value`);
    }
  };
  const first = next();
  if (first.kind !== 'open' || first.name !== 'plist') throw new PlistParseError('not a property list (no <plist>)');
  const result = value(next());
  expectClose('plist');
  if (at !== tokens.length) throw new PlistParseError('content after </plist>');
  return result;
}

function tokenize(xml: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (text.trim() !== '') tokens.push({ kind: 'text', text: decodeEntities(text) });
    else if (text !== '' && isTextElement(tokens.at(-1)) && lt >= 0 && xml.startsWith('</', lt)) tokens.push({ kind: 'text', text });
    if (lt < 0) break;
    if (xml.startsWith('<?', lt)) i = skipPast(xml, lt, '?>');
    else if (xml.startsWith('<!--', lt)) i = skipPast(xml, lt, '-->');
    else if (xml.startsWith('<![CDATA[', lt)) {
      const end = skipPast(xml, lt, ']]>');
      tokens.push({ kind: 'text', text: xml.slice(lt + 9, end - 3) });
      i = end;
    } else if (xml.startsWith('<!DOCTYPE', lt)) {
      if (xml.slice(lt, xml.indexOf('>', lt)).includes('[')) throw new PlistParseError('a DOCTYPE with declarations is not accepted');
      i = skipPast(xml, lt, '>');
    } else {
      const gt = xml.indexOf('>', lt);
      if (gt < 0) throw new PlistParseError('unclosed tag');
      const body = xml.slice(lt + 1, gt).trim();
      const match = /^(\/?)([A-Za-z][\w.-]*)(?:\s[^>]*?)?(\/?)$/.exec(body);
      if (!match) throw new PlistParseError(`unreadable tag <${body.slice(0, 20)}>`);
      const [, close, name = '', empty] = match;
      tokens.push({ kind: close ? 'close' : empty ? 'empty' : 'open', name });
      i = gt + 1;
    }
  }
  return tokens;
}

/** Whitespace is content only inside <string> and <key>. */
function isTextElement(token: Token | undefined): boolean {
  return token?.kind === 'open' && (token.name === 'string' || token.name === 'key');
}

function skipPast(xml: string, from: number, end: string): number {
  const at = xml.indexOf(end, from);
  if (at < 0) throw new PlistParseError(`unclosed ${xml.slice(from, from + 4)}`);
  return at + end.length;
}

const NAMED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (whole, ref: string) => {
    if (ref.startsWith('#x')) return safeCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return safeCodePoint(Number.parseInt(ref.slice(1), 10));
    const named = NAMED[ref];
    if (named === undefined) throw new PlistParseError(`unknown entity ${whole}`);
    return named;
  });
}

function safeCodePoint(n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 0x10ffff) throw new PlistParseError('bad character reference');
  return String.fromCodePoint(n);
}
