/**
 * OMEMO bundles (XEP-0384 0.3 §4.3, current §5.3.2): a device's public keys for starting a session.
 *
 *   oldmemo, 0.3 (node eu.siacs.conversations.axolotl.bundles:<device id>, item 'current'):
 *     <bundle xmlns='eu.siacs.conversations.axolotl'>
 *       <signedPreKeyPublic signedPreKeyId='1'>b64</signedPreKeyPublic>
 *       <signedPreKeySignature>b64</signedPreKeySignature>
 *       <identityKey>b64</identityKey>
 *       <prekeys><preKeyPublic preKeyId='1'>b64</preKeyPublic>…</prekeys>
 *     </bundle>
 *     Public keys are libsignal-serialised Curve25519 keys on the wire: 0x05 followed by 32 bytes.
 *
 *   twomemo, 2 (node urn:xmpp:omemo:2:bundles, item '<device id>'):
 *     <bundle xmlns='urn:xmpp:omemo:2'>
 *       <spk id='1'>b64</spk><spks>b64</spks><ik>b64</ik>
 *       <prekeys><pk id='1'>b64</pk>…</prekeys>
 *     </bundle>
 *     Keys are 32 bytes (ik: Ed25519; spk, pk: Curve25519).
 *
 * Signatures are 64 bytes in both. Values are the engine's `Bundle` (../crypto/x3dh.ts): keys of 32 bytes,
 * the 0.3 type byte taken off when parsing and put on when building; the signature as on the wire (what
 * its bits mean is the engine's business).
 *
 * @example
 *   const r = parseBundle(payload);
 *   if (!r.ok) return report(r.error.message);
 *   const session = startSession(ownDevice, r.value);
 */
import xml, { type Element } from '@xmpp/xml';
import type { Bundle } from '../crypto/x3dh.js';
import { OLDMEMO_KEY_TYPE } from '../version.js';
import {
  decodeBase64,
  encodeBase64,
  fail,
  MAX_BUNDLE_TEXT_CHARS,
  MAX_KEY_ID,
  MAX_PREKEYS,
  NAMESPACE,
  ok,
  parseDecimal,
  versionOfNamespace,
  type OmemoVersion,
  type Parsed,
} from './common.js';

export type { Bundle };

const SIGNATURE_BYTES = 64;

interface Names {
  spk: string;
  spkId: string;
  spks: string;
  ik: string;
  pk: string;
  pkId: string;
}

const NAMES: Record<OmemoVersion, Names> = {
  oldmemo: {
    spk: 'signedPreKeyPublic',
    spkId: 'signedPreKeyId',
    spks: 'signedPreKeySignature',
    ik: 'identityKey',
    pk: 'preKeyPublic',
    pkId: 'preKeyId',
  },
  twomemo: { spk: 'spk', spkId: 'id', spks: 'spks', ik: 'ik', pk: 'pk', pkId: 'id' },
};

/** A public key as the version writes it (0x05 + 32 bytes in 0.3, 32 bytes in omemo:2), as the engine holds it (32 bytes). */
function publicKeyOf(version: OmemoVersion, wire: Uint8Array): Uint8Array | undefined {
  if (version === 'oldmemo') return wire.length === 33 && wire[0] === OLDMEMO_KEY_TYPE ? wire.slice(1) : undefined;
  return wire.length === 32 ? wire : undefined;
}

/** The base64 bytes of `el`, checked: too long → too-large, not base64 or not `expect` → bad-base64. */
function readBytes(el: Element, what: string, valid: (b: Uint8Array) => boolean, expect: string): Parsed<Uint8Array> {
  const text = el.text();
  if (text.length > MAX_BUNDLE_TEXT_CHARS) {
    return fail('too-large', `bundle: ${what} of ${text.length} characters refused (at most ${MAX_BUNDLE_TEXT_CHARS})`);
  }
  const bytes = decodeBase64(text, MAX_BUNDLE_TEXT_CHARS);
  if (!bytes || !valid(bytes)) return fail('bad-base64', `bundle: ${what} is not ${expect} in base64`);
  return ok(bytes);
}

/** A public key element: base64 of the version's wire form, returned as the engine's 32 bytes. */
function readKey(version: OmemoVersion, el: Element, what: string): Parsed<Uint8Array> {
  const bytes = readBytes(el, what, (b) => publicKeyOf(version, b) !== undefined, 'a public key');
  return bytes.ok ? ok(publicKeyOf(version, bytes.value)!) : bytes;
}

/** Parses a bundle payload of either version (the element inside the PEP `<item>`). */
export function parseBundle(el: Element): Parsed<Bundle> {
  const version = versionOfNamespace(el.attrs.xmlns);
  if (!version || el.name !== 'bundle') {
    return fail('wrong-element', `not an OMEMO bundle: <${el.name} xmlns='${el.attrs.xmlns ?? ''}'>`);
  }
  const ns = NAMESPACE[version];
  const n = NAMES[version];
  const one = (name: string): Element | undefined => {
    const found = el.getChildren(name, ns);
    return found.length === 1 ? found[0] : undefined;
  };
  const spkEl = one(n.spk);
  const spksEl = one(n.spks);
  const ikEl = one(n.ik);
  const prekeysEl = one('prekeys');
  if (!spkEl || !spksEl || !ikEl || !prekeysEl) {
    return fail('missing', `bundle without exactly one each of <${n.spk}>, <${n.spks}>, <${n.ik}> and <prekeys>`);
  }
  const pkEls = prekeysEl.getChildren(n.pk, ns);
  if (pkEls.length > MAX_PREKEYS) {
    return fail('too-large', `bundle with ${pkEls.length} pre-keys refused (at most ${MAX_PREKEYS})`);
  }
  if (pkEls.length === 0) return fail('empty', 'bundle without pre-keys');

  const spkId = parseDecimal(spkEl.attrs[n.spkId], 0, MAX_KEY_ID);
  if (spkId === undefined) return fail('bad-id', 'bundle: signed pre-key id missing or out of range');
  const signedPreKey = readKey(version, spkEl, 'signed pre-key');
  if (!signedPreKey.ok) return signedPreKey;
  const signature = readBytes(spksEl, 'signed pre-key signature', (b) => b.length === SIGNATURE_BYTES, '64 bytes');
  if (!signature.ok) return signature;
  const identityKey = readKey(version, ikEl, 'identity key');
  if (!identityKey.ok) return identityKey;

  const preKeys: Bundle['preKeys'] = [];
  const seen = new Set<number>();
  for (const pkEl of pkEls) {
    const id = parseDecimal(pkEl.attrs[n.pkId], 0, MAX_KEY_ID);
    if (id === undefined) return fail('bad-id', 'bundle: a pre-key id is missing or out of range');
    const key = readKey(version, pkEl, `pre-key ${id}`);
    if (!key.ok) return key;
    if (seen.has(id)) continue; // the first one counts, as in python-omemo's dict
    seen.add(id);
    preKeys.push({ id, key: key.value });
  }
  return ok({
    version,
    identityKey: identityKey.value,
    signedPreKeyId: spkId,
    signedPreKey: signedPreKey.value,
    signedPreKeySignature: signature.value,
    preKeys,
  });
}

/** The bundle payload to publish for our device; throws on values that are not ours to send (wrong sizes). */
export function buildBundle(bundle: Bundle): Element {
  const { version } = bundle;
  const ns = NAMESPACE[version];
  const n = NAMES[version];
  const key = (what: string, k: Uint8Array): string => {
    if (k.length !== 32) throw new RangeError(`bundle: ${what} must be 32 bytes`);
    return encodeBase64(version === 'oldmemo' ? Uint8Array.from([OLDMEMO_KEY_TYPE, ...k]) : k);
  };
  const id = (what: string, v: number): string => {
    if (!Number.isInteger(v) || v < 0 || v > MAX_KEY_ID) throw new RangeError(`bundle: ${what} id out of range`);
    return String(v);
  };
  if (bundle.signedPreKeySignature.length !== SIGNATURE_BYTES) throw new RangeError('bundle: signature must be 64 bytes');
  if (bundle.preKeys.length === 0 || bundle.preKeys.length > MAX_PREKEYS) {
    throw new RangeError(`bundle: 1..${MAX_PREKEYS} pre-keys`);
  }
  return xml(
    'bundle',
    { xmlns: ns },
    xml(n.spk, { [n.spkId]: id('signed pre-key', bundle.signedPreKeyId) }, key('signed pre-key', bundle.signedPreKey)),
    xml(n.spks, {}, encodeBase64(bundle.signedPreKeySignature)),
    xml(n.ik, {}, key('identity key', bundle.identityKey)),
    xml('prekeys', {}, ...bundle.preKeys.map((pk) => xml(n.pk, { [n.pkId]: id('pre-key', pk.id) }, key(`pre-key ${pk.id}`, pk.key)))),
  );
}
