// The OMEMO engine (XEP-0384 0.3 and 0.8): one import for the provider.
export { OmemoError, isOmemoError, type OmemoErrorCode } from './errors.js';
export { NAMESPACE, OMEMO_VERSIONS, type OmemoVersion } from './version.js';
export {
  createOwnDevice, generateDeviceId, getBundle, refillPreKeys, rotateSignedPreKey, signedPreKeyDue, deleteUsedPreKeys,
  startSession, encryptKey, decryptKey, fingerprint, DEFAULT_PREKEY_COUNT, SIGNED_PREKEY_ROTATION_MS,
  type OwnDevice, type Session, type KeyElement, type DecryptResult, type EngineOptions, type PreKeyPair, type SignedPreKeyPair,
} from './session.js';
export type { Bundle } from './crypto/x3dh.js';
export { verifySignedPreKey } from './crypto/x3dh.js';
export { encryptPayload, decryptPayload, emptyKeyMaterial, type SealedPayload } from './crypto/payload.js';
export { deviceToJSON, deviceFromJSON, sessionToJSON, sessionFromJSON } from './state-json.js';
export { encodePublicKey, decodePublicKey } from './wire/proto.js';
export { MAX_SKIPPED_PER_MESSAGE, MAX_SKIPPED_PER_SESSION } from './crypto/double-ratchet.js';
