/**
 * The value types of electron/core/values: one JID parser, one normal form
 * per fingerprint kind, each with the failure behaviour its callers rely on.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bareJid, fullJid, JidError, requireBareJid } from '../../electron/core/values/jid.js';
import {
  FingerprintError,
  humanFingerprint,
  parseOtrFingerprint,
  sameOtrFingerprint,
  toCertFingerprint,
  toOtrFingerprint,
} from '../../electron/core/values/fingerprint.js';

describe('JIDs', () => {
  test('bareJid: canonical lowercase bare form from protocol input, undefined for anything else', () => {
    assert.equal(bareJid('Alice@Example.COM/Pidgin'), 'alice@example.com');
    assert.equal(bareJid('example.com'), 'example.com');
    for (const bad of [undefined, '', '@example.com', 'a b@example.com', 'alice@', 'alice@exa..mple', 'a<b@example.com', ' alice@example.com']) {
      assert.equal(bareJid(bad), undefined, JSON.stringify(bad));
    }
  });

  test('fullJid keeps the resource and needs one', () => {
    assert.equal(fullJid('Alice@Example.com/Phone 2'), 'alice@example.com/Phone 2');
    assert.equal(fullJid('alice@example.com'), undefined);
    assert.equal(fullJid('alice@example.com/'), undefined);
    assert.equal(fullJid('alice@example.com/a\u0000b'), undefined);
    assert.equal(fullJid('a b@example.com/x'), undefined);
  });

  test('requireBareJid trims, drops the resource, and throws a JidError (a TypeError) for a non-JID', () => {
    assert.equal(requireBareJid(' Alice@Example.COM/Pidgin '), 'alice@example.com');
    assert.throws(() => requireBareJid('bob @x'), (e: unknown) => e instanceof JidError && e instanceof TypeError && e.code === 'invalid-jid');
    assert.throws(() => requireBareJid(''), JidError);
  });
});

describe('fingerprints', () => {
  const hex = '0123abcd'.repeat(5);

  test('OTR: 40 lowercase hex digits from any spacing, colons and case', () => {
    assert.equal(parseOtrFingerprint('0123ABCD 0123ABCD 0123ABCD 0123ABCD 0123ABCD'), hex);
    assert.equal(parseOtrFingerprint('01:23:AB:CD:'.repeat(5).slice(0, -1)), hex);
    assert.equal(parseOtrFingerprint('abc'), undefined);
    assert.equal(parseOtrFingerprint('g'.repeat(40)), undefined);
    assert.equal(toOtrFingerprint(hex.toUpperCase()), hex);
    assert.throws(() => toOtrFingerprint('abc'), (e: unknown) => e instanceof FingerprintError && e instanceof TypeError);
  });

  test('OTR: libotr display form, and comparison by key, never equal for non-fingerprints', () => {
    assert.equal(humanFingerprint(hex), '0123ABCD 0123ABCD 0123ABCD 0123ABCD 0123ABCD');
    assert.equal(sameOtrFingerprint(hex, '0123ABCD 0123ABCD 0123ABCD 0123ABCD 0123ABCD'), true);
    assert.equal(sameOtrFingerprint(hex, 'f'.repeat(40)), false);
    assert.equal(sameOtrFingerprint('abc', 'abc'), false);
  });

  test('certificate: uppercase hex pairs joined by colons, whatever the input spelling', () => {
    const canonical = Array(32).fill('AB').join(':');
    assert.equal(toCertFingerprint('ab'.repeat(32)), canonical);
    assert.equal(toCertFingerprint(canonical.toLowerCase().replace(/:/g, ' ')), canonical);
  });
});
