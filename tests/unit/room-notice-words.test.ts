/**
 * A group chat's notices in the user's language (RoomMessages words them with noticeText): the OMEMO notices
 * by their kind, a room's problem by its reason; the core's English only for a notice without a kind.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { noticeText } from '../../renderer/i18n/notices.js';

const de = catalogFor('de');
const en = catalogFor('en');

describe('group chat notices are worded by kind', () => {
  test('OMEMO notices: a member’s waiting device (naming the member), the room turning encrypted or not', () => {
    const held = { body: 'Not encrypted for a new device of vera@example.com: its key waits for your decision (open the keys to verify or accept it).', notice: { kind: 'room-device-held', detail: 'vera@example.com' } };
    assert.equal(noticeText(en, held, ''), held.body);
    assert.match(noticeText(de, held, ''), /^Nicht verschlüsselt für ein neues Gerät von vera@example\.com: /);
    const off = { body: 'This group chat is no longer end-to-end encrypted: its settings changed, and the server and every occupant can read what is written here now.', notice: { kind: 'room-e2ee-off' } };
    assert.equal(noticeText(en, off, ''), off.body);
    assert.match(noticeText(de, off, ''), /nicht mehr Ende-zu-Ende-verschlüsselt/);
    const on = { body: 'This group chat is end-to-end encrypted now: its settings changed to members only, with every member’s address shown.', notice: { kind: 'room-e2ee-on' } };
    assert.equal(noticeText(en, on, ''), on.body);
    assert.match(noticeText(de, on, ''), /ist jetzt Ende-zu-Ende-verschlüsselt/);
  });

  test('a notice without a kind (older history) shows the core’s English', () => {
    assert.equal(noticeText(de, { body: 'Something the core said.' }, ''), 'Something the core said.');
  });
});
