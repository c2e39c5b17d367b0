/**
 * OTR wire data types (Protocol-v3 "Data types") and the message header:
 * round trips, exact encodings, bounds and truncation (always OtrParseError).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  OtrParseError,
  Reader,
  Writer,
  bigintToBytes,
  bytesToBigint,
  checkInstanceTags,
  readHeader,
  writeHeader,
  type OtrHeader,
} from '../../electron/core/otr/wire.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function sample(): Uint8Array {
  return new Writer()
    .byte(0xab)
    .short(0xbeef)
    .int(0xdeadbeef)
    .mpi(0x0100n)
    .mpi(0n)
    .data(unhex('cafe'))
    .data(new Uint8Array(0))
    .raw(unhex('0102030405060708'))
    .bytes();
}

describe('Writer and Reader', () => {
  test('exact encodings of BYTE, SHORT, INT, MPI (minimal), DATA, raw', () => {
    assert.equal(
      hex(sample()),
      'ab' + 'beef' + 'deadbeef' + '00000002' + '0100' + '00000000' + '00000002cafe' + '00000000' + '0102030405060708',
    );
  });

  test('round trip', () => {
    const r = new Reader(sample());
    assert.equal(r.byte(), 0xab);
    assert.equal(r.short(), 0xbeef);
    assert.equal(r.int(), 0xdeadbeef);
    assert.equal(r.mpi(), 0x100n);
    assert.equal(r.mpi(), 0n);
    assert.deepEqual(r.data(), unhex('cafe'));
    assert.deepEqual(r.data(), new Uint8Array(0));
    assert.equal(r.remaining, 8);
    assert.deepEqual(r.fixed(3), unhex('010203'));
    assert.deepEqual(r.rest(), unhex('0405060708'));
    assert.equal(r.remaining, 0);
    r.end();
  });

  test('INT is unsigned up to 0xffffffff', () => {
    const r = new Reader(new Writer().int(0xffffffff).int(0x80000000).bytes());
    assert.equal(r.int(), 0xffffffff);
    assert.equal(r.int(), 0x80000000);
  });

  test('large MPIs round trip with minimal length', () => {
    for (const n of [1n, 0xffn, 0x1_0000n, (1n << 1535n) + 12345n, (1n << 8191n) - 1n]) {
      const bytes = new Writer().mpi(n).bytes();
      const len = new Reader(bytes).int();
      assert.equal(len, bigintToBytes(n).length);
      assert.notEqual(bytes[4], 0);
      assert.equal(new Reader(bytes).mpi(), n);
    }
  });

  test('non-minimal MPIs are accepted on input (as libotr does)', () => {
    assert.equal(new Reader(unhex('00000003 000102')).mpi(), 0x102n);
  });

  test('every truncation throws OtrParseError, never RangeError', () => {
    const full = sample();
    for (let cut = 0; cut < full.length; cut++) {
      const r = new Reader(full.subarray(0, cut));
      assert.throws(() => {
        r.byte();
        r.short();
        r.int();
        r.mpi();
        r.mpi();
        r.data();
        r.data();
        r.fixed(8);
      }, OtrParseError, `cut at ${cut}`);
    }
  });

  test('length fields are bounded', () => {
    assert.throws(() => new Reader(unhex('ffffffff')).data(), OtrParseError);
    assert.throws(() => new Reader(unhex('ffffffff')).mpi(), OtrParseError);
    assert.throws(() => new Reader(unhex('00000801')).mpi(), OtrParseError); // 2049 > 2048
    assert.throws(() => new Reader(unhex('00100001')).data(), OtrParseError); // 1 MiB + 1
    assert.throws(() => new Reader(unhex('00000003 010203')).data(2), OtrParseError);
    assert.throws(() => new Reader(unhex('00000003 010203')).mpi(2), OtrParseError);
    assert.throws(() => new Reader(unhex('0102')).fixed(3), OtrParseError);
    assert.throws(() => new Reader(unhex('0102')).fixed(-1), OtrParseError);
  });

  test('end() rejects trailing bytes', () => {
    const r = new Reader(unhex('0001'));
    r.byte();
    assert.throws(() => r.end(), OtrParseError);
  });

  test('Writer rejects out-of-range values', () => {
    assert.throws(() => new Writer().byte(256), RangeError);
    assert.throws(() => new Writer().short(-1), RangeError);
    assert.throws(() => new Writer().int(2 ** 32), RangeError);
    assert.throws(() => new Writer().int(1.5), RangeError);
    assert.throws(() => new Writer().mpi(-1n), RangeError);
  });

  test('data() and fixed() return copies', () => {
    const src = unhex('00000002 aabb');
    const d = new Reader(src).data();
    src[4] = 0;
    assert.deepEqual(d, unhex('aabb'));
  });
});

describe('bigint conversions', () => {
  test('minimal big-endian, 0n is empty', () => {
    assert.deepEqual(bigintToBytes(0n), new Uint8Array(0));
    assert.equal(hex(bigintToBytes(1n)), '01');
    assert.equal(hex(bigintToBytes(0x1234567n)), '01234567');
    assert.equal(bytesToBigint(new Uint8Array(0)), 0n);
    assert.equal(bytesToBigint(unhex('0000ff')), 255n);
    assert.equal(bytesToBigint(unhex('01234567').subarray(1)), 0x234567n);
  });
});

describe('message header', () => {
  test('v3 header round trip and exact bytes', () => {
    const h: OtrHeader = { version: 3, type: 0x02, senderInstance: 0x12345678, receiverInstance: 0 };
    const bytes = writeHeader(new Writer(), h).bytes();
    assert.equal(hex(bytes), '0003' + '02' + '12345678' + '00000000');
    assert.deepEqual(readHeader(new Reader(bytes)), h);
  });

  test('v2 header has no instance tags', () => {
    const bytes = writeHeader(new Writer(), { version: 2, type: 0x0a, senderInstance: 0x999, receiverInstance: 0x999 }).bytes();
    assert.equal(hex(bytes), '00020a');
    assert.deepEqual(readHeader(new Reader(bytes)), { version: 2, type: 0x0a, senderInstance: 0, receiverInstance: 0 });
  });

  test('decodes the header of the Data Message example in the spec ("Fragmentation")', () => {
    const bytes = new Uint8Array(Buffer.from('AAMDJ+MVmSfjFZcAAAAAAQAAAAIAAADA', 'base64'));
    const r = new Reader(bytes);
    assert.deepEqual(readHeader(r), { version: 3, type: 0x03, senderInstance: 0x27e31599, receiverInstance: 0x27e31597 });
    assert.equal(r.byte(), 0); // flags
    assert.equal(r.int(), 1); // sender keyid
    assert.equal(r.int(), 2); // recipient keyid
  });

  test('unsupported versions and truncated headers are OtrParseError', () => {
    assert.throws(() => readHeader(new Reader(unhex('000102'))), OtrParseError);
    assert.throws(() => readHeader(new Reader(unhex('000402'))), OtrParseError);
    assert.throws(() => readHeader(new Reader(unhex('000302 000001'))), OtrParseError);
    assert.throws(() => readHeader(new Reader(unhex('0002'))), OtrParseError);
  });

  test('instance tag checks ("Instance Tags")', () => {
    const ours = 0x1000;
    const h = (s: number, r: number): OtrHeader => ({ version: 3, type: 2, senderInstance: s, receiverInstance: r });
    assert.equal(checkInstanceTags(h(0x100, ours), ours, false), undefined);
    assert.equal(checkInstanceTags(h(0x100, 0), ours, true), undefined);
    assert.match(checkInstanceTags(h(0x100, 0), ours, false) ?? '', /receiver/);
    assert.match(checkInstanceTags(h(0xff, ours), ours, false) ?? '', /sender/);
    assert.match(checkInstanceTags(h(0x100, 0x2000), ours, true) ?? '', /another instance/);
    assert.match(checkInstanceTags(h(0x100, 0x50), ours, true) ?? '', /another instance/);
    assert.equal(checkInstanceTags({ version: 2, type: 2, senderInstance: 0, receiverInstance: 0 }, ours, false), undefined);
  });
});
