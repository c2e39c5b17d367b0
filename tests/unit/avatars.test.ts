/**
 * Avatars: which images are accepted (by their bytes, bounded, with the
 * announced hash), the XEP-0153 presence hash, and the XEP-0084/vCard stanzas.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { checkAvatar, decodeBase64Image, imageType, MAX_AVATAR_BYTES, sha1Hex } from '../../electron/core/avatars/avatar-image.js';
import {
  avatarDataGet,
  avatarDataPublish,
  avatarMetadataPublish,
  NODE_DATA,
  NODE_METADATA,
  parseAvatarData,
  parseAvatarHash,
  parseVcardPhoto,
} from '../../electron/core/avatars/avatar-stanzas.js';
import { makePng } from '../fixtures/png.js';

const png = makePng(8, [200, 40, 40]);
const hash = sha1Hex(png);

describe('avatar images', () => {
  test('recognised by their first bytes', () => {
    assert.equal(imageType(png), 'image/png');
    assert.equal(imageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
    assert.equal(imageType(Buffer.from('GIF89a....')), 'image/gif');
    assert.equal(imageType(Buffer.from('RIFF\0\0\0\0WEBPVP8 ')), 'image/webp');
    for (const other of ['<svg onload=alert(1)>', '<html>', 'PK\x03\x04', '']) assert.equal(imageType(Buffer.from(other)), undefined, other);
  });

  test('checked: an image, with the announced hash, as a data: URL of what it really is', () => {
    const checked = checkAvatar(png.toString('base64'), hash);
    assert.equal(checked?.hash, hash);
    assert.equal(checked?.dataUrl, `data:image/png;base64,${png.toString('base64')}`);
    assert.equal(checkAvatar(png.toString('base64'), '0'.repeat(40)), undefined, 'not the announced picture');
    assert.equal(checkAvatar(Buffer.from('<svg/>').toString('base64')), undefined, 'SVG can carry script: never shown');
  });

  test('strict, bounded base64', () => {
    assert.equal(decodeBase64Image('not base64!'), undefined);
    assert.equal(decodeBase64Image('abc'), undefined, 'not a multiple of 4');
    assert.equal(decodeBase64Image(''), undefined);
    const big = Buffer.concat([png, Buffer.alloc(MAX_AVATAR_BYTES)]);
    assert.equal(checkAvatar(big.toString('base64')), undefined, 'too large');
    assert.ok(decodeBase64Image(Buffer.alloc(MAX_AVATAR_BYTES, 1).toString('base64')), 'at the bound');
  });
});

describe('avatar stanzas', () => {
  const presence = (photo?: string) =>
    xml('presence', { from: 'bob@example.com/a' }, photo === undefined ? undefined : xml('x', { xmlns: 'vcard-temp:x:update' }, xml('photo', {}, photo)));

  test('the XEP-0153 hash: a SHA-1, "" for none, undefined when nothing is said or it is malformed', () => {
    assert.equal(parseAvatarHash(presence(hash.toUpperCase())), hash);
    assert.equal(parseAvatarHash(presence('')), '');
    assert.equal(parseAvatarHash(presence()), undefined);
    assert.equal(parseAvatarHash(xml('presence', {}, xml('x', { xmlns: 'vcard-temp:x:update' }))), undefined);
    for (const bad of ['../../etc', 'abc', 'g'.repeat(40), `${hash}0`]) assert.equal(parseAvatarHash(presence(bad)), undefined, bad);
  });

  test('XEP-0084 data: fetched by id, answered item found only with that id', () => {
    const get = avatarDataGet('bob@example.com', hash);
    assert.equal(get.attrs.to, 'bob@example.com');
    assert.equal(get.getChild('pubsub')?.getChild('items')?.attrs.node, NODE_DATA);
    assert.equal(get.getChild('pubsub')?.getChild('items')?.getChild('item')?.attrs.id, hash);
    const answer = (id: string) =>
      xml('iq', { type: 'result' }, xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NODE_DATA }, xml('item', { id }, xml('data', { xmlns: NODE_DATA }, ' QUJD\nREVG ')))));
    assert.equal(parseAvatarData(answer(hash), hash), 'QUJDREVG');
    assert.equal(parseAvatarData(answer('other'), hash), undefined);
  });

  test('vCard PHOTO', () => {
    const vcard = xml('iq', { type: 'result' }, xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, 'QUJD\r\nREVG'))));
    assert.equal(parseVcardPhoto(vcard), 'QUJDREVG');
    assert.equal(parseVcardPhoto(xml('iq', { type: 'result' }, xml('vCard', { xmlns: 'vcard-temp' }))), undefined);
  });

  test('publishing: data with id = hash, metadata with bytes and type; empty metadata removes', () => {
    const data = avatarDataPublish(hash, 'QUJD');
    const item = data.getChild('pubsub')?.getChild('publish')?.getChild('item');
    assert.equal(data.getChild('pubsub')?.getChild('publish')?.attrs.node, NODE_DATA);
    assert.equal(item?.attrs.id, hash);
    assert.equal(item?.getChildText('data', NODE_DATA), 'QUJD');
    const meta = avatarMetadataPublish({ hash, bytes: 42, type: 'image/png' });
    assert.equal(meta.getChild('pubsub')?.getChild('publish')?.attrs.node, NODE_METADATA);
    assert.deepEqual(meta.getChild('pubsub')?.getChild('publish')?.getChild('item')?.getChild('metadata', NODE_METADATA)?.getChild('info')?.attrs, {
      id: hash,
      bytes: '42',
      type: 'image/png',
    });
    const none = avatarMetadataPublish(null).getChild('pubsub')?.getChild('publish')?.getChild('item')?.getChild('metadata', NODE_METADATA);
    assert.deepEqual(none?.getChildren('info'), []);
  });
});

test('removal purges a node as its owner', async () => {
  const { avatarPurge } = await import('../../electron/core/avatars/avatar-stanzas.js');
  const purge = avatarPurge(NODE_METADATA);
  assert.equal(purge.attrs.type, 'set');
  assert.equal(purge.getChild('pubsub', 'http://jabber.org/protocol/pubsub#owner')?.getChild('purge')?.attrs.node, NODE_METADATA);
});
