/**
 * One derivation of a contact's trust and presence for every view (renderer/store/contactTrust.ts:
 * the chat header, the roster, the banners under the header and the authenticate dialog read it):
 * after a key change, and after accepting the new key, no banner says "verified" while the header
 * says otherwise; while our own connection is down, contacts' presence is unknown, not offline.
 * (The rendered views are checked in a real browser: e2e/authenticate.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Contact, E2eeView, Privacy } from '../../shared/contract';
import { contactTrust, shownPresence } from '../../renderer/store/contactTrust';
import { catalogFor } from '../../shared/i18n/catalog';

const NEW_KEY = 'AAAAAAAA BBBBBBBB CCCCCCCC DDDDDDDD EEEEEEEE';

function bob(extra: Partial<Contact>): Contact {
  return { jid: 'bob@example.test', name: 'Bob', subscription: 'both', groups: [], presence: { show: 'online', status: '' }, unread: 0, ...extra };
}

/** Bob's conversation as the core reports it (Contact.e2ee): OTR, private or verified, and what else the core says. */
function otr(privacy: Exclude<Privacy, 'plaintext' | 'finished'>, extra: Partial<E2eeView> = {}): Pick<Contact, 'e2ee'> {
  return { e2ee: { scheme: 'otr', state: 'private', verified: privacy === 'private-verified', ...extra } };
}

const verifiedResult = { phase: 'succeeded' as const, weStarted: true, weVerifiedThem: true, question: 'Wo?' };

test('while verified, header and the "is verified" result agree', () => {
  assert.deepEqual(contactTrust(bob(otr('private-verified', { auth: verifiedResult }))), {
    privacy: 'private-verified',
    verified: true,
    isPrivate: true,
    keyWarning: undefined,
    smp: verifiedResult,
    scheme: 'otr',
    fingerprint: undefined,
    schemeName: 'OTR',
    unavailable: undefined,
  });
});

test('after a key change: the warning, no "is verified" result beside it, and not verified', () => {
  const keyWarning = { fingerprint: NEW_KEY, changedFromVerified: true };
  const trust = contactTrust(bob(otr('private', { keyWarning, auth: verifiedResult })));
  assert.deepEqual(trust, { privacy: 'private', verified: false, isPrivate: true, keyWarning, smp: undefined, scheme: 'otr', fingerprint: undefined, schemeName: 'OTR', unavailable: undefined });
});

test('after accepting the new key: still no "is verified" result, as the header says', () => {
  const trust = contactTrust(bob(otr('private', { auth: verifiedResult })));
  assert.equal(trust.smp, undefined);
  assert.equal(trust.verified, false);
  assert.equal(trust.privacy, 'private');
});

test('a new key that waits is never shown verified, whatever the core reports', () => {
  const trust = contactTrust(bob(otr('private-verified', { keyWarning: { fingerprint: NEW_KEY, changedFromVerified: false } })));
  assert.equal(trust.privacy, 'private');
  assert.equal(trust.verified, false);
  assert.equal(trust.isPrivate, true);
});

test('other authentication banners stay (a request to answer, a failure, "they verified you")', () => {
  for (const smp of [
    { phase: 'asked' as const, id: 'request-1', question: 'Wo?' },
    { phase: 'failed' as const, weStarted: true },
    { phase: 'succeeded' as const, weStarted: false, weVerifiedThem: false },
  ]) {
    assert.deepEqual(contactTrust(bob(otr('private', { auth: smp }))).smp, smp);
  }
  assert.deepEqual(contactTrust(bob({})), {
    privacy: 'plaintext',
    verified: false,
    isPrivate: false,
    keyWarning: undefined,
    smp: undefined,
    scheme: undefined,
    fingerprint: undefined,
    schemeName: undefined,
    unavailable: undefined,
  });
});

test('another scheme reads the same: its state and its key, and "finished" when it ended by itself', () => {
  const omemo = contactTrust(bob({ e2ee: { scheme: 'omemo', state: 'private', verified: true, fingerprint: NEW_KEY } }));
  assert.deepEqual([omemo.privacy, omemo.verified, omemo.scheme, omemo.fingerprint], ['private-verified', true, 'omemo', NEW_KEY]);
  assert.equal(contactTrust(bob({ e2ee: { scheme: 'omemo', state: 'finished', verified: false } })).privacy, 'finished');
  assert.equal(contactTrust(bob({ e2ee: { scheme: 'otr', state: 'plaintext', verified: false, auth: { phase: 'error' } } })).privacy, 'plaintext');
});

test('while we are offline, a contact’s presence is unknown, not offline, and says so in both languages', () => {
  assert.equal(shownPresence('offline', false), 'unknown');
  assert.equal(shownPresence('online', false), 'unknown');
  assert.equal(shownPresence('offline', true), 'offline');
  assert.equal(shownPresence('away', true), 'away');
  assert.equal(catalogFor('de').presence[shownPresence('offline', false)], 'Unbekannt');
  assert.equal(catalogFor('en').presence[shownPresence('offline', false)], 'Unknown');
});

test('the header names the scheme that protects the chat, verified or not, from the same derivation', () => {
  const omemo = (verified: boolean, extra: Partial<E2eeView> = {}): Pick<Contact, 'e2ee'> => ({ e2ee: { scheme: 'omemo', state: 'private', verified, ...extra } });
  assert.deepEqual(pick(contactTrust(bob(omemo(true)))), { schemeName: 'OMEMO', privacy: 'private-verified' });
  assert.deepEqual(pick(contactTrust(bob(omemo(false)))), { schemeName: 'OMEMO', privacy: 'private' });
  // A held new device: never shown verified, still OMEMO.
  assert.deepEqual(pick(contactTrust(bob(omemo(true, { keyWarning: { fingerprint: NEW_KEY, changedFromVerified: true } })))), { schemeName: 'OMEMO', privacy: 'private' });
  assert.deepEqual(pick(contactTrust(bob(otr('private-verified')))), { schemeName: 'OTR', privacy: 'private-verified' });
  // Plaintext: no scheme protects the chat, whatever the core names.
  assert.deepEqual(pick(contactTrust(bob({ e2ee: { scheme: 'otr', state: 'plaintext', verified: false } }))), { schemeName: undefined, privacy: 'plaintext' });
});

function pick(trust: ReturnType<typeof contactTrust>) {
  return { schemeName: trust.schemeName, privacy: trust.privacy };
}


test('a chat set to OMEMO for a contact without OMEMO devices: "cannot send", never "not private", in header and roster alike', () => {
  const contact = bob({ e2eeScheme: 'omemo', e2ee: { scheme: 'omemo', state: 'plaintext', verified: false, unavailable: 'no-devices' } });
  const trust = contactTrust(contact);
  assert.equal(trust.privacy, 'unavailable');
  assert.equal(trust.isPrivate, false);
  assert.equal(trust.schemeName, 'OMEMO');
  for (const lang of ['en', 'de'] as const) {
    const texts = catalogFor(lang);
    assert.notEqual(texts.privacy.label[trust.privacy], texts.privacy.label.plaintext);
    assert.match(texts.privacy.noDevices('OMEMO'), /OTR/, 'says what the user can do');
    assert.match(texts.contacts.noDevices('OMEMO'), /OMEMO/);
  }
});

test('an OMEMO chat whose contact’s devices are gone: "cannot send", still OMEMO, and the header says what happened and what to do', () => {
  const contact = bob({ e2ee: { scheme: 'omemo', state: 'finished', verified: false, unavailable: 'devices-gone' } });
  const trust = contactTrust(contact);
  assert.equal(trust.privacy, 'unavailable');
  assert.equal(trust.isPrivate, false);
  assert.equal(trust.schemeName, 'OMEMO');
  assert.equal(trust.unavailable, 'devices-gone');
  for (const lang of ['en', 'de'] as const) {
    const texts = catalogFor(lang);
    assert.notEqual(texts.privacy.devicesGone('OMEMO'), texts.privacy.noDevices('OMEMO'), 'not "set to OMEMO": it was encrypted with it');
    assert.match(texts.privacy.devicesGone('OMEMO'), /OMEMO/);
  }
});

test('our own OMEMO keys unreadable: "cannot send", and header and roster say it is our keys, not the contact’s devices', () => {
  const trust = contactTrust(bob({ e2ee: { scheme: 'omemo', state: 'finished', verified: false, unavailable: 'keys-unreadable' } }));
  assert.equal(trust.privacy, 'unavailable');
  assert.equal(trust.unavailable, 'keys-unreadable');
  for (const lang of ['en', 'de'] as const) {
    const texts = catalogFor(lang);
    assert.notEqual(texts.contacts.keysUnreadable('OMEMO'), texts.contacts.noDevices('OMEMO'));
    assert.notEqual(texts.privacy.keysUnreadable('OMEMO'), texts.privacy.noDevices('OMEMO'));
  }
});
