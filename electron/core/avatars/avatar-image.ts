/**
 * What an avatar may be before anything of it reaches the UI: a small PNG,
 * JPEG, GIF or WebP, recognised by its first bytes (never by what the sender
 * claims), turned into a data: URL the renderer's CSP allows for images.
 */
import { createHash } from 'node:crypto';

/** Larger avatars are refused (XEP-0084 recommends far smaller; servers cap stanza sizes near here). */
export const MAX_AVATAR_BYTES = 128 * 1024;

export type ImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export function imageType(bytes: Uint8Array): ImageType | undefined {
  const starts = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x47, 0x49, 0x46, 0x38) && (bytes[4] === 0x37 || bytes[4] === 0x39) && bytes[5] === 0x61) return 'image/gif';
  if (starts(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45 && bytes[10] === 0x42 && bytes[11] === 0x50) return 'image/webp';
  return undefined;
}

export function sha1Hex(bytes: Uint8Array): string {
  return createHash('sha1').update(bytes).digest('hex');
}

/** Strict base64 (what XMPP carries): undefined for anything else or an image over the bound. */
export function decodeBase64Image(base64: string): Buffer | undefined {
  if (base64.length > Math.ceil(MAX_AVATAR_BYTES / 3) * 4 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) return undefined;
  const bytes = Buffer.from(base64, 'base64');
  return bytes.length > 0 && bytes.length <= MAX_AVATAR_BYTES ? bytes : undefined;
}

export type CheckedAvatar = { hash: string; type: ImageType; bytes: Buffer; dataUrl: string };

/** An avatar that is an image we show, and (when a hash is expected) the one announced. */
export function checkAvatar(base64: string, expectedHash?: string): CheckedAvatar | undefined {
  const bytes = decodeBase64Image(base64);
  if (!bytes) return undefined;
  const type = imageType(bytes);
  if (!type) return undefined;
  const hash = sha1Hex(bytes);
  if (expectedHash !== undefined && hash !== expectedHash) return undefined;
  return { hash, type, bytes, dataUrl: `data:${type};base64,${bytes.toString('base64')}` };
}
