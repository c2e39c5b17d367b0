/**
 * TLV records after the NUL of a data message (Protocol-v3 "Data Message").
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_TLV_RECORDS,
  TLV_DISCONNECTED,
  TLV_PADDING,
  TLV_SMP1Q,
  TLV_SYMMETRIC_KEY,
  decodeTlvs,
  encodeTlvs,
  isSmpTlv,
} from '../../electron/core/otr/tlv.js';

const hello = new TextEncoder().encode('hello');

describe('TLV records', () => {
  test('the spec examples', () => {
    assert.deepEqual([...encodeTlvs([{ type: TLV_DISCONNECTED, value: new Uint8Array(0) }])], [0, 1, 0, 0]);
    assert.deepEqual([...encodeTlvs([{ type: TLV_PADDING, value: hello }])], [0, 0, 0, 5, 0x68, 0x65, 0x6c, 0x6c, 0x6f]);
    assert.deepEqual(decodeTlvs(Uint8Array.of(0, 0, 0, 5, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0, 1, 0, 0)), {
      tlvs: [
        { type: 0, value: hello },
        { type: 1, value: new Uint8Array(0) },
      ],
      ignoredBytes: 0,
    });
  });

  test('round trip of several records, unknown types kept', () => {
    const records = [
      { type: TLV_SMP1Q, value: Uint8Array.of(1, 2, 3) },
      { type: 0x1234, value: new Uint8Array(300).fill(9) },
      { type: TLV_SYMMETRIC_KEY, value: Uint8Array.of(0, 0, 0, 1) },
      { type: 0xffff, value: new Uint8Array(0) },
    ];
    assert.deepEqual(decodeTlvs(encodeTlvs(records)).tlvs, records);
  });

  test('garbage after the last whole record is ignored, earlier records kept', () => {
    assert.deepEqual(decodeTlvs(Uint8Array.of(0, 1, 0, 0, 0, 2)), { tlvs: [{ type: 1, value: new Uint8Array(0) }], ignoredBytes: 2 });
    assert.deepEqual(decodeTlvs(Uint8Array.of(0, 1, 0, 0, 0, 2, 0, 9, 1, 2)), { tlvs: [{ type: 1, value: new Uint8Array(0) }], ignoredBytes: 6 });
    assert.deepEqual(decodeTlvs(Uint8Array.of(0xff)), { tlvs: [], ignoredBytes: 1 });
    assert.deepEqual(decodeTlvs(new Uint8Array(0)), { tlvs: [], ignoredBytes: 0 });
  });

  test('random garbage never throws and never yields more than the bound', () => {
    let seed = 42;
    const next = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (let i = 0; i < 500; i++) {
      const bytes = Uint8Array.from({ length: next() * 4 }, next);
      const { tlvs, ignoredBytes } = decodeTlvs(bytes);
      assert.ok(tlvs.length <= MAX_TLV_RECORDS);
      assert.equal(tlvs.reduce((n, t) => n + 4 + t.value.length, 0) + ignoredBytes, bytes.length);
    }
    const many = encodeTlvs(Array.from({ length: 500 }, () => ({ type: 0, value: new Uint8Array(0) })));
    const decoded = decodeTlvs(many);
    assert.equal(decoded.tlvs.length, MAX_TLV_RECORDS);
    assert.equal(decoded.ignoredBytes, (500 - MAX_TLV_RECORDS) * 4);
  });

  test('encoding rejects values that do not fit', () => {
    assert.throws(() => encodeTlvs([{ type: 1, value: new Uint8Array(0x10000) }]), RangeError);
    assert.throws(() => encodeTlvs([{ type: 0x10000, value: new Uint8Array(0) }]), RangeError);
  });

  test('SMP types are 2 to 7', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].filter(isSmpTlv), [2, 3, 4, 5, 6, 7]);
  });
});
