// JSON forms of the engine's state for the encrypted store: bytes as base64,
// a format number so a later change can migrate instead of declaring the
// store damaged. Restoring validates every field (zod); anything else is an
// OmemoError('bad-state').
import { z } from 'zod';
import { OmemoError } from './errors.js';
import { fromBase64, toBase64 } from './bytes.js';
import type { OwnDevice, Session } from './session.js';
import type { RatchetState } from './crypto/double-ratchet.js';

export const STATE_FORMAT = 1;

const bytes = (length?: number) =>
  z.string().transform((text, ctx) => {
    const decoded = fromBase64(text);
    if (!decoded || (length !== undefined && decoded.length !== length)) {
      ctx.addIssue({ code: 'custom', message: 'bad bytes' });
      return z.NEVER;
    }
    return decoded;
  });
const uint32 = z.number().int().min(0).max(0xffffffff);
const version = z.enum(['oldmemo', 'twomemo']);

const preKey = z.object({ id: uint32, priv: bytes(32), pub: bytes(32) });
const signedPreKey = preKey.extend({ signature: bytes(64), createdAt: z.number() });

const deviceSchema = z.object({
  format: z.literal(STATE_FORMAT),
  version,
  identity: z.object({ secret: bytes(32), publicKey: bytes(32) }),
  signedPreKey,
  previousSignedPreKey: signedPreKey.nullable(),
  preKeys: z.array(preKey),
  usedPreKeys: z.array(preKey),
  nextPreKeyId: uint32,
  nextSignedPreKeyId: uint32,
});

const chain = z.object({ key: bytes(32), length: uint32 });
const ratchetSchema = z.object({
  rootKey: bytes(32),
  ownRatchetPriv: bytes(32),
  otherRatchetPub: bytes(32),
  sending: chain,
  receiving: chain.nullable(),
  previousSendingLength: uint32,
  skipped: z.array(z.object({ ratchetPub: bytes(32), index: uint32, messageKey: bytes(32) })).max(1000),
  previousPeerRatchetPubs: z.array(bytes(32)).max(8),
});

const sessionSchema = z.object({
  format: z.literal(STATE_FORMAT),
  version,
  initiation: z.enum(['active', 'passive']),
  confirmed: z.boolean(),
  peerIdentityKey: bytes(32),
  associatedData: bytes(),
  keyExchange: z.object({ preKeyId: uint32, signedPreKeyId: uint32, ephemeralKey: bytes(32) }),
  ratchet: ratchetSchema,
});

/** Replaces every Uint8Array by its base64 text, recursively. */
function encodeBytes(value: unknown): unknown {
  if (value instanceof Uint8Array) return toBase64(value);
  if (Array.isArray(value)) return value.map(encodeBytes);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encodeBytes(v)]));
  }
  return value;
}

export type JsonObject = { [key: string]: unknown };

export function deviceToJSON(device: OwnDevice): JsonObject {
  return { format: STATE_FORMAT, ...(encodeBytes(device) as JsonObject) };
}

export function deviceFromJSON(json: unknown): OwnDevice {
  const parsed = deviceSchema.safeParse(json);
  if (!parsed.success) throw new OmemoError('bad-state', 'stored OMEMO device does not restore');
  const { format: _format, ...device } = parsed.data;
  return device;
}

export function sessionToJSON(session: Session): JsonObject {
  return { format: STATE_FORMAT, ...(encodeBytes(session) as JsonObject) };
}

export function sessionFromJSON(json: unknown): Session {
  const parsed = sessionSchema.safeParse(json);
  if (!parsed.success) throw new OmemoError('bad-state', 'stored OMEMO session does not restore');
  const { format: _format, ...session } = parsed.data;
  const adLength = session.version === 'oldmemo' ? 66 : 64;
  if (session.associatedData.length !== adLength) throw new OmemoError('bad-state', 'stored OMEMO session does not restore');
  const ratchet: RatchetState = session.ratchet;
  return { ...session, ratchet };
}
