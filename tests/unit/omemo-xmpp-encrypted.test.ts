/**
 * The OMEMO `<encrypted>` element (electron/core/omemo/xmpp/encrypted.ts), both versions: messages
 * python-omemo sent through Prosody (tests/unit/samples/omemo), round trips, and hostile headers.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { buildEncrypted, buildOmemoMessage, keyFor, parseEncrypted, type OmemoEncrypted } from '../../electron/core/omemo/xmpp/encrypted.js';
import { MAX_MESSAGE_KEYS, NS_OMEMO_03, NS_OMEMO_2 } from '../../electron/core/omemo/xmpp/common.js';

const stanza = (name: string) => parse(readFileSync(new URL(`./samples/omemo/${name}`, import.meta.url), 'utf8').trim());
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const encryptedOf = (message: Element, ns: string) => message.getChild('encrypted', ns)!;

describe('parseEncrypted', () => {
  test('reads a 0.3 message python-omemo (oldmemo) sent: sid, one pre-key key, 12-byte IV, payload', () => {
    const message = stanza('message-old.xml');
    const text = message.toString();
    const r = parseEncrypted(encryptedOf(message, NS_OMEMO_03));
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    const m = r.value;
    assert.equal(m.version, 'oldmemo');
    assert.equal(m.sid, 941786041);
    assert.equal(m.keys.length, 1);
    assert.equal(m.keys[0]!.rid, 249660792);
    assert.equal(m.keys[0]!.keyExchange, true);
    assert.equal(m.keys[0]!.jid, undefined);
    assert.equal(b64(m.keys[0]!.data), /<key [^>]*>([^<]+)</.exec(text)![1]);
    assert.equal(m.iv?.length, 12);
    assert.equal(b64(m.payload!), /<payload>([^<]+)</.exec(text)![1]);
    assert.equal(keyFor(m, 'carol@klatsch.test', 249660792), m.keys[0]);
    assert.equal(keyFor(m, 'carol@klatsch.test', 1), undefined);
  });

  test('reads an omemo:2 message python-omemo (twomemo) sent: keys under the recipient JID, kex', () => {
    const message = stanza('message-two.xml');
    const r = parseEncrypted(encryptedOf(message, NS_OMEMO_2));
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    const m = r.value;
    assert.equal(m.version, 'twomemo');
    assert.equal(m.sid, 1624574005);
    assert.deepEqual(m.keys.map((k) => [k.jid, k.rid, k.keyExchange]), [['dave@klatsch.test', 768198993, true]]);
    assert.equal(m.iv, undefined);
    assert.ok(m.payload && m.payload.length > 0);
    // omemo:2 matches the key by JID and device id: the same id under another JID is not ours.
    assert.equal(keyFor(m, 'Dave@klatsch.test', 768198993), m.keys[0]);
    assert.equal(keyFor(m, 'eve@klatsch.test', 768198993), undefined);
  });

  test('what we build from the parsed messages is the element python-omemo sent', () => {
    for (const [name, ns] of [['message-old.xml', NS_OMEMO_03], ['message-two.xml', NS_OMEMO_2]] as const) {
      const original = encryptedOf(stanza(name), ns);
      const r = parseEncrypted(original);
      assert.ok(r.ok);
      assert.equal(buildEncrypted(r.value).toString(), original.toString());
    }
  });

  test('an empty message (no payload) is a message without payload', () => {
    const r = parseEncrypted(parse(`<encrypted xmlns='${NS_OMEMO_2}'><header sid='5'><keys jid='a@b.c'><key rid='6'>AAAA</key></keys></header></encrypted>`));
    assert.ok(r.ok);
    assert.equal(r.value.payload, undefined);
    assert.equal(r.value.keys[0]!.keyExchange, false);
  });

  test('prekey / kex: only true and 1 mean true', () => {
    for (const [value, expected] of [['true', true], ['1', true], ['false', false], ['0', false], ['yes', false]] as const) {
      const r = parseEncrypted(parse(`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6' prekey='${value}'>AAAA</key><iv>AAAAAAAAAAAAAAAA</iv></header></encrypted>`));
      assert.equal(r.ok && r.value.keys[0]!.keyExchange, expected, value);
    }
  });

  test('a header with 10,000 keys is refused with a clear error', () => {
    const keys = Array.from({ length: 10_000 }, (_, i) => `<key rid='${i + 1}'>AAAA</key>`).join('');
    const old = parseEncrypted(parse(`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'>${keys}<iv>AAAAAAAAAAAAAAAA</iv></header></encrypted>`));
    assert.equal(!old.ok && old.error.code, 'too-large');
    const two = parseEncrypted(parse(`<encrypted xmlns='${NS_OMEMO_2}'><header sid='5'><keys jid='a@b.c'>${keys}</keys></header></encrypted>`));
    assert.equal(!two.ok && two.error.code, 'too-large');
    assert.match(!two.ok ? two.error.message : '', new RegExp(`more than ${MAX_MESSAGE_KEYS} keys refused`));
  });

  test('hostile headers are refused with their reason', () => {
    const iv = '<iv>AAAAAAAAAAAAAAAA</iv>';
    const cases: [string, string][] = [
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='0'><key rid='6'>AAAA</key>${iv}</header></encrypted>`, 'bad-id'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='2147483648'><key rid='6'>AAAA</key>${iv}</header></encrypted>`, 'bad-id'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header><key rid='6'>AAAA</key>${iv}</header></encrypted>`, 'bad-id'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='x'>AAAA</key>${iv}</header></encrypted>`, 'bad-id'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'>AAAA</key></header></encrypted>`, 'missing'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'>AAAA</key><iv>AAAA</iv></header></encrypted>`, 'bad-base64'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'>${iv}</header></encrypted>`, 'empty'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'>!!!!</key>${iv}</header></encrypted>`, 'bad-base64'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'></key>${iv}</header></encrypted>`, 'bad-base64'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'>${'A'.repeat(8192)}</key>${iv}</header></encrypted>`, 'too-large'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'>AAAA</key>${iv}</header><payload>${'A'.repeat(300_000)}</payload></encrypted>`, 'too-large'],
      [`<encrypted xmlns='${NS_OMEMO_03}'><header sid='5'><key rid='6'>AAAA</key>${iv}</header><payload>AAAA</payload><payload>AAAA</payload></encrypted>`, 'missing'],
      [`<encrypted xmlns='${NS_OMEMO_03}'/>`, 'missing'],
      [`<encrypted xmlns='${NS_OMEMO_2}'><header sid='5'><keys><key rid='6'>AAAA</key></keys></header></encrypted>`, 'missing'],
      [`<encrypted xmlns='${NS_OMEMO_2}'><header sid='5'><keys jid='a@b.c/res'><key rid='6'>AAAA</key></keys></header></encrypted>`, 'missing'],
      [`<encrypted xmlns='${NS_OMEMO_2}'><header sid='5'><key rid='6'>AAAA</key></header></encrypted>`, 'empty'],
      [`<encrypted xmlns='urn:xmpp:omemo:1'><header sid='5'/></encrypted>`, 'wrong-element'],
      [`<encrypted><header sid='5'/></encrypted>`, 'wrong-element'],
    ];
    for (const [text, code] of cases) {
      const r = parseEncrypted(parse(text));
      assert.equal(!r.ok && r.error.code, code, text.slice(0, 140));
    }
  });
});

describe('buildEncrypted / buildOmemoMessage', () => {
  const keyData = Uint8Array.from([1, 2, 3]);
  test('omemo:2 groups keys by recipient JID and writes kex only when true', () => {
    const m: OmemoEncrypted = {
      version: 'twomemo',
      sid: 27183,
      keys: [
        { jid: 'juliet@capulet.lit', rid: 31415, keyExchange: true, data: keyData },
        { jid: 'romeo@montague.lit', rid: 1, keyExchange: false, data: keyData },
        { jid: 'Juliet@capulet.lit', rid: 12321, keyExchange: false, data: keyData },
      ],
      payload: Uint8Array.from([9]),
    };
    assert.equal(
      buildEncrypted(m).toString(),
      `<encrypted xmlns="${NS_OMEMO_2}"><header sid="27183"><keys jid="juliet@capulet.lit"><key rid="31415" kex="true">AQID</key><key rid="12321">AQID</key></keys><keys jid="romeo@montague.lit"><key rid="1">AQID</key></keys></header><payload>CQ==</payload></encrypted>`,
    );
  });

  test('0.3 writes prekey only when true and the IV after the keys', () => {
    const el = buildEncrypted({ version: 'oldmemo', sid: 5, keys: [{ rid: 6, keyExchange: false, data: keyData }], iv: new Uint8Array(12) });
    assert.equal(el.toString(), `<encrypted xmlns="${NS_OMEMO_03}"><header sid="5"><key rid="6">AQID</key><iv>AAAAAAAAAAAAAAAA</iv></header></encrypted>`);
  });

  test('refuses what must not go out', () => {
    assert.throws(() => buildEncrypted({ version: 'oldmemo', sid: 5, keys: [{ rid: 6, keyExchange: false, data: keyData }] }), /IV/);
    assert.throws(() => buildEncrypted({ version: 'twomemo', sid: 5, keys: [{ rid: 6, keyExchange: false, data: keyData }] }), /bare JID/);
    assert.throws(() => buildEncrypted({ version: 'twomemo', sid: 0, keys: [{ jid: 'a@b.c', rid: 6, keyExchange: false, data: keyData }] }), RangeError);
    assert.throws(() => buildEncrypted({ version: 'twomemo', sid: 5, keys: [] }), RangeError);
  });

  test('the message carries a store hint, the EME marker and only the fallback body given', () => {
    const enc = buildEncrypted({ version: 'twomemo', sid: 5, keys: [{ jid: 'a@b.c', rid: 6, keyExchange: false, data: keyData }] });
    const msg = buildOmemoMessage({ to: 'a@b.c', id: 'm1', encrypted: enc, fallbackBody: 'This message is OMEMO encrypted.' });
    assert.equal(msg.attrs.type, 'chat');
    assert.ok(msg.getChild('store', 'urn:xmpp:hints'));
    assert.equal(msg.getChild('encryption', 'urn:xmpp:eme:0')?.attrs.namespace, NS_OMEMO_2);
    assert.equal(msg.getChildText('body'), 'This message is OMEMO encrypted.');
    assert.equal(buildOmemoMessage({ to: 'a@b.c', id: 'm2', encrypted: enc }).getChild('body'), undefined);
  });
});
