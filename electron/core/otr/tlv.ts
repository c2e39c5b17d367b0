// TLV records carried after the NUL of a data message's plaintext
// (Protocol-v3 "Data Message": Type SHORT, Length SHORT, Value). Unknown
// types are kept (and ignored by the session); garbage after the last whole
// record is dropped, as libotr's otrl_tlv_parse does.
//
// @example
//   encodeTlvs([{ type: TLV_DISCONNECTED, value: new Uint8Array(0) }]) // 00 01 00 00
//   decodeTlvs(Uint8Array.of(0, 0, 0, 1, 0x41)).tlvs // [{ type: 0, value: [0x41] }]

import type { OtrTlvRecord } from './events.js';

export type { OtrTlvRecord };

export const TLV_PADDING = 0;
export const TLV_DISCONNECTED = 1;
export const TLV_SMP1 = 2;
export const TLV_SMP2 = 3;
export const TLV_SMP3 = 4;
export const TLV_SMP4 = 5;
export const TLV_SMP_ABORT = 6;
export const TLV_SMP1Q = 7;
export const TLV_SYMMETRIC_KEY = 8;

/** True for the SMP record types (2-7), which the SMP layer handles. */
export function isSmpTlv(type: number): boolean {
  return type >= TLV_SMP1 && type <= TLV_SMP1Q;
}

/** Most records decoded from one message. */
export const MAX_TLV_RECORDS = 64;

export function encodeTlvs(tlvs: readonly OtrTlvRecord[]): Uint8Array {
  let length = 0;
  for (const t of tlvs) {
    if (!Number.isInteger(t.type) || t.type < 0 || t.type > 0xffff) throw new RangeError(`TLV type out of range: ${t.type}`);
    if (t.value.length > 0xffff) throw new RangeError(`TLV value too long: ${t.value.length}`);
    length += 4 + t.value.length;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const t of tlvs) {
    out[at] = t.type >>> 8;
    out[at + 1] = t.type & 0xff;
    out[at + 2] = t.value.length >>> 8;
    out[at + 3] = t.value.length & 0xff;
    out.set(t.value, at + 4);
    at += 4 + t.value.length;
  }
  return out;
}

export interface DecodedTlvs {
  tlvs: OtrTlvRecord[];
  /** Bytes after the last whole record that did not form one (or past the record limit). */
  ignoredBytes: number;
}

/** Decodes records until the bytes run out or stop forming a whole record. */
export function decodeTlvs(bytes: Uint8Array, maxRecords: number = MAX_TLV_RECORDS): DecodedTlvs {
  const tlvs: OtrTlvRecord[] = [];
  let at = 0;
  while (bytes.length - at >= 4 && tlvs.length < maxRecords) {
    const type = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    const length = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    if (bytes.length - at - 4 < length) break;
    tlvs.push({ type, value: bytes.slice(at + 4, at + 4 + length) });
    at += 4 + length;
  }
  return { tlvs, ignoredBytes: bytes.length - at };
}
