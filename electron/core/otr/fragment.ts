// Fragmentation (Protocol-v3 "Fragmentation"): splitting an encoded message
// into "?OTR|sender|receiver,k,n,piece," (v3) or "?OTR,k,n,piece," (v2)
// pieces, formatted like libotr (otrl_proto_fragment_create: "%08x", "%05hu"),
// and reassembling them with the spec's rules, per sender instance, within
// fixed memory bounds.
//
// @example
//   fragmentMessage('?OTR:AAMD….', { version: 3, senderInstance: 0x5a73a599,
//     receiverInstance: 0x27e31597, maxSize: 140 })
//   // → ['?OTR|5a73a599|27e31597,00001,00003,?OTR:AAMD…,', …]

import { OtrParseError } from './wire.js';

/** Characters a fragment adds around its piece: "?OTR|xxxxxxxx|xxxxxxxx,kkkkk,nnnnn," + ",". */
export const FRAGMENT_OVERHEAD_V3 = 36;
/** "?OTR,kkkkk,nnnnn," + ",". */
export const FRAGMENT_OVERHEAD_V2 = 18;
const MAX_FRAGMENTS = 65535;

export interface FragmentOptions {
  version: 2 | 3;
  senderInstance: number;
  receiverInstance: number;
  /** Largest text the network carries in one message. */
  maxSize: number;
}

const hex8 = (n: number): string => n.toString(16).padStart(8, '0');
const dec5 = (n: number): string => String(n).padStart(5, '0');

/**
 * Splits `message` into fragments of at most `maxSize` characters; returns
 * `[message]` when it already fits. Throws RangeError when `maxSize` leaves
 * no room for a piece or more than 65535 fragments would be needed.
 */
export function fragmentMessage(message: string, options: FragmentOptions): string[] {
  if (message.length <= options.maxSize) return [message];
  const overhead = options.version === 3 ? FRAGMENT_OVERHEAD_V3 : FRAGMENT_OVERHEAD_V2;
  const pieceSize = options.maxSize - overhead;
  if (pieceSize < 1) throw new RangeError(`maxSize ${options.maxSize} leaves no room for a fragment piece`);
  const n = Math.ceil(message.length / pieceSize);
  if (n > MAX_FRAGMENTS) throw new RangeError(`message needs ${n} fragments (max ${MAX_FRAGMENTS})`);
  const prefix =
    options.version === 3 ? `?OTR|${hex8(options.senderInstance)}|${hex8(options.receiverInstance)},` : '?OTR,';
  const out: string[] = [];
  for (let k = 1; k <= n; k++) {
    const piece = message.slice((k - 1) * pieceSize, k * pieceSize);
    out.push(`${prefix}${dec5(k)},${dec5(n)},${piece},`);
  }
  return out;
}

export interface Fragment {
  version: 2 | 3;
  /** 0 for v2. */
  senderInstance: number;
  /** 0 for v2 or when the sender did not know ours. */
  receiverInstance: number;
  k: number;
  n: number;
  piece: string;
}

const V3_FRAGMENT = /^\?OTR\|([0-9a-fA-F]{1,8})\|([0-9a-fA-F]{1,8}),(\d{1,10}),(\d{1,10}),([^,]+),/;
const V2_FRAGMENT = /^\?OTR,(\d{1,10}),(\d{1,10}),([^,]+),/;

/** True if `text` contains a fragment marker ("?OTR|" or "?OTR,"). */
export function isFragment(text: string): boolean {
  return text.includes('?OTR|') || text.includes('?OTR,');
}

/**
 * Parses the fragment in `text` ("?OTR|" is looked for before "?OTR,").
 * Throws OtrParseError for a marker that is not a well-formed fragment
 * (k, n beyond 65535, empty piece, bad instance tags).
 */
export function parseFragment(text: string): Fragment {
  const v3At = text.indexOf('?OTR|');
  if (v3At >= 0) {
    const m = V3_FRAGMENT.exec(text.slice(v3At));
    if (!m) throw new OtrParseError('malformed v3 fragment');
    return checked({
      version: 3,
      senderInstance: parseInt(m[1] as string, 16),
      receiverInstance: parseInt(m[2] as string, 16),
      k: Number(m[3]),
      n: Number(m[4]),
      piece: m[5] as string,
    });
  }
  const v2At = text.indexOf('?OTR,');
  if (v2At < 0) throw new OtrParseError('not a fragment');
  const m = V2_FRAGMENT.exec(text.slice(v2At));
  if (!m) throw new OtrParseError('malformed v2 fragment');
  return checked({ version: 2, senderInstance: 0, receiverInstance: 0, k: Number(m[1]), n: Number(m[2]), piece: m[3] as string });
}

function checked(f: Fragment): Fragment {
  if (f.k > MAX_FRAGMENTS || f.n > MAX_FRAGMENTS) throw new OtrParseError('fragment number out of range');
  return f;
}

export interface ReassemblyLimits {
  /** Most characters buffered for one sender; a longer message is dropped. */
  maxBufferedChars: number;
  /** Largest n accepted. */
  maxFragments: number;
  /** Most senders with a partial message at once (the least recently used is forgotten). */
  maxSenders: number;
  /** A partial message whose next piece has not come for this long (ms) is forgotten. */
  maxIdleMs: number;
}

export const DEFAULT_REASSEMBLY_LIMITS: ReassemblyLimits = {
  maxBufferedChars: 2 * 1024 * 1024, // one largest encoded message (MAX_ENCODED_CHARS)
  maxFragments: 4096,
  maxSenders: 8,
  // A sender puts all pieces on the wire at once; two minutes leave room for a throttled server.
  maxIdleMs: 120_000,
};

/** The stored fragment (K, N, F) of one sender. */
interface StoredFragment {
  k: number;
  n: number;
  pieces: string[];
  chars: number;
  /** When its last piece arrived (the clock given to the reassembler). */
  lastPieceAt: number;
}

/**
 * Reassembles fragments per sender instance (v2 fragments share sender 0).
 * Memory is bounded by maxSenders × maxBufferedChars whatever arrives, and
 * held no longer than maxIdleMs after the last piece (see `expire`).
 */
export class FragmentReassembler {
  private readonly partials = new Map<number, StoredFragment>();
  private readonly limits: ReassemblyLimits;
  private readonly now: () => number;

  /** `now`: milliseconds, only differences are used (the conversation's clock). */
  constructor(limits: Partial<ReassemblyLimits> = {}, now: () => number = Date.now) {
    this.limits = { ...DEFAULT_REASSEMBLY_LIMITS, ...limits };
    this.now = now;
  }

  /** Forgets every partial message whose last piece is older than maxIdleMs. Called on each fragment and by the conversation's timer. */
  expire(): void {
    const now = this.now();
    for (const [sender, stored] of this.partials) {
      if (now - stored.lastPieceAt >= this.limits.maxIdleMs) this.partials.delete(sender);
    }
  }

  /** Characters currently buffered, over all senders. */
  get bufferedChars(): number {
    let total = 0;
    for (const p of this.partials.values()) total += p.chars;
    return total;
  }

  get senderCount(): number {
    return this.partials.size;
  }

  /** Forgets the stored fragment of `sender`, or of every sender. */
  clear(sender?: number): void {
    if (sender === undefined) this.partials.clear();
    else this.partials.delete(sender);
  }

  /**
   * Applies the spec's rules to one fragment; returns the whole message once
   * its last piece arrived in order, else undefined.
   */
  accept(fragment: Fragment): string | undefined {
    const { k, n, piece } = fragment;
    const sender = fragment.senderInstance;
    if (k === 0 || n === 0 || k > n) return undefined; // illegal: discard this fragment only
    this.expire(); // a stale partial message does not take a late piece
    if (n > this.limits.maxFragments) {
      this.partials.delete(sender);
      return undefined;
    }
    const stored = this.partials.get(sender);
    let next: StoredFragment | undefined;
    if (k === 1) {
      next = { k, n, pieces: [piece], chars: piece.length, lastPieceAt: this.now() };
    } else if (stored && n === stored.n && k === stored.k + 1) {
      stored.pieces.push(piece);
      stored.k = k;
      stored.chars += piece.length;
      stored.lastPieceAt = this.now();
      next = stored;
    }
    this.partials.delete(sender); // re-inserted below as the most recently used
    if (!next || next.chars > this.limits.maxBufferedChars) return undefined; // out of order or too big: forget
    if (next.k === next.n) return next.pieces.join('');
    this.partials.set(sender, next);
    while (this.partials.size > this.limits.maxSenders) {
      const oldest = this.partials.keys().next().value as number;
      this.partials.delete(oldest);
    }
    return undefined;
  }
}
