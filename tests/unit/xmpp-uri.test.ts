/** `xmpp:` links (RFC 5122): what the UI is asked to offer, and what is refused. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseXmppUri, xmppUriFromArgv } from '../../electron/core/links/xmpp-uri.js';

test('a plain address opens the chat', () => {
  assert.deepEqual(parseXmppUri('xmpp:Bob@Example.com'), { action: 'chat', jid: 'bob@example.com' });
  assert.deepEqual(parseXmppUri('XMPP:bob@example.com#frag'), { action: 'chat', jid: 'bob@example.com' });
});

test('message with a body pre-fills the text; percent-encoding is decoded (RFC 5122 §2.7)', () => {
  assert.deepEqual(parseXmppUri('xmpp:bob@example.com?message;body=Hello%20there%3B%20ok'), { action: 'chat', jid: 'bob@example.com', body: 'Hello there; ok' });
  assert.deepEqual(parseXmppUri('xmpp:%C3%A9lise@example.com'), { action: 'chat', jid: 'élise@example.com' });
});

test('subscribe and roster ask before adding a contact', () => {
  assert.equal(parseXmppUri('xmpp:bob@example.com?subscribe')?.action, 'add-contact');
  assert.equal(parseXmppUri('xmpp:bob@example.com?roster;name=Bob;group=Friends')?.action, 'add-contact');
  assert.equal(parseXmppUri('xmpp:bob@example.com?subscribe;body=x')?.body, undefined, 'a body only for chats');
});

test('otr-fingerprint pre-fills a well-formed fingerprint, and only that', () => {
  const fp = 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678';
  assert.deepEqual(parseXmppUri(`xmpp:bob@example.com?otr-fingerprint=${fp}`), {
    action: 'chat',
    jid: 'bob@example.com',
    otrFingerprint: 'A1B2C3D4 E5F60718 293A4B5C 6D7E8F90 12345678',
  });
  assert.equal(parseXmppUri('xmpp:bob@example.com?subscribe;otr-fingerprint=A1B2C3D4%20E5F60718%20293A4B5C%206D7E8F90%2012345678')?.otrFingerprint, 'A1B2C3D4 E5F60718 293A4B5C 6D7E8F90 12345678');
  assert.equal(parseXmppUri('xmpp:bob@example.com?otr-fingerprint=XYZ')?.otrFingerprint, undefined);
  assert.equal(parseXmppUri(`xmpp:bob@example.com?otr-fingerprint=${fp}00`)?.otrFingerprint, undefined);
});

test('the authority form names our account, not the contact', () => {
  assert.equal(parseXmppUri('xmpp://me@example.com/bob@example.com?message')?.jid, 'bob@example.com');
  assert.equal(parseXmppUri('xmpp://me@example.com'), undefined);
});

test('anything that is not a bare address is refused', () => {
  for (const bad of [
    'https://example.com',
    'xmpp:',
    'xmpp:example.com',
    'xmpp:@example.com',
    'xmpp:a@b@example.com',
    'xmpp:bob@example.com/resource',
    'xmpp:bob%20x@example.com',
    'xmpp:bob@exa%0Ample.com',
    'xmpp:bob@example..com',
    'xmpp:bob@exam%3Fple.com',
    'xmpp:bob@exam%23ple.com',
    'xmpp:bob@exam%7Fple.com',
    'xmpp:bob@example.com?message;body=%E0%A4%A',
    'xmpp:%ZZ@example.com',
    `xmpp:${'a'.repeat(9000)}@example.com`,
  ]) {
    assert.equal(parseXmppUri(bad), undefined, bad);
  }
});

test('the link is found among command-line arguments', () => {
  assert.equal(xmppUriFromArgv(['/opt/Klatsch/klatsch', '--no-sandbox', 'xmpp:bob@example.com']), 'xmpp:bob@example.com');
  assert.equal(xmppUriFromArgv(['/opt/Klatsch/klatsch']), undefined);
});

test("Conversations' omemo-sid-<device id>=<fingerprint>: every device by its id and key; malformed pairs left out", () => {
  const a = 'a'.repeat(64);
  const b = '0123456789abcdef'.repeat(4);
  const link = parseXmppUri(`xmpp:bob@example.com?omemo-sid-1234=${a};omemo-sid-99=05${b.toUpperCase()}`);
  assert.deepEqual(link, {
    action: 'chat',
    jid: 'bob@example.com',
    omemoDevices: [
      { deviceId: 1234, fingerprint: 'aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa aaaaaaaa' },
      { deviceId: 99, fingerprint: '01234567 89abcdef 01234567 89abcdef 01234567 89abcdef 01234567 89abcdef' },
    ],
  }, "a leading 05 (the key's type, as Conversations writes it) is dropped");
  assert.deepEqual(parseXmppUri(`xmpp:bob@example.com?omemo-sid-7=${a}&omemo-sid-8=${b}`)?.omemoDevices?.map((d) => d.deviceId), [7, 8], '& as the separator too');
  assert.equal(parseXmppUri(`xmpp:bob@example.com?omemo-sid-0=${a}`)?.omemoDevices, undefined, 'device id 0 is no device');
  assert.equal(parseXmppUri(`xmpp:bob@example.com?omemo-sid-4294967296=${a}`)?.omemoDevices, undefined, 'beyond 2^31-1');
  assert.equal(parseXmppUri(`xmpp:bob@example.com?omemo-sid-5=${a.slice(1)}`)?.omemoDevices, undefined, '63 hex digits');
  assert.equal(parseXmppUri(`xmpp:bob@example.com?omemo-sid-x=${a}`)?.omemoDevices, undefined);
  assert.equal(parseXmppUri(`xmpp:bob@example.com?omemo-sid-5=${'g'.repeat(64)}`)?.omemoDevices, undefined, 'not hex');
});
