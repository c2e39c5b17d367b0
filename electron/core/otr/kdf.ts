// Key derivation, Protocol-v3 "Computing AES keys, MAC keys, and the secure
// session id": h2 (SHA-256) for the AKE values ssid, c, c', m1, m2, m1', m2'
// and the extra symmetric key; h1 (SHA-1) for the Data Message keys.
import { createHash } from 'node:crypto';
import { encodeMpi } from './wire.js';

export interface AkeKeys {
  /** 64-bit secure session id. */
  ssid: Uint8Array;
  /** AES keys (16 bytes) for the Reveal Signature / Signature messages. */
  c: Uint8Array;
  cPrime: Uint8Array;
  /** SHA256-HMAC keys (32 bytes). */
  m1: Uint8Array;
  m2: Uint8Array;
  m1Prime: Uint8Array;
  m2Prime: Uint8Array;
}

export interface DataKeys {
  sendAes: Uint8Array;
  sendMac: Uint8Array;
  recvAes: Uint8Array;
  recvMac: Uint8Array;
}

/** "secbytes": s as a minimum-length MPI. */
function secbytes(s: bigint): Uint8Array {
  if (s <= 0n) throw new RangeError('invalid shared secret');
  return encodeMpi(s);
}

function hashWithPrefix(algorithm: 'sha1' | 'sha256', b: number, sec: Uint8Array): Uint8Array {
  return new Uint8Array(createHash(algorithm).update(Uint8Array.of(b)).update(sec).digest());
}

export function deriveAkeKeys(s: bigint): AkeKeys {
  const sec = secbytes(s);
  const h2 = (b: number): Uint8Array => hashWithPrefix('sha256', b, sec);
  const h01 = h2(0x01);
  const keys: AkeKeys = {
    ssid: h2(0x00).slice(0, 8),
    c: h01.slice(0, 16),
    cPrime: h01.slice(16, 32),
    m1: h2(0x02),
    m2: h2(0x03),
    m1Prime: h2(0x04),
    m2Prime: h2(0x05),
  };
  sec.fill(0);
  h01.fill(0);
  return keys;
}

/** "Extra symmetric key": h2(0xFF), all 256 bits, from the same secbytes. */
export function deriveExtraSymmetricKey(s: bigint): Uint8Array {
  const sec = secbytes(s);
  const key = hashWithPrefix('sha256', 0xff, sec);
  sec.fill(0);
  return key;
}

/**
 * Data Message keys. We are the "high" end iff our public key is numerically
 * greater than theirs; then sendbyte = 0x01, recvbyte = 0x02 (else swapped).
 */
export function deriveDataKeys(ourPublic: bigint, theirPublic: bigint, secret: bigint): DataKeys {
  const sec = secbytes(secret);
  const high = ourPublic > theirPublic;
  const sendByte = high ? 0x01 : 0x02;
  const recvByte = high ? 0x02 : 0x01;
  const sendAes = hashWithPrefix('sha1', sendByte, sec).slice(0, 16);
  const recvAes = hashWithPrefix('sha1', recvByte, sec).slice(0, 16);
  sec.fill(0);
  return {
    sendAes,
    sendMac: new Uint8Array(createHash('sha1').update(sendAes).digest()),
    recvAes,
    recvMac: new Uint8Array(createHash('sha1').update(recvAes).digest()),
  };
}
