// One error type for everything the OMEMO engine rejects. The code says what
// went wrong so the provider can decide (drop, ask for a new session, warn the
// user) without matching on text; the message is for logs and never carries
// key material or plaintext.

export type OmemoErrorCode =
  /** Bytes that do not parse: truncated or oversized protobuf, wrong version byte, bad key length. */
  | 'malformed'
  /** A public key that is not usable (low order, not on the curve, all-zero shared secret). */
  | 'bad-key'
  /** The signed prekey's signature does not verify under the identity key. */
  | 'bad-signature'
  /** A Double Ratchet message whose MAC (or payload tag) does not verify. */
  | 'bad-mac'
  /** The message was already decrypted (its key is gone). */
  | 'duplicate'
  /** Decrypting would need more skipped message keys than allowed. */
  | 'too-many-skipped'
  /** A key exchange names a signed prekey we do not have (any more). */
  | 'unknown-signed-prekey'
  /** A key exchange names a one-time prekey we do not have (any more), or a bundle has none. */
  | 'unknown-prekey'
  /** Decryption failed after authentication (padding, length of the key material). */
  | 'decrypt-failed'
  /** Stored state that does not restore (wrong shape, wrong version). */
  | 'bad-state';

export class OmemoError extends Error {
  readonly code: OmemoErrorCode;

  constructor(code: OmemoErrorCode, message: string) {
    super(message);
    this.name = 'OmemoError';
    this.code = code;
  }
}

export function isOmemoError(error: unknown): error is OmemoError {
  return error instanceof OmemoError;
}
