/**
 * SCRAM client (scram.ts) against the RFCs' own examples (RFC 5802 §5 for
 * SHA-1, RFC 7677 §3 for SHA-256), and against servers that misbehave.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ScramClient, ScramError, saslPrep } from '../../electron/core/xmpp/scram.js';
import { chooseMechanism } from '../../electron/core/xmpp/sasl-login.js';

describe('SCRAM known answers', () => {
  test('RFC 5802: SCRAM-SHA-1', async () => {
    const c = new ScramClient('sha1', 'user', 'pencil', 'fyko+d2lbbFgONRv9qkxdawL');
    assert.equal(c.clientFirst(), 'n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    const final = await c.clientFinal('r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096');
    assert.equal(final, 'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=');
    c.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=');
  });

  test('RFC 7677: SCRAM-SHA-256', async () => {
    const c = new ScramClient('sha256', 'user', 'pencil', 'rOprNGfwEbeRWgbNEkqO');
    const final = await c.clientFinal('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096');
    assert.equal(final, 'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=');
    c.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
  });

  test('user names are escaped; passwords pass SASLprep', () => {
    assert.equal(new ScramClient('sha1', 'a,b=c', 'x', 'nonce').clientFirst(), 'n,,n=a=2Cb=3Dc,r=nonce');
    assert.equal(saslPrep('I\u00ADX'), 'IX');
    assert.equal(saslPrep('a\u00A0b'), 'a b');
    assert.equal(saslPrep('\u2168'), 'IX');
  });
});

describe('a server that breaks SCRAM is refused', () => {
  const serverFirst = (over: Partial<Record<'r' | 's' | 'i', string>> = {}) => {
    const attrs = { r: 'abc123SERVER', s: 'QSXCR+Q6sek8bf92', i: '4096', ...over };
    return `r=${attrs.r},s=${attrs.s},i=${attrs.i}`;
  };
  const client = () => new ScramClient('sha256', 'alice', 'secret', 'abc123');

  for (const [why, message] of [
    ['a nonce that does not extend ours', serverFirst({ r: 'other-nonce' })],
    ['our own nonce unchanged', serverFirst({ r: 'abc123' })],
    ['too few iterations', serverFirst({ i: '1' })],
    ['absurdly many iterations', serverFirst({ i: '999999999' })],
    ['a non-numeric count', serverFirst({ i: '4096x' })],
    ['a salt that is not base64', serverFirst({ s: '!!!' })],
    ['a mandatory extension', `m=ext,${serverFirst()}`],
    ['missing attributes', 'r=abc123SERVER'],
    ['garbage', 'not scram at all'],
  ] as const) {
    test(why, async () => {
      await assert.rejects(client().clientFinal(message), ScramError);
    });
  }

  test('a wrong, missing or error server signature', async () => {
    for (const final of ['v=rmF9pqV8S7suAoZWja4dJRkFsKQ=', 'e=invalid-proof', 'x=1', '']) {
      const c = client();
      await c.clientFinal(serverFirst());
      assert.throws(() => c.verifyServerFinal(final), ScramError, final);
    }
    assert.throws(() => client().verifyServerFinal('v=AAAA'), ScramError, 'a server final before the exchange');
  });
});

test('mechanism choice: SCRAM-SHA-256, then SCRAM-SHA-1, then PLAIN; nothing else', () => {
  assert.equal(chooseMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256']), 'SCRAM-SHA-256');
  assert.equal(chooseMechanism(['PLAIN', 'SCRAM-SHA-1']), 'SCRAM-SHA-1');
  assert.equal(chooseMechanism(['PLAIN', 'SCRAM-SHA-1-PLUS']), 'PLAIN');
  assert.equal(chooseMechanism(['DIGEST-MD5', 'X-OAUTH2']), undefined);
});
