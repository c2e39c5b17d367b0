/**
 * The client side of SCRAM (RFC 5802; SCRAM-SHA-256: RFC 7677), without
 * channel binding ("n,,"). The salted password comes from Node's native
 * PBKDF2 on the thread pool: the pure-JS SCRAM of `sasl-scram-sha-1` runs
 * one WebCrypto importKey + sign per iteration and took over a second for
 * Prosody's 10,000 iterations; this takes a few milliseconds.
 *
 * Unlike that module it also checks what the server says: the server nonce
 * must extend ours, the iteration count must be sane, and the server must
 * prove it knows the password (ServerSignature) before we count the login
 * as done.
 *
 * @example
 *   const scram = new ScramClient('sha256', 'alice', 'secret', randomBytes(18).toString('base64'));
 *   send(scram.clientFirst());                 // n,,n=alice,r=…
 *   send(await scram.clientFinal(serverFirst)); // c=biws,r=…,p=…
 *   scram.verifyServerFinal(serverFinal);       // throws unless v=… matches
 */
import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

export type ScramHash = 'sha1' | 'sha256';

/** RFC 7677 asks for at least 4096; a huge count from a hostile server would only burn our CPU. */
export const MIN_ITERATIONS = 4096;
export const MAX_ITERATIONS = 1_000_000;

/** The server broke SCRAM (a wrong nonce, a bad proof of its own, nonsense): never a wrong password. */
export class ScramError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScramError';
  }
}

const HASH_BYTES: Record<ScramHash, number> = { sha1: 20, sha256: 32 };

// RFC 4013 (SASLprep) as Prosody and ejabberd apply it to passwords: non-ASCII spaces become
// spaces, "commonly mapped to nothing" characters go, then NFKC.
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
/** RFC 3454 table B.1 (several are combining marks, hence code points rather than a character class). */
function mappedToNothing(cp: number): boolean {
  return (
    cp === 0x00ad || cp === 0x034f || cp === 0x1806 || (cp >= 0x180b && cp <= 0x180d) || (cp >= 0x200b && cp <= 0x200d) ||
    cp === 0x2060 || (cp >= 0xfe00 && cp <= 0xfe0f) || cp === 0xfeff
  );
}

export function saslPrep(text: string): string {
  const kept = [...text.replace(NON_ASCII_SPACE, ' ')].filter((c) => !mappedToNothing(c.codePointAt(0)!));
  return kept.join('').normalize('NFKC');
}

/** RFC 5802 "saslname": ',' and '=' escaped. */
function saslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

/** Splits "a=1,b=2" into attributes; values may contain '=' (base64). */
function attributes(message: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq !== 1) throw new ScramError(`malformed SCRAM attribute "${part.slice(0, 20)}"`);
    const key = part[0]!;
    if (!out.has(key)) out.set(key, part.slice(2));
  }
  return out;
}

export class ScramClient {
  private readonly clientFirstBare: string;
  private serverSignature: Buffer | undefined;

  constructor(
    private readonly hash: ScramHash,
    username: string,
    private readonly password: string,
    /** Printable, without ',' (RFC 5802); base64 of 18 random bytes does. */
    private readonly clientNonce: string,
  ) {
    if (!/^[\x21-\x2b\x2d-\x7e]+$/.test(clientNonce)) throw new TypeError('bad client nonce');
    this.clientFirstBare = `n=${saslName(saslPrep(username))},r=${clientNonce}`;
  }

  /** client-first-message (no channel binding, no authzid). */
  clientFirst(): string {
    return `n,,${this.clientFirstBare}`;
  }

  /** client-final-message for the server-first-message. */
  async clientFinal(serverFirst: string): Promise<string> {
    if (serverFirst.startsWith('m=')) throw new ScramError('the server requires a SCRAM extension Klatsch does not know');
    const attrs = attributes(serverFirst);
    const nonce = attrs.get('r');
    const saltText = attrs.get('s');
    const iterText = attrs.get('i');
    if (!nonce || !saltText || !iterText) throw new ScramError('the server-first-message lacks r, s or i');
    if (!nonce.startsWith(this.clientNonce) || nonce.length <= this.clientNonce.length) {
      throw new ScramError('the server did not extend our nonce');
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(saltText)) throw new ScramError('the salt is not base64');
    const salt = Buffer.from(saltText, 'base64');
    if (salt.length === 0) throw new ScramError('the salt is empty');
    if (!/^[1-9][0-9]{0,9}$/.test(iterText)) throw new ScramError('the iteration count is not a number');
    const iterations = Number(iterText);
    if (iterations < MIN_ITERATIONS) throw new ScramError(`the server asks for only ${iterations} iterations (at least ${MIN_ITERATIONS})`);
    if (iterations > MAX_ITERATIONS) throw new ScramError(`the server asks for ${iterations} iterations, more than is reasonable`);

    const salted = await pbkdf2Async(saslPrep(this.password), salt, iterations, HASH_BYTES[this.hash], this.hash);
    const hmac = (key: Buffer, text: string) => createHmac(this.hash, key).update(text, 'utf8').digest();
    const clientKey = hmac(salted, 'Client Key');
    const storedKey = createHash(this.hash).update(clientKey).digest();
    const withoutProof = `c=biws,r=${nonce}`; // biws = base64("n,,")
    const authMessage = `${this.clientFirstBare},${serverFirst},${withoutProof}`;
    const signature = hmac(storedKey, authMessage);
    const proof = Buffer.alloc(clientKey.length);
    for (let i = 0; i < proof.length; i++) proof[i] = clientKey[i]! ^ signature[i]!;
    this.serverSignature = hmac(hmac(salted, 'Server Key'), authMessage);
    salted.fill(0);
    clientKey.fill(0);
    return `${withoutProof},p=${proof.toString('base64')}`;
  }

  /** Checks the server-final-message; throws ScramError unless the server proved it knows the password. */
  verifyServerFinal(serverFinal: string): void {
    if (!this.serverSignature) throw new ScramError('the server finished before the exchange');
    const attrs = attributes(serverFinal);
    const error = attrs.get('e');
    if (error !== undefined) throw new ScramError(`the server reported "${error.slice(0, 64)}"`);
    const v = attrs.get('v');
    if (!v || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) throw new ScramError('the server sent no proof of its own');
    const theirs = Buffer.from(v, 'base64');
    if (theirs.length !== this.serverSignature.length || !timingSafeEqual(theirs, this.serverSignature)) {
      throw new ScramError('the server could not prove that it knows your password');
    }
  }
}
