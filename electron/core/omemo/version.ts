// The two OMEMO versions the engine speaks, and their constants.
//  - 'oldmemo': XEP-0384 0.3 (namespace eu.siacs.conversations.axolotl), as
//    Conversations, Dino and Gajim speak it (libsignal's wire format).
//  - 'twomemo': XEP-0384 0.8 (namespace urn:xmpp:omemo:2).
// Values as in python-oldmemo / python-twomemo 1.0 (oldmemo.py, twomemo.py).

export type OmemoVersion = 'oldmemo' | 'twomemo';

export const OMEMO_VERSIONS: readonly OmemoVersion[] = ['oldmemo', 'twomemo'];

export const NAMESPACE: Record<OmemoVersion, string> = {
  oldmemo: 'eu.siacs.conversations.axolotl',
  twomemo: 'urn:xmpp:omemo:2',
};

export interface VersionParams {
  /** HKDF info of X3DH. */
  x3dhInfo: string;
  /** HKDF info of the root chain. */
  rootInfo: string;
  /** HKDF info that splits a message key into AES key, MAC key and IV. */
  messageKeyInfo: string;
  /** Bytes of HMAC-SHA-256 kept as the message's MAC. */
  macLength: number;
  /** Length of an identity key as encoded into the associated data. */
  adKeyLength: number;
  /** Key material the ratchet carries per message: payload key + payload tag. */
  keyLength: number;
  tagLength: number;
}

export const PARAMS: Record<OmemoVersion, VersionParams> = {
  oldmemo: {
    x3dhInfo: 'WhisperText',
    rootInfo: 'WhisperRatchet',
    messageKeyInfo: 'WhisperMessageKeys',
    macLength: 8,
    adKeyLength: 33,
    keyLength: 16,
    tagLength: 16,
  },
  twomemo: {
    x3dhInfo: 'OMEMO X3DH',
    rootInfo: 'OMEMO Root Chain',
    messageKeyInfo: 'OMEMO Message Key Material',
    macLength: 16,
    adKeyLength: 32,
    keyLength: 32,
    tagLength: 16,
  },
};

/** Message chain KDF inputs (HMAC with one byte each): 0x01 message key, 0x02 next chain key. */
export const MESSAGE_KEY_SEED = 0x01;
export const CHAIN_KEY_SEED = 0x02;

/** libsignal's version byte ((3 << 4) | 3) in front of 0.3 messages. */
export const OLDMEMO_VERSION_BYTE = 0x33;

/** libsignal's key type byte (DJB / Curve25519) in front of 0.3 public keys. */
export const OLDMEMO_KEY_TYPE = 0x05;
