// OTR wire encoding, Protocol-v3 "Data types" (BYTE, SHORT, INT, MPI, DATA,
// CTR, MAC) and the common header of "Encoded messages" (protocol version,
// message type and, for v3, the sender/receiver instance tags).

export class OtrParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OtrParseError';
  }
}

/** Default upper bound for a DATA field (1 MiB). */
export const MAX_DATA_LENGTH = 1024 * 1024;
/** Upper bound for an MPI's byte length (16384 bits). */
export const MAX_MPI_LENGTH = 2048;
export const CTR_LENGTH = 8;
export const MAC_LENGTH = 20;

/** Minimal big-endian encoding; 0n encodes as the empty array. */
export function bigintToBytes(n: bigint): Uint8Array {
  if (n < 0n) throw new RangeError('negative bigint');
  if (n === 0n) return new Uint8Array(0);
  let hex = n.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** Unsigned big-endian decoding; leading zeros are allowed. */
export function bytesToBigint(b: Uint8Array): bigint {
  if (b.length === 0) return 0n;
  return BigInt(`0x${Buffer.from(b.buffer, b.byteOffset, b.length).toString('hex')}`);
}

/** Left-pads (or rejects) a minimal encoding to exactly `length` bytes. */
export function bigintToFixed(n: bigint, length: number): Uint8Array {
  const raw = bigintToBytes(n);
  if (raw.length > length) throw new RangeError('value does not fit');
  const out = new Uint8Array(length);
  out.set(raw, length - raw.length);
  return out;
}

export class Reader {
  private readonly buf: Uint8Array;
  private pos = 0;

  constructor(bytes: Uint8Array) {
    this.buf = bytes;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  /** Current read offset (useful to slice out raw sub-structures). */
  get offset(): number {
    return this.pos;
  }

  private take(length: number, what: string): Uint8Array {
    if (!Number.isSafeInteger(length) || length < 0 || length > this.remaining) {
      throw new OtrParseError(`truncated ${what}: need ${length}, have ${this.remaining}`);
    }
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  byte(): number {
    return this.take(1, 'BYTE')[0] as number;
  }

  short(): number {
    const b = this.take(2, 'SHORT');
    return ((b[0] as number) << 8) | (b[1] as number);
  }

  int(): number {
    const b = this.take(4, 'INT');
    return ((b[0] as number) * 0x1000000) + (((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number));
  }

  /** MPI; leading zero bytes are tolerated on input (as libotr does). */
  mpi(maxLength: number = MAX_MPI_LENGTH): bigint {
    const length = this.int();
    if (length > maxLength) throw new OtrParseError(`MPI too long: ${length} > ${maxLength}`);
    return bytesToBigint(this.take(length, 'MPI'));
  }

  /** DATA field (4-byte length + bytes). Returns a copy. */
  data(maxLength: number = MAX_DATA_LENGTH): Uint8Array {
    const length = this.int();
    if (length > maxLength) throw new OtrParseError(`DATA too long: ${length} > ${maxLength}`);
    return this.take(length, 'DATA').slice();
  }

  /** Exactly `length` bytes (CTR = 8, MAC = 20, ...). Returns a copy. */
  fixed(length: number): Uint8Array {
    return this.take(length, `${length}-byte field`).slice();
  }

  /** Everything not yet read. Returns a copy. */
  rest(): Uint8Array {
    return this.take(this.remaining, 'rest').slice();
  }

  /** Throws if any bytes remain. */
  end(): void {
    if (this.remaining !== 0) throw new OtrParseError(`${this.remaining} trailing bytes`);
  }
}

export class Writer {
  private readonly chunks: Uint8Array[] = [];
  private length = 0;

  private push(b: Uint8Array): this {
    this.chunks.push(b);
    this.length += b.length;
    return this;
  }

  private checkUint(n: number, max: number, what: string): void {
    if (!Number.isInteger(n) || n < 0 || n > max) throw new RangeError(`${what} out of range: ${n}`);
  }

  byte(n: number): this {
    this.checkUint(n, 0xff, 'BYTE');
    return this.push(Uint8Array.of(n));
  }

  short(n: number): this {
    this.checkUint(n, 0xffff, 'SHORT');
    return this.push(Uint8Array.of(n >>> 8, n & 0xff));
  }

  int(n: number): this {
    this.checkUint(n, 0xffffffff, 'INT');
    return this.push(Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));
  }

  /** Minimum-length MPI encoding (spec: no leading 0x00 bytes). */
  mpi(n: bigint): this {
    const b = bigintToBytes(n);
    return this.int(b.length).push(b);
  }

  data(b: Uint8Array): this {
    return this.int(b.length).push(b.slice());
  }

  raw(b: Uint8Array): this {
    return this.push(b.slice());
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.length);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** Encodes an MPI on its own (e.g. "gxmpi", "secbytes"). */
export function encodeMpi(n: bigint): Uint8Array {
  return new Writer().mpi(n).bytes();
}

// ---- Message header ("Encoded messages") ----

export const MSG_DH_COMMIT = 0x02;
export const MSG_DATA = 0x03;
export const MSG_DH_KEY = 0x0a;
export const MSG_REVEAL_SIGNATURE = 0x11;
export const MSG_SIGNATURE = 0x12;

/** Smallest valid instance tag ("Instance Tags"). */
export const MIN_INSTANCE_TAG = 0x100;

export interface OtrHeader {
  version: 2 | 3;
  type: number;
  /** 0 for v2 (the field is absent on the wire). */
  senderInstance: number;
  /** 0 for v2 (the field is absent on the wire). */
  receiverInstance: number;
}

/**
 * Reads the header. Rejects versions other than 2/3 (OtrParseError). Does
 * NOT validate instance tags or the message type: see `checkInstanceTags`.
 */
export function readHeader(reader: Reader): OtrHeader {
  const version = reader.short();
  if (version !== 2 && version !== 3) throw new OtrParseError(`unsupported protocol version ${version}`);
  const type = reader.byte();
  if (version === 2) return { version, type, senderInstance: 0, receiverInstance: 0 };
  const senderInstance = reader.int();
  const receiverInstance = reader.int();
  return { version, type, senderInstance, receiverInstance };
}

/** Writes the header; instance tags are only written for v3. */
export function writeHeader(writer: Writer, header: OtrHeader): Writer {
  writer.short(header.version).byte(header.type);
  if (header.version === 3) writer.int(header.senderInstance).int(header.receiverInstance);
  return writer;
}

/**
 * Spec "Instance Tags": discard v3 messages whose sender tag is < 0x100, or
 * whose receiver tag is neither 0 (allowed only when `allowZeroReceiver`)
 * nor ours. Returns the reason for rejection, or undefined if acceptable.
 */
export function checkInstanceTags(header: OtrHeader, ourInstance: number, allowZeroReceiver: boolean): string | undefined {
  if (header.version === 2) return undefined;
  if (header.senderInstance < MIN_INSTANCE_TAG) return 'invalid sender instance tag';
  if (header.receiverInstance === 0) return allowZeroReceiver ? undefined : 'missing receiver instance tag';
  if (header.receiverInstance !== ourInstance) return 'message for another instance';
  return undefined;
}
