/**
 * Avatars: the hash contacts announce in their presence (XEP-0153), the image
 * fetched from their PEP avatar node (XEP-0084) or, where a server has none,
 * from their vCard (XEP-0054 PHOTO); and publishing our own (XEP-0084, which
 * servers such as Prosody also show in the vCard and in our presence hash).
 */
import xml, { type Element } from '@xmpp/xml';

const NS_UPDATE = 'vcard-temp:x:update';
const NS_VCARD = 'vcard-temp';
const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NODE_DATA = 'urn:xmpp:avatar:data';
export const NODE_METADATA = 'urn:xmpp:avatar:metadata';

/** A SHA-1 as XEP-0153 and XEP-0084 write it: 40 lowercase hex digits. */
const SHA1_HEX = /^[0-9a-f]{40}$/;

/**
 * The avatar hash of an available presence: undefined when the presence says
 * nothing about avatars, '' when it says "no avatar", else the SHA-1 (hex).
 * A malformed hash counts as saying nothing.
 */
export function parseAvatarHash(presence: Element): string | undefined {
  const update = presence.getChild('x', NS_UPDATE);
  if (!update) return undefined;
  const photo = update.getChild('photo');
  if (!photo) return undefined; // "not ready to advertise" (XEP-0153 §4.1)
  const hash = photo.text().trim().toLowerCase();
  if (hash === '') return '';
  return SHA1_HEX.test(hash) ? hash : undefined;
}

/** XEP-0084 §4.2: the data item with this id from the contact's PEP node. */
export function avatarDataGet(to: string, hash: string): Element {
  return xml('iq', { type: 'get', to }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NODE_DATA }, xml('item', { id: hash }))));
}

/** The base64 of the data item answered, if it is the one asked for. */
export function parseAvatarData(result: Element, hash: string): string | undefined {
  const item = result.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item').find((i) => i.attrs.id === hash);
  const data = item?.getChild('data', NODE_DATA)?.text();
  return data ? data.replace(/\s+/g, '') : undefined;
}

/** XEP-0054: the contact's vCard. */
export function vcardGet(to: string): Element {
  return xml('iq', { type: 'get', to }, xml('vCard', { xmlns: NS_VCARD }));
}

/** The base64 of the vCard's PHOTO/BINVAL (whitespace removed), if any. */
export function parseVcardPhoto(result: Element): string | undefined {
  const binval = result.getChild('vCard', NS_VCARD)?.getChild('PHOTO')?.getChildText('BINVAL');
  return binval ? binval.replace(/\s+/g, '') : undefined;
}

/** XEP-0084 §4.1: the image itself, as an item of our data node (id = its SHA-1). */
export function avatarDataPublish(hash: string, base64: string): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: NODE_DATA }, xml('item', { id: hash }, xml('data', { xmlns: NODE_DATA }, base64)))),
  );
}

/**
 * Empties one of our avatar nodes (XEP-0060 §8.5). After a removal the last
 * metadata item would otherwise still be the one servers announce in our
 * presence hash (Prosody takes its id), so both nodes are purged.
 */
export function avatarPurge(node: typeof NODE_DATA | typeof NODE_METADATA): Element {
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: `${NS_PUBSUB}#owner` }, xml('purge', { node })));
}

/** XEP-0084 §4.2: announces the image; an empty metadata element (no `info`) says "no avatar". */
export function avatarMetadataPublish(avatar: { hash: string; bytes: number; type: string } | null): Element {
  const metadata = avatar
    ? xml('metadata', { xmlns: NODE_METADATA }, xml('info', { id: avatar.hash, bytes: String(avatar.bytes), type: avatar.type }))
    : xml('metadata', { xmlns: NODE_METADATA });
  return xml(
    'iq',
    { type: 'set' },
    xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: NODE_METADATA }, xml('item', { id: avatar?.hash ?? 'current' }, metadata))),
  );
}
