/**
 * DSA key generation that does not block the main thread.
 *
 * `generateDsaKey` in otr/dsa.ts uses `generateKeyPairSync`, which runs the
 * DSA parameter generation (the slow part, tens to hundreds of ms) on the
 * calling thread. node:crypto's callback form `generateKeyPair` runs the very
 * same OpenSSL job on the libuv thread pool instead, so no Worker is needed:
 * the event loop keeps running while the primes are searched. What is left on
 * the main thread is reading p, q, g, x and y out of the exported DER (a few
 * microseconds) and one sign/verify self-test (about a millisecond).
 */
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { dsaSign, dsaVerify, type DsaPrivateKey } from '../../../otr/dsa.js';
import { secureRandom } from '../../../otr/random.js';
import { Der } from '../../../otr/der.js';

function domainParameters(d: Der): { p: bigint; q: bigint; g: bigint } {
  d.enter(0x30); // AlgorithmIdentifier
  d.skip(0x06); // id-dsa
  d.enter(0x30); // Dss-Parms
  return { p: d.integer(), q: d.integer(), g: d.integer() };
}

function toDsaKey(publicKey: KeyObject, privateKey: KeyObject): DsaPrivateKey {
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const pub = new Der(spki);
  pub.enter(0x30); // SubjectPublicKeyInfo
  const { p, q, g } = domainParameters(pub);
  pub.enterBitString();
  const y = pub.integer();

  const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    const priv = new Der(new Uint8Array(pkcs8.buffer, pkcs8.byteOffset, pkcs8.length));
    priv.enter(0x30); // PrivateKeyInfo
    priv.integer(); // version
    const params = domainParameters(priv);
    priv.enter(0x04); // privateKey OCTET STRING
    const x = priv.integer();
    if (params.p !== p || params.q !== q || params.g !== g) throw new Error('the two halves of the new key disagree');
    return { p, q, g, y, x };
  } finally {
    pkcs8.fill(0);
  }
}

/** Signs and verifies once (about a millisecond): false for a key whose parts do not belong together. */
export function dsaKeyWorks(key: DsaPrivateKey): boolean {
  try {
    const value = secureRandom(20);
    return dsaVerify(key, value, dsaSign(key, value, secureRandom));
  } catch {
    return false;
  }
}

/** A new DSA-1024/160 key (as libotr makes), generated on the libuv thread pool. */
export function generateDsaKeyAsync(): Promise<DsaPrivateKey> {
  return new Promise((resolve, reject) => {
    generateKeyPair('dsa', { modulusLength: 1024, divisorLength: 160 }, (error, publicKey, privateKey) => {
      if (error) {
        reject(error);
        return;
      }
      try {
        const key = toDsaKey(publicKey, privateKey);
        if (!dsaKeyWorks(key)) throw new Error('the new OTR key failed its self-test');
        resolve(key);
      } catch (e) {
        reject(e as Error);
      }
    });
  });
}
