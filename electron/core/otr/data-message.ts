// The Data Message (Protocol-v3 "Data Message", type 0x03): its byte layout,
// the plaintext inside it (UTF-8 text, NUL, TLVs), and sealing/opening with
// one set of session keys. Which keys to use, counters and rotation live in
// data-keys.ts.
//
// Layout: header (version, 0x03, v3 instance tags) · flags BYTE · sender
// keyid INT · recipient keyid INT · next DH y MPI · top-half counter CTR ·
// encrypted message DATA · MAC (HMAC-SHA1 of everything from the version to
// the end of the encrypted message) · old MAC keys DATA.
//
// @example
//   const bytes = sealDataMessage({ header, flags: 0, senderKeyId: 1, recipientKeyId: 1,
//     nextDh, ctr, plaintext: encodePlaintext('hi', []) }, keys.sendAes, keys.sendMac, new Uint8Array(0));
//   const msg = parseDataMessage(bytes);            // throws OtrParseError on garbage
//   verifyDataMessage(msg, keys.recvMac) && decryptDataMessage(msg, keys.recvAes)

import { createHmac, timingSafeEqual } from 'node:crypto';
import { secretKey } from '../secret-key.js';
import { aesCtr } from './aes-ctr.js';
import type { OtrTlvRecord } from './events.js';
import { decodeTlvs, encodeTlvs } from './tlv.js';
import { CTR_LENGTH, MAC_LENGTH, MSG_DATA, OtrParseError, Reader, Writer, readHeader, writeHeader, type OtrHeader } from './wire.js';

export const FLAG_IGNORE_UNREADABLE = 0x01;
/** The longest message text (UTF-8 bytes) we send or accept privately. */
export const MAX_MESSAGE_BYTES = 1024 * 1024;
/** Largest encrypted payload we accept: the text, its NUL and the TLVs (the whole message is bounded by encoding.ts too). */
export const MAX_ENCRYPTED_LENGTH = MAX_MESSAGE_BYTES + 64 * 1024;
/** Largest old-MAC-keys field we accept (libotr reveals a handful of 20-byte keys). */
export const MAX_REVEALED_LENGTH = 20 * 64;

export interface DataMessage {
  header: OtrHeader;
  flags: number;
  senderKeyId: number;
  recipientKeyId: number;
  /** The sender's next DH public key (keyid senderKeyId + 1). */
  nextDh: bigint;
  /** Top half of the initial counter (8 bytes). */
  ctr: Uint8Array;
  encrypted: Uint8Array;
  mac: Uint8Array;
  /** Concatenated 20-byte MAC keys the sender no longer uses. */
  oldMacKeys: Uint8Array;
  /** The bytes the MAC covers (version … end of the encrypted message). */
  authenticated: Uint8Array;
}

/** Parses a whole data message; throws OtrParseError on anything malformed. */
export function parseDataMessage(bytes: Uint8Array): DataMessage {
  const r = new Reader(bytes);
  const header = readHeader(r);
  if (header.type !== MSG_DATA) throw new OtrParseError(`not a data message (type ${header.type})`);
  const flags = r.byte();
  const senderKeyId = r.int();
  const recipientKeyId = r.int();
  const nextDh = r.mpi();
  const ctr = r.fixed(CTR_LENGTH);
  const encrypted = r.data(MAX_ENCRYPTED_LENGTH);
  const authenticated = bytes.slice(0, r.offset);
  const mac = r.fixed(MAC_LENGTH);
  const oldMacKeys = r.data(MAX_REVEALED_LENGTH);
  r.end();
  return { header, flags, senderKeyId, recipientKeyId, nextDh, ctr, encrypted, mac, oldMacKeys, authenticated };
}

/**
 * The flags of a data message we cannot (fully) parse or read, as libotr's
 * otrl_proto_data_read_flags; 0 when even the header is unreadable.
 */
export function readDataFlags(bytes: Uint8Array): number {
  try {
    const r = new Reader(bytes);
    const header = readHeader(r);
    return header.type === MSG_DATA ? r.byte() : 0;
  } catch {
    return 0;
  }
}

export interface DataMessageFields {
  header: OtrHeader;
  flags: number;
  senderKeyId: number;
  recipientKeyId: number;
  nextDh: bigint;
  ctr: Uint8Array;
  plaintext: Uint8Array;
}

function hmacSha1(key: Uint8Array, data: Uint8Array): Uint8Array {
  return new Uint8Array(createHmac('sha1', secretKey(key)).update(data).digest());
}

/** Encrypts and MACs a data message; returns its bytes. */
export function sealDataMessage(fields: DataMessageFields, aesKey: Uint8Array, macKey: Uint8Array, oldMacKeys: Uint8Array): Uint8Array {
  if (fields.header.type !== MSG_DATA) throw new RangeError('data message header must have type 0x03');
  if (fields.ctr.length !== CTR_LENGTH || fields.ctr.every((b) => b === 0)) throw new RangeError('counter must be 8 bytes, not all zero');
  const w = writeHeader(new Writer(), fields.header);
  w.byte(fields.flags).int(fields.senderKeyId).int(fields.recipientKeyId).mpi(fields.nextDh).raw(fields.ctr);
  w.data(aesCtr(aesKey, fields.ctr, fields.plaintext));
  const authenticated = w.bytes();
  return new Writer().raw(authenticated).raw(hmacSha1(macKey, authenticated)).data(oldMacKeys).bytes();
}

/** True if the MAC verifies with `macKey` (constant-time comparison). */
export function verifyDataMessage(msg: DataMessage, macKey: Uint8Array): boolean {
  const expected = hmacSha1(macKey, msg.authenticated);
  return msg.mac.length === expected.length && timingSafeEqual(msg.mac, expected);
}

export function decryptDataMessage(msg: DataMessage, aesKey: Uint8Array): Uint8Array {
  return aesCtr(aesKey, msg.ctr, msg.encrypted);
}

// ---- The plaintext: message, NUL, TLVs ----

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/**
 * UTF-8 text, a NUL and the TLV records (the NUL is always written, as
 * libotr does). NUL characters inside `text` are dropped: they would end
 * the human-readable part.
 */
export function encodePlaintext(text: string, tlvs: readonly OtrTlvRecord[]): Uint8Array {
  const body = utf8.encode(text.replaceAll('\u0000', ''));
  const records = encodeTlvs(tlvs);
  const out = new Uint8Array(body.length + 1 + records.length);
  out.set(body, 0);
  out.set(records, body.length + 1);
  return out;
}

export interface DecodedPlaintext {
  /** The human-readable part; empty for a heartbeat. */
  text: string;
  tlvs: OtrTlvRecord[];
}

export function decodePlaintext(plaintext: Uint8Array): DecodedPlaintext {
  const nul = plaintext.indexOf(0);
  if (nul < 0) return { text: utf8Decoder.decode(plaintext), tlvs: [] };
  return { text: utf8Decoder.decode(plaintext.subarray(0, nul)), tlvs: decodeTlvs(plaintext.subarray(nul + 1)).tlvs };
}
