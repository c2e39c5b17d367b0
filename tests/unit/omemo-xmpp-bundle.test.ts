/**
 * OMEMO bundles (electron/core/omemo/xmpp/bundle.ts), both versions: python-omemo's own bundles
 * (tests/unit/samples/omemo), round trips, and hostile bundles (oversized, malformed keys).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import parse from '@xmpp/xml/lib/parse.js';
import { buildBundle, parseBundle, type Bundle } from '../../electron/core/omemo/xmpp/bundle.js';
import { MAX_PREKEYS, NS_OMEMO_03, NS_OMEMO_2 } from '../../electron/core/omemo/xmpp/common.js';

const sampleText = (name: string) => readFileSync(new URL(`./samples/omemo/${name}`, import.meta.url), 'utf8').trim();
const b64 = (bytes: Uint8Array | number[]) => Buffer.from(bytes instanceof Uint8Array ? bytes : Uint8Array.from(bytes)).toString('base64');
const key33 = (fill: number) => Uint8Array.from([5, ...new Array<number>(32).fill(fill)]);
const key32 = (fill: number) => new Uint8Array(32).fill(fill);

function two(opts: { ik?: string; spk?: string; spks?: string; spkId?: string; pks?: string } = {}): string {
  return `<bundle xmlns='${NS_OMEMO_2}'><spk id='${opts.spkId ?? '1'}'>${opts.spk ?? b64(key32(1))}</spk><spks>${opts.spks ?? b64(new Uint8Array(64).fill(2))}</spks><ik>${opts.ik ?? b64(key32(3))}</ik><prekeys>${opts.pks ?? `<pk id='1'>${b64(key32(4))}</pk>`}</prekeys></bundle>`;
}

describe('parseBundle', () => {
  test('reads the 0.3 bundle python-omemo (oldmemo) publishes: 33-byte keys on the wire, 32 for the engine', () => {
    const text = sampleText('bundle-old.xml');
    const r = parseBundle(parse(text));
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    const b = r.value;
    const wire = (re: RegExp) => Buffer.from(re.exec(text)![1]!, 'base64');
    assert.equal(b.version, 'oldmemo');
    assert.equal(b.identityKey.length, 32);
    assert.deepEqual(Buffer.from(b.identityKey), wire(/<identityKey>([^<]+)</).subarray(1));
    assert.equal(wire(/<identityKey>([^<]+)</)[0], 5);
    assert.equal(b.signedPreKeyId, 1);
    assert.deepEqual(Buffer.from(b.signedPreKey), wire(/<signedPreKeyPublic[^>]*>([^<]+)</).subarray(1));
    assert.equal(b.signedPreKeySignature.length, 64);
    assert.deepEqual(b.preKeys.map((p) => p.id), [1, 2, 3]);
    assert.deepEqual(Buffer.from(b.preKeys[2]!.key), wire(/<preKeyPublic preKeyId="3">([^<]+)</).subarray(1));
  });

  test('reads the omemo:2 bundle python-omemo (twomemo) publishes: 32-byte keys', () => {
    const text = sampleText('bundle-two.xml');
    const r = parseBundle(parse(text));
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    assert.equal(r.value.version, 'twomemo');
    assert.equal(b64(r.value.identityKey), /<ik>([^<]+)</.exec(text)![1]);
    assert.equal(r.value.identityKey.length, 32);
    assert.deepEqual(r.value.preKeys.map((p) => p.id), [1, 2, 3]);
  });

  test('what we build is what python-omemo publishes, byte for byte after parsing', () => {
    for (const name of ['bundle-old.xml', 'bundle-two.xml']) {
      const text = sampleText(name);
      const r = parseBundle(parse(text));
      assert.ok(r.ok);
      assert.equal(buildBundle(r.value).toString(), parse(text).toString());
    }
  });

  test('a bundle with 10,000 pre-keys is refused with a clear error', () => {
    const pks = Array.from({ length: 10_000 }, (_, i) => `<pk id='${i + 1}'>${b64(key32(4))}</pk>`).join('');
    const r = parseBundle(parse(two({ pks })));
    assert.equal(!r.ok && r.error.code, 'too-large');
    assert.match(!r.ok ? r.error.message : '', /10000 pre-keys refused \(at most 500\)/);
    const limit = Array.from({ length: MAX_PREKEYS }, (_, i) => `<pk id='${i + 1}'>${b64(key32(4))}</pk>`).join('');
    assert.equal(parseBundle(parse(two({ pks: limit }))).ok, true);
  });

  test('an oversized key text is refused as too large, not decoded', () => {
    const r = parseBundle(parse(two({ ik: 'A'.repeat(1_000_000) })));
    assert.equal(!r.ok && r.error.code, 'too-large');
    assert.match(!r.ok ? r.error.message : '', /identity key of 1000000 characters refused/);
  });

  test('keys of the wrong length or form, or not base64, are refused', () => {
    const cases: [string, string][] = [
      [two({ ik: b64(key33(3)) }), 'omemo:2 identity key with a 0x05 prefix'],
      [two({ ik: b64(new Uint8Array(31)) }), '31 bytes'],
      [two({ spk: 'not base64!' }), 'not base64'],
      [two({ spk: `${b64(key32(1)).slice(0, 42)}B=` }), 'non-zero bits in the padding'],
      [two({ spk: b64(key32(1)).replace(/=$/, '') }), 'padding missing'],
      [two({ spks: b64(new Uint8Array(63)) }), 'short signature'],
      [two({ pks: `<pk id='1'>${b64(new Uint8Array(33))}</pk>` }), 'pre-key of 33 bytes'],
      [
        `<bundle xmlns='${NS_OMEMO_03}'><signedPreKeyPublic signedPreKeyId='1'>${b64(key32(1))}</signedPreKeyPublic><signedPreKeySignature>${b64(new Uint8Array(64))}</signedPreKeySignature><identityKey>${b64(key33(1))}</identityKey><prekeys><preKeyPublic preKeyId='1'>${b64(key33(1))}</preKeyPublic></prekeys></bundle>`,
        '0.3 signed pre-key without the 0x05 prefix',
      ],
    ];
    for (const [text, why] of cases) {
      const r = parseBundle(parse(text));
      assert.equal(!r.ok && r.error.code, 'bad-base64', why);
    }
  });

  test('bad ids, missing parts, repeated parts and no pre-keys are refused', () => {
    const cases: [string, string][] = [
      [two({ spkId: '-1' }), 'bad-id'],
      [two({ spkId: '4294967296' }), 'bad-id'],
      [two({ pks: `<pk>${b64(key32(4))}</pk>` }), 'bad-id'],
      [two({ pks: '' }), 'empty'],
      [`<bundle xmlns='${NS_OMEMO_2}'><spk id='1'>${b64(key32(1))}</spk><ik>${b64(key32(1))}</ik><prekeys/></bundle>`, 'missing'],
      [two().replace('<ik>', `<ik>${b64(key32(9))}</ik><ik>`), 'missing'],
      [`<bundle xmlns='urn:other'/>`, 'wrong-element'],
      [`<list xmlns='${NS_OMEMO_03}'/>`, 'wrong-element'],
    ];
    for (const [text, code] of cases) {
      const r = parseBundle(parse(text));
      assert.equal(!r.ok && r.error.code, code, text.slice(0, 120));
    }
  });

  test('a repeated pre-key id counts once (the first)', () => {
    const r = parseBundle(parse(two({ pks: `<pk id='7'>${b64(key32(4))}</pk><pk id='7'>${b64(key32(5))}</pk>` })));
    assert.ok(r.ok);
    assert.deepEqual(r.value.preKeys, [{ id: 7, key: key32(4) }]);
  });

  test('base64 wrapped over lines (as some clients write it) is read', () => {
    const wrapped = b64(key32(3)).replace(/(.{20})/g, '$1\n  ');
    const r = parseBundle(parse(two({ ik: wrapped })));
    assert.ok(r.ok);
    assert.deepEqual(r.value.identityKey, key32(3));
  });
});

describe('buildBundle', () => {
  const good: Bundle = {
    version: 'twomemo',
    identityKey: key32(1),
    signedPreKeyId: 3,
    signedPreKey: key32(2),
    signedPreKeySignature: new Uint8Array(64).fill(9),
    preKeys: [{ id: 1, key: key32(4) }],
  };

  test('refuses keys that are not 32 bytes and empty or oversized pre-key lists', () => {
    assert.throws(() => buildBundle({ ...good, identityKey: key33(1) }), /identity key must be 32 bytes/);
    assert.throws(() => buildBundle({ ...good, version: 'oldmemo', signedPreKey: new Uint8Array(31) }), RangeError);
    assert.throws(() => buildBundle({ ...good, signedPreKeySignature: new Uint8Array(10) }), RangeError);
    assert.throws(() => buildBundle({ ...good, preKeys: [] }), RangeError);
    assert.throws(() => buildBundle({ ...good, signedPreKeyId: -1 }), RangeError);
  });

  test('0.3 keys get the 0x05 type byte on the wire', () => {
    const text = buildBundle({ ...good, version: 'oldmemo' }).toString();
    assert.match(text, new RegExp(`<identityKey>${b64(key33(1)).replace(/[+/]/g, '\\$&')}</identityKey>`));
    assert.match(text, /<signedPreKeyPublic signedPreKeyId="3">/);
  });

  test('round trip, both versions', () => {
    for (const version of ['oldmemo', 'twomemo'] as const) {
      const r = parseBundle(parse(buildBundle({ ...good, version }).toString()));
      assert.deepEqual(r.ok && r.value, { ...good, version });
    }
  });
});
