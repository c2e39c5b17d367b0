// Protobuf codecs for the OMEMO wire structures (protobufjs reflection, no
// code generation). Schemas as python-oldmemo's oldmemo.proto (libsignal's
// SignalMessage / PreKeySignalMessage field numbers) and python-twomemo's
// twomemo.proto (XEP-0384 0.8 §"Protobuf Schemas"). Every decode failure,
// truncated input, missing required field, wrong length, becomes an
// OmemoError('malformed').
import protobuf from 'protobufjs/light.js';
import { OmemoError } from '../errors.js';
import { concatBytes } from '../bytes.js';
import { OLDMEMO_KEY_TYPE, OLDMEMO_VERSION_BYTE, PARAMS, type OmemoVersion } from '../version.js';

/** Nothing legitimate in a <key> element comes near this; larger inputs are refused before parsing. */
export const MAX_KEY_ELEMENT_BYTES = 4096;
/** The ratchet only ever carries 32 or 48 bytes of key material (48 or 64 after padding). */
const MAX_RATCHET_CIPHERTEXT_BYTES = 1024;

const req = (type: string, id: number) => ({ rule: 'required', type, id });
const opt = (type: string, id: number) => ({ type, id });

const root = protobuf.Root.fromJSON({
  nested: {
    oldmemo: {
      nested: {
        OMEMOMessage: { fields: { dh_pub: req('bytes', 1), n: req('uint32', 2), pn: req('uint32', 3), ciphertext: opt('bytes', 4) } },
        OMEMOKeyExchange: {
          fields: {
            pk_id: req('uint32', 1), ek: req('bytes', 2), ik: req('bytes', 3), message: req('bytes', 4),
            unused: opt('uint32', 5), spk_id: req('uint32', 6),
          },
        },
      },
    },
    twomemo: {
      nested: {
        OMEMOMessage: { fields: { n: req('uint32', 1), pn: req('uint32', 2), dh_pub: req('bytes', 3), ciphertext: opt('bytes', 4) } },
        OMEMOAuthenticatedMessage: { fields: { mac: req('bytes', 1), message: req('bytes', 2) } },
        // `message` is an embedded OMEMOAuthenticatedMessage; read as bytes (same wire
        // format) so the exact bytes the MAC covers are kept.
        OMEMOKeyExchange: {
          fields: { pk_id: req('uint32', 1), spk_id: req('uint32', 2), ik: req('bytes', 3), ek: req('bytes', 4), message: req('bytes', 5) },
        },
      },
    },
  },
});

const types = {
  oldmemo: { message: root.lookupType('oldmemo.OMEMOMessage'), keyExchange: root.lookupType('oldmemo.OMEMOKeyExchange') },
  twomemo: {
    message: root.lookupType('twomemo.OMEMOMessage'),
    authenticated: root.lookupType('twomemo.OMEMOAuthenticatedMessage'),
    keyExchange: root.lookupType('twomemo.OMEMOKeyExchange'),
  },
};

type Fields = Record<string, unknown>;

function decode(type: protobuf.Type, bytes: Uint8Array, what: string): Fields {
  if (!(bytes instanceof Uint8Array)) throw new OmemoError('malformed', `${what}: not bytes`);
  if (bytes.length > MAX_KEY_ELEMENT_BYTES) throw new OmemoError('malformed', `${what}: too large`);
  try {
    return type.decode(bytes) as unknown as Fields;
  } catch {
    throw new OmemoError('malformed', `${what}: not a valid protobuf`);
  }
}

function bytesField(fields: Fields, name: string, what: string): Uint8Array {
  const value = fields[name];
  if (!(value instanceof Uint8Array)) throw new OmemoError('malformed', `${what}: ${name} missing`);
  return new Uint8Array(value);
}

function optionalBytesField(fields: Fields, name: string): Uint8Array | undefined {
  if (!Object.hasOwn(fields, name)) return undefined;
  const value = fields[name];
  return value instanceof Uint8Array ? new Uint8Array(value) : undefined;
}

function uintField(fields: Fields, name: string, what: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new OmemoError('malformed', `${what}: ${name} missing`);
  }
  return value;
}

/** Public key as sent: 0.3 prefixes the key type byte 0x05; omemo:2 sends the 32 bytes. */
export function encodePublicKey(version: OmemoVersion, key: Uint8Array): Uint8Array {
  return version === 'oldmemo' ? concatBytes(Uint8Array.of(OLDMEMO_KEY_TYPE), key) : Uint8Array.from(key);
}

export function decodePublicKey(version: OmemoVersion, encoded: Uint8Array, what = 'public key'): Uint8Array {
  if (version === 'oldmemo') {
    if (encoded.length !== 33 || encoded[0] !== OLDMEMO_KEY_TYPE) throw new OmemoError('malformed', `${what}: not a 0x05-prefixed Curve25519 key`);
    return encoded.slice(1);
  }
  if (encoded.length !== 32) throw new OmemoError('malformed', `${what}: not 32 bytes`);
  return Uint8Array.from(encoded);
}

/** The Double Ratchet header (ratchet key raw, without the 0.3 type byte). */
export interface RatchetHeader {
  dhPub: Uint8Array;
  n: number;
  pn: number;
}

/**
 * OMEMOMessage (0.3: libsignal's SignalMessage body, without the version
 * byte). Without ciphertext it is the header the associated data ends with.
 */
export function encodeOmemoMessage(version: OmemoVersion, header: RatchetHeader, ciphertext?: Uint8Array): Uint8Array {
  const type = types[version].message;
  const fields: Fields = { dh_pub: encodePublicKey(version, header.dhPub), n: header.n, pn: header.pn };
  if (ciphertext !== undefined) fields.ciphertext = ciphertext;
  return type.encode(fields).finish(); // a plain object encodes as its Message would (no copy into one)
}

export function decodeOmemoMessage(version: OmemoVersion, bytes: Uint8Array): { header: RatchetHeader; ciphertext: Uint8Array } {
  const what = 'OMEMOMessage';
  const fields = decode(types[version].message, bytes, what);
  const header = { dhPub: decodePublicKey(version, bytesField(fields, 'dh_pub', what), 'ratchet key'), n: uintField(fields, 'n', what), pn: uintField(fields, 'pn', what) };
  const ciphertext = optionalBytesField(fields, 'ciphertext');
  if (ciphertext === undefined || ciphertext.length === 0) throw new OmemoError('malformed', `${what}: no ciphertext`);
  if (ciphertext.length > MAX_RATCHET_CIPHERTEXT_BYTES) throw new OmemoError('malformed', `${what}: ciphertext too large`);
  return { header, ciphertext };
}

/** A ratchet message with its MAC: `mac` covers associatedData || `macInput`. */
export interface AuthenticatedMessage {
  /** The bytes after the associated data in the MAC input (0.3: version byte + OMEMOMessage). */
  macInput: Uint8Array;
  mac: Uint8Array;
  header: RatchetHeader;
  ciphertext: Uint8Array;
}

/** 0.3: 0x33 || SignalMessage || 8-byte MAC; omemo:2: OMEMOAuthenticatedMessage. */
export function encodeAuthenticatedMessage(version: OmemoVersion, macInput: Uint8Array, mac: Uint8Array): Uint8Array {
  if (version === 'oldmemo') return concatBytes(macInput, mac);
  const type = types.twomemo.authenticated;
  return type.encode({ mac, message: macInput }).finish();
}

/** The MAC input for a new message: 0.3 puts the version byte in front. */
export function macInputFor(version: OmemoVersion, omemoMessage: Uint8Array): Uint8Array {
  return version === 'oldmemo' ? concatBytes(Uint8Array.of(OLDMEMO_VERSION_BYTE), omemoMessage) : omemoMessage;
}

export function decodeAuthenticatedMessage(version: OmemoVersion, bytes: Uint8Array): AuthenticatedMessage {
  const macLength = PARAMS[version].macLength;
  let macInput: Uint8Array;
  let mac: Uint8Array;
  if (!(bytes instanceof Uint8Array)) throw new OmemoError('malformed', 'message: not bytes');
  if (bytes.length > MAX_KEY_ELEMENT_BYTES) throw new OmemoError('malformed', 'message: too large');
  if (version === 'oldmemo') {
    if (bytes.length < 1 + macLength + 1) throw new OmemoError('malformed', 'SignalMessage: truncated');
    macInput = bytes.slice(0, bytes.length - macLength);
    mac = bytes.slice(bytes.length - macLength);
    if (macInput[0] !== OLDMEMO_VERSION_BYTE) throw new OmemoError('malformed', 'SignalMessage: unsupported version byte');
  } else {
    const fields = decode(types.twomemo.authenticated, bytes, 'OMEMOAuthenticatedMessage');
    macInput = bytesField(fields, 'message', 'OMEMOAuthenticatedMessage');
    mac = bytesField(fields, 'mac', 'OMEMOAuthenticatedMessage');
    if (mac.length !== macLength) throw new OmemoError('malformed', 'OMEMOAuthenticatedMessage: MAC of wrong length');
  }
  const { header, ciphertext } = decodeOmemoMessage(version, version === 'oldmemo' ? macInput.subarray(1) : macInput);
  return { macInput, mac, header, ciphertext };
}

/** The X3DH part of a first message (0.3: PreKeySignalMessage; omemo:2: OMEMOKeyExchange). */
export interface KeyExchange {
  preKeyId: number;
  signedPreKeyId: number;
  /** Sender's identity key (0.3 Curve25519, omemo:2 Ed25519), raw 32 bytes. */
  identityKey: Uint8Array;
  ephemeralKey: Uint8Array;
  /** The encoded authenticated message inside. */
  message: Uint8Array;
}

export function encodeKeyExchange(version: OmemoVersion, kex: KeyExchange): Uint8Array {
  const type = types[version].keyExchange;
  const encoded = type.encode({
    pk_id: kex.preKeyId,
    spk_id: kex.signedPreKeyId,
    ik: encodePublicKey(version, kex.identityKey),
    ek: encodePublicKey(version, kex.ephemeralKey),
    message: kex.message,
  }).finish();
  return version === 'oldmemo' ? concatBytes(Uint8Array.of(OLDMEMO_VERSION_BYTE), encoded) : encoded;
}

export function decodeKeyExchange(version: OmemoVersion, bytes: Uint8Array): KeyExchange {
  const what = version === 'oldmemo' ? 'PreKeySignalMessage' : 'OMEMOKeyExchange';
  if (!(bytes instanceof Uint8Array)) throw new OmemoError('malformed', `${what}: not bytes`);
  let body = bytes;
  if (version === 'oldmemo') {
    if (bytes.length < 1 || bytes[0] !== OLDMEMO_VERSION_BYTE) throw new OmemoError('malformed', `${what}: unsupported version byte`);
    body = bytes.subarray(1);
  }
  const fields = decode(types[version].keyExchange, body, what);
  return {
    preKeyId: uintField(fields, 'pk_id', what),
    signedPreKeyId: uintField(fields, 'spk_id', what),
    identityKey: decodePublicKey(version, bytesField(fields, 'ik', what), 'identity key'),
    ephemeralKey: decodePublicKey(version, bytesField(fields, 'ek', what), 'ephemeral key'),
    message: bytesField(fields, 'message', what),
  };
}
