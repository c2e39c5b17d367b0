/**
 * libotr's private key file (`otr.private_key`, written by otrl_privkey_write):
 * a libgcrypt S-expression
 *   (privkeys (account (name "alice@example.com") (protocol xmpp)
 *     (private-key (dsa (p #00FC…#) (q #…#) (g #…#) (y #…#) (x #…#)))))
 * Read so that users moving from Pidgin or another libotr client keep their
 * identity; written in the same form so libotr clients can read ours.
 * Untrusted input: bounded size and depth, every error is an `OtrKeyFileError`.
 */
import { OWN_KEY_MAX_P_BITS, OWN_KEY_Q_BITS, ownKeyIsConsistent, ownKeyProblem, type DsaPrivateKey } from './dsa.js';

export class OtrKeyFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtrKeyFileError';
  }
}

export interface LibotrPrivateKey {
  account: string;
  protocol: string;
  key: DsaPrivateKey;
}

type SExpr = Uint8Array | SExpr[];

const MAX_FILE_BYTES = 1 << 20;
const MAX_DEPTH = 16;
/** More accounts than any libotr user has; bounds the (native, ~1 ms) checks a file can cause. */
export const MAX_KEYFILE_ACCOUNTS = 100;
/** Largest byte length of each DSA number, checked before it becomes a bigint (x < q, g and y < p). */
const MAX_MPI_BYTES = { p: OWN_KEY_MAX_P_BITS / 8, q: OWN_KEY_Q_BITS / 8, g: OWN_KEY_MAX_P_BITS / 8, y: OWN_KEY_MAX_P_BITS / 8, x: OWN_KEY_Q_BITS / 8 };
type DsaPart = keyof typeof MAX_MPI_BYTES;

/** libgcrypt's one-letter string escapes (sexp.c). */
const ESCAPES: Record<string, number> = { b: 8, t: 9, v: 11, n: 10, f: 12, r: 13, '"': 34, "'": 39, '\\': 92 };

/**
 * Parses libgcrypt's advanced S-expression syntax: lists, tokens, "strings", #hex#, |base64| and len:raw.
 * Bytes, not text: libgcrypt writes a value as a quoted string whenever its bytes look printable,
 * and bytes 0xA0-0xFF count as printable there, so a private key's `x` can be raw binary between
 * quotes (about 1 key in 70). Read the file as bytes, never decoded as UTF-8 first. A string
 * argument is taken as UTF-8 text (as typed, or a file that has only ASCII in it).
 */
export function parseSExpression(input: string | Uint8Array): SExpr {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  if (bytes.length > MAX_FILE_BYTES) throw new OtrKeyFileError('The key file is too large.');
  // One character per byte, so that positions and slices are byte-exact.
  const text = bytes.toString('latin1');
  const byteString = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));
  let at = 0;
  const fail = (why: string): never => {
    throw new OtrKeyFileError(`The key file is not valid (${why} at character ${at}).`);
  };
  const skipSpace = () => {
    while (at < text.length && /\s/.test(text[at]!)) at++;
  };
  const readAtom = (): Uint8Array => {
    const c = text[at]!;
    if (c === '"') {
      let out = '';
      at++;
      while (at < text.length && text[at] !== '"') {
        if (text[at] !== '\\') {
          out += text[at++];
          continue;
        }
        at++;
        const escaped = text[at] ?? fail('unfinished escape');
        const hex = /^x([0-9a-fA-F]{2})/.exec(text.slice(at, at + 3));
        const octal = /^[0-7]{3}/.exec(text.slice(at, at + 3));
        if (hex) {
          out += String.fromCharCode(parseInt(hex[1]!, 16));
          at += 3;
        } else if (octal) {
          out += String.fromCharCode(parseInt(octal[0], 8) & 0xff);
          at += 3;
        } else if (escaped === '\n' || escaped === '\r') {
          // A line continuation: backslash, then a line break (\n, \r, \r\n or \n\r), stands for nothing.
          at++;
          if ((text[at] === '\n' || text[at] === '\r') && text[at] !== escaped) at++;
        } else if (ESCAPES[escaped] !== undefined) {
          out += String.fromCharCode(ESCAPES[escaped]);
          at++;
        } else {
          fail('unknown escape');
        }
      }
      if (text[at] !== '"') fail('unfinished string');
      at++;
      return byteString(out);
    }
    if (c === '#' || c === '|') {
      const end = text.indexOf(c, at + 1);
      if (end < 0) fail('unfinished value');
      const body = text.slice(at + 1, end).replace(/\s+/g, '');
      at = end + 1;
      if (c === '#') {
        if (!/^(?:[0-9a-fA-F]{2})*$/.test(body)) fail('bad hex value');
        return Uint8Array.from(Buffer.from(body, 'hex'));
      }
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) fail('bad base64 value');
      return Uint8Array.from(Buffer.from(body, 'base64'));
    }
    const lengthPrefixed = /^(\d{1,7}):/.exec(text.slice(at, at + 9));
    if (lengthPrefixed) {
      at += lengthPrefixed[0].length;
      const length = Number(lengthPrefixed[1]);
      if (at + length > text.length) fail('value longer than the file');
      const raw = text.slice(at, at + length);
      at += length;
      return byteString(raw);
    }
    const token = /^[A-Za-z0-9\-./_:*+=]+/.exec(text.slice(at, at + 1024));
    if (!token) fail('unexpected character');
    at += token![0].length;
    return byteString(token![0]);
  };
  const readList = (depth: number): SExpr[] => {
    if (depth > MAX_DEPTH) fail('nested too deeply');
    at++; // '('
    const items: SExpr[] = [];
    for (;;) {
      skipSpace();
      if (at >= text.length) fail('unclosed list');
      if (text[at] === ')') {
        at++;
        return items;
      }
      items.push(text[at] === '(' ? readList(depth + 1) : readAtom());
    }
  };
  skipSpace();
  if (text[at] !== '(') fail('expected a list');
  const result = readList(0);
  skipSpace();
  if (at !== text.length) fail('text after the key list');
  return result;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

function atomText(e: SExpr | undefined, what: string): string {
  if (!(e instanceof Uint8Array)) throw new OtrKeyFileError(`The key file is not valid (${what} is missing).`);
  try {
    return decoder.decode(e);
  } catch {
    throw new OtrKeyFileError(`The key file is not valid (${what} is not UTF-8).`);
  }
}

/** The list in `list` whose first element is the token `name`. */
function child(list: SExpr[], name: string): SExpr[] | undefined {
  const wanted = Buffer.from(name);
  return list.find((e): e is SExpr[] => Array.isArray(e) && e[0] instanceof Uint8Array && wanted.equals(e[0]));
}

function damaged(account: string, why: string): OtrKeyFileError {
  return new OtrKeyFileError(`The key file is damaged: the key of ${account.slice(0, 80)} ${why}.`);
}

function mpi(list: SExpr[], name: DsaPart, account: string): bigint {
  const value = child(list, name)?.[1];
  if (!(value instanceof Uint8Array) || value.length === 0) throw damaged(account, `has no DSA ${name}`);
  // Size first, on the bytes (leading zeros aside): nothing oversized becomes a number.
  let start = 0;
  while (start < value.length - 1 && value[start] === 0) start++;
  if (value.length - start > MAX_MPI_BYTES[name]) {
    throw damaged(account, `has a DSA ${name} of ${(value.length - start) * 8} bits (at most ${MAX_MPI_BYTES[name] * 8})`);
  }
  return BigInt(`0x${Buffer.from(value.subarray(start)).toString('hex')}`);
}

/** All accounts' keys in a libotr private key file (its bytes, as read from disk: see parseSExpression). */
export function readLibotrPrivateKeys(file: string | Uint8Array): LibotrPrivateKey[] {
  const root = parseSExpression(file);
  if (!Array.isArray(root) || !(root[0] instanceof Uint8Array) || !Buffer.from('privkeys').equals(root[0])) {
    throw new OtrKeyFileError('This is not a libotr private key file (it does not start with "privkeys").');
  }
  const entries = root
    .slice(1)
    .filter((entry): entry is SExpr[] => Array.isArray(entry) && entry[0] instanceof Uint8Array && Buffer.from('account').equals(entry[0]));
  // Counted before any key is looked at: each costs a native check below.
  if (entries.length > MAX_KEYFILE_ACCOUNTS) {
    throw new OtrKeyFileError(`The key file is damaged: it has ${entries.length} accounts (a libotr key file has at most ${MAX_KEYFILE_ACCOUNTS}).`);
  }
  // Every key's sizes first (no arithmetic), then the keys' parts against each other (native modexp).
  const keys: LibotrPrivateKey[] = entries.map((entry) => {
    const account = atomText(child(entry, 'name')?.[1], 'the account name');
    const protocol = atomText(child(entry, 'protocol')?.[1], 'the protocol');
    const dsa = child(child(entry, 'private-key') ?? [], 'dsa');
    if (!dsa) throw new OtrKeyFileError(`The key of ${account} is not a DSA key; Klatsch can only use DSA keys (OTR v3).`);
    const key = { p: mpi(dsa, 'p', account), q: mpi(dsa, 'q', account), g: mpi(dsa, 'g', account), y: mpi(dsa, 'y', account), x: mpi(dsa, 'x', account) };
    const problem = ownKeyProblem(key);
    if (problem !== undefined) throw damaged(account, problem);
    return { account, protocol, key };
  });
  for (const { account, key } of keys) {
    if (!ownKeyIsConsistent(key)) throw new OtrKeyFileError(`The key file is damaged: the key of ${account} is damaged (its parts do not belong together).`);
  }
  return keys;
}

/** The same format as libotr writes (hex MPIs with a leading 00 where the top bit is set). */
export function writeLibotrPrivateKeys(keys: readonly LibotrPrivateKey[]): string {
  const hexMpi = (n: bigint) => {
    let hex = n.toString(16).toUpperCase();
    if (hex.length % 2) hex = `0${hex}`;
    if (/^[89A-F]/.test(hex)) hex = `00${hex}`;
    return `#${hex}#`;
  };
  const quote = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const token = (s: string) => (/^[A-Za-z0-9\-./_:*+=]+$/.test(s) && !/^\d/.test(s) ? s : quote(s));
  const accounts = keys.map(
    ({ account, protocol, key }) =>
      ` (account\n(name ${quote(account)})\n(protocol ${token(protocol)})\n(private-key \n (dsa \n` +
      (['p', 'q', 'g', 'y', 'x'] as const).map((n) => `  (${n} ${hexMpi(key[n])})\n`).join('') +
      '  )\n )\n )\n',
  );
  return `(privkeys\n${accounts.join('')})\n`;
}
