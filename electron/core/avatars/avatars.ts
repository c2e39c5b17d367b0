/**
 * One account's avatars: contacts' pictures, fetched when their presence
 * announces a new hash (XEP-0153) from their PEP avatar (XEP-0084) or vCard,
 * checked (an image we show, with the announced hash) and handed to the UI as
 * data: URLs; and setting or removing our own (XEP-0084).
 */
import { KlatschError } from '../errors.js';
import { checkAvatar } from './avatar-image.js';
import {
  avatarDataGet,
  avatarDataPublish,
  avatarMetadataPublish,
  avatarPurge,
  NODE_DATA,
  NODE_METADATA,
  parseAvatarData,
  parseVcardPhoto,
  vcardGet,
} from './avatar-stanzas.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';

export interface AvatarsDeps {
  session: () => XmppSession | undefined;
  /** Whose pictures are fetched: contacts in the roster and the account itself, not anyone who sends presence. */
  wanted: (jid: string) => boolean;
  /** A picture changed (undefined: none any more). */
  changed: (jid: string, dataUrl: string | undefined) => void;
  /** Presence goes out again after our own avatar changed, so contacts learn the new hash. */
  announce: () => Promise<void>;
  timeoutMs?: number;
}

export class Avatars {
  private readonly shown = new Map<string, { hash: string; dataUrl: string }>();
  /** The hash last announced per contact: a fetch whose answer comes after a newer hash is dropped. */
  private readonly announced = new Map<string, string>();

  constructor(private readonly deps: AvatarsDeps) {}

  snapshot(): Record<string, string> {
    return Object.fromEntries([...this.shown].map(([jid, a]) => [jid, a.dataUrl]));
  }

  /** A presence said what the contact's avatar is now ('' = none). */
  onHash(jid: string, hash: string): void {
    if (!this.deps.wanted(jid) || this.announced.get(jid) === hash) return;
    this.announced.set(jid, hash);
    if (hash === '') {
      if (this.shown.delete(jid)) this.deps.changed(jid, undefined);
      return;
    }
    if (this.shown.get(jid)?.hash === hash) return;
    void this.fetch(jid, hash);
  }

  /** A contact left the roster: their picture goes too. */
  forget(jid: string): void {
    this.announced.delete(jid);
    this.shown.delete(jid);
  }

  private async fetch(jid: string, hash: string): Promise<void> {
    const session = this.deps.session();
    if (!session) return;
    const timeout = this.deps.timeoutMs ?? 15_000;
    // XEP-0084 first; a server without PEP avatars may still have the picture in the vCard.
    let base64 = await session.iq.request(avatarDataGet(jid, hash), timeout).then((r) => parseAvatarData(r, hash), () => undefined);
    if (!base64) base64 = await session.iq.request(vcardGet(jid), timeout).then(parseVcardPhoto, () => undefined);
    const avatar = base64 ? checkAvatar(base64, hash) : undefined;
    if (this.announced.get(jid) !== hash) return; // a newer hash came meanwhile
    if (!avatar) {
      // Not there (yet: e.g. the subscription was just approved), not an image, or not the announced one: the next presence tries again.
      this.announced.delete(jid);
      return;
    }
    this.shown.set(jid, { hash, dataUrl: avatar.dataUrl });
    this.deps.changed(jid, avatar.dataUrl);
  }

  /** Publishes our picture (base64 of PNG, JPEG, GIF or WebP), or removes it (undefined). */
  async setOwn(ownJid: string, base64: string | undefined): Promise<void> {
    const avatar = base64 === undefined ? undefined : checkAvatar(base64);
    if (base64 !== undefined && !avatar) {
      throw new KlatschError('invalid-request', 'The picture must be a PNG, JPEG, GIF or WebP image of at most 128 KB.', { reason: 'avatar-invalid' });
    }
    const session = this.deps.session();
    if (!session) throw new KlatschError('not-connected', 'You are not connected: sign in to change your picture.', { reason: 'avatar-offline' });
    try {
      if (avatar) await session.iq.request(avatarDataPublish(avatar.hash, avatar.bytes.toString('base64')), this.deps.timeoutMs ?? 15_000);
      await session.iq.request(avatarMetadataPublish(avatar ? { hash: avatar.hash, bytes: avatar.bytes.length, type: avatar.type } : null), this.deps.timeoutMs ?? 15_000);
      if (!avatar) {
        // Not every server can purge; the empty metadata already said "no avatar" to those following it.
        for (const node of [NODE_METADATA, NODE_DATA] as const) await session.iq.request(avatarPurge(node), this.deps.timeoutMs ?? 15_000).catch(() => undefined);
      }
    } catch (error) {
      const e = error as { name?: string; condition?: string };
      if (e.name === 'StanzaError') throw new KlatschError('server-error', `The server refused the picture (${e.condition ?? 'error'}).`, { reason: 'avatar-refused', params: { condition: e.condition ?? 'error' } });
      if (e.name === 'TimeoutError') throw new KlatschError('timeout', 'The server did not answer in time.', { reason: 'no-answer' });
      throw new KlatschError('not-connected', 'The connection was lost before the server answered.', { reason: 'lost-before-answer' });
    }
    this.announced.set(ownJid, avatar?.hash ?? '');
    if (avatar) this.shown.set(ownJid, { hash: avatar.hash, dataUrl: avatar.dataUrl });
    else this.shown.delete(ownJid);
    this.deps.changed(ownJid, avatar?.dataUrl);
    await this.deps.announce().catch(() => undefined);
  }
}
