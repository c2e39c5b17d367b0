/**
 * Just enough DER for node:crypto's PKCS#8 / SPKI DSA exports: one reader for otr/dsa.ts and the
 * key generator (e2ee/otr/store/generate-key.ts).
 */
import { bytesToBigint } from './wire.js';

export class Der {
  private pos = 0;
  constructor(private readonly buf: Uint8Array) {}

  private header(tag: number): number {
    if (this.buf[this.pos] !== tag) throw new Error(`DER: expected tag ${tag} at ${this.pos}`);
    this.pos++;
    let len = this.buf[this.pos++] ?? 0;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n < 1 || n > 4) throw new Error('DER: bad length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (this.buf[this.pos++] ?? 0);
    }
    if (this.pos + len > this.buf.length) throw new Error('DER: truncated');
    return len;
  }

  enter(tag: number): void {
    this.header(tag);
  }

  skip(tag: number): void {
    const len = this.header(tag); // before reading pos: header() moves it
    this.pos += len;
  }

  /** BIT STRING: enter it and step over the unused-bits byte (always 0 here). */
  enterBitString(): void {
    this.header(0x03);
    if (this.buf[this.pos++] !== 0) throw new Error('DER: unexpected unused bits');
  }

  integer(): bigint {
    const len = this.header(0x02);
    const v = bytesToBigint(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return v;
  }
}
