/**
 * libgcrypt writes an S-expression value as a "quoted string" whenever its
 * bytes look printable to it — bytes 0xA0-0xFF included — so about one
 * libotr key in 70 has its secret `x` as raw binary between quotes, with
 * libgcrypt's escapes for the rest. Such a file must be read as bytes and
 * give the very same key.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateDsaKey } from '../../electron/core/otr/dsa.js';
import { parseSExpression, readLibotrPrivateKeys, writeLibotrPrivateKeys } from '../../electron/core/otr/libotr-keyfile.js';

/** libgcrypt's convert_to_string (sexp.c), byte for byte. */
function libgcryptString(bytes: Uint8Array): Buffer {
  const named: Record<number, string> = { 8: 'b', 9: 't', 11: 'v', 10: 'n', 12: 'f', 13: 'r', 34: '"', 39: "'", 92: '\\' };
  const out: number[] = [0x22];
  for (const b of bytes) {
    if (named[b] !== undefined) out.push(0x5c, named[b]!.charCodeAt(0));
    else if (b < 0x20 || (b >= 0x7f && b < 0xa0)) out.push(...Buffer.from(`\\x${b.toString(16).padStart(2, '0')}`, 'latin1'));
    else out.push(b);
  }
  out.push(0x22);
  return Buffer.from(out);
}

test('a key whose x is a quoted binary string reads back as the same key', () => {
  for (let i = 0; i < 20; i++) {
    const key = generateDsaKey();
    const text = writeLibotrPrivateKeys([{ account: 'alice@example.com/Pidgin', protocol: 'prpl-jabber', key }]);
    const xHex = key.x.toString(16).padStart(40, '0');
    // Every byte value libgcrypt may put between quotes, plus the key's own bytes.
    const [before, after] = text.split(/\(x #[0-9A-F]+#\)/) as [string, string];
    const file = Buffer.concat([
      Buffer.from(`${before}(x `, 'latin1'),
      libgcryptString(Buffer.from(xHex, 'hex')),
      Buffer.from(`)${after}`, 'latin1'),
    ]);
    const [read] = readLibotrPrivateKeys(file);
    assert.equal(read!.key.x, key.x, `x of key ${i}`);
    assert.equal(read!.account, 'alice@example.com/Pidgin');
  }
});

test('every byte survives libgcrypt’s string escapes', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const parsed = parseSExpression(Buffer.concat([Buffer.from('(v '), libgcryptString(all), Buffer.from(')')]));
  assert.deepEqual(Buffer.from((parsed as Uint8Array[])[1]!), Buffer.from(all));
});

test('octal escapes and line continuations', () => {
  const parsed = parseSExpression('(v "x\\101\\\ny\\\r\nz")') as Uint8Array[];
  assert.equal(Buffer.from(parsed[1]!).toString('latin1'), 'xAyz');
  assert.throws(() => parseSExpression('(v "bad \\q escape")'), /unknown escape/);
});
