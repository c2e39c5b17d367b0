/**
 * The OTR AKE (Protocol-v3 "Authenticated Key Exchange", the four AKE message
 * formats and "The protocol state machine"): full exchanges between two of
 * our Ake objects (v3 and v2), replays of real exchanges with libotr 4.1.1,
 * commit collisions, retransmissions, and rejection of tampered messages.
 *
 * The LIBOTR_TRANSCRIPTS were recorded once by running our Ake (with the
 * deterministic random source named by `seed` and the fixed long-term key
 * ALICE below) against the libotr test peer (tests/otr-peer, libotr 4.1.1)
 * over its line protocol; libotr accepted our messages and went "encrypted".
 * `libotrSsid` and `libotrFingerprint` (libotr's own key) are what libotr
 * reported. Messages alternate between us and libotr.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Ake, type AkeContext, type AkeResult } from '../../electron/core/otr/ake.js';
import {
  type AkeMessage,
  computeAuthenticator,
  decodeAkeMessage,
  decodeSignedPart,
  encodeAkeMessage,
  encodeSignedPart,
  macEncryptedSignature,
} from '../../electron/core/otr/ake-messages.js';
import { aesCtrZeroIv } from '../../electron/core/otr/aes-ctr.js';
import { DH_PRIME, DhKeyPair } from '../../electron/core/otr/dh.js';
import { type DsaPrivateKey, dsaSign, encodePublicKey, fingerprint, formatFingerprint } from '../../electron/core/otr/dsa.js';
import { deriveAkeKeys } from '../../electron/core/otr/kdf.js';
import { deterministicRandom } from '../../electron/core/otr/random.js';
import { Reader, Writer } from '../../electron/core/otr/wire.js';
import { fixedKey, G, P, Q } from '../fixtures/otr-test-keys.js';


const ALICE = fixedKey('alice');
const BOB = fixedKey('bob');
const ALICE_TAG = 0x1111;
const BOB_TAG = 0x2222;

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'));
const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());

function makeAke(version: 2 | 3, who: 'alice' | 'bob', seed: string, extra: Partial<AkeContext> = {}): Ake {
  const alice = who === 'alice';
  return new Ake({
    version,
    ourInstance: alice ? ALICE_TAG : BOB_TAG,
    theirInstance: 0,
    longTerm: alice ? ALICE : BOB,
    random: deterministicRandom(`${seed}-${who}`),
    ...extra,
  });
}

interface Exchange {
  initiatorResult: AkeResult;
  responderResult: AkeResult;
  messages: Uint8Array[];
}

/** Runs a complete AKE; asserts every step and the states on the way. */
function exchange(initiator: Ake, responder: Ake): Exchange {
  const commit = initiator.start();
  assert.equal(initiator.state, 'awaiting-dhkey');
  const key = responder.receive(commit);
  assert.ok(key.reply, key.ignored);
  assert.equal(responder.state, 'awaiting-revealsig');
  const reveal = initiator.receive(key.reply);
  assert.ok(reveal.reply, reveal.ignored);
  assert.equal(initiator.state, 'awaiting-sig');
  const sig = responder.receive(reveal.reply);
  assert.ok(sig.reply && sig.done, sig.ignored);
  assert.equal(responder.state, 'none');
  const fin = initiator.receive(sig.reply);
  assert.ok(fin.done, fin.ignored);
  assert.equal(fin.reply, undefined);
  assert.equal(initiator.state, 'none');
  return { initiatorResult: fin.done, responderResult: sig.done, messages: [commit, key.reply, reveal.reply, sig.reply] };
}

function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = bytes.slice();
  const i = index < 0 ? out.length + index : index;
  out[i] = (out[i] as number) ^ 0x01;
  return out;
}

function reencode(bytes: Uint8Array, change: (m: AkeMessage) => AkeMessage): Uint8Array {
  return encodeAkeMessage(change(decodeAkeMessage(bytes)));
}

interface Transcript {
  seed: string;
  libotrFingerprint: string;
  libotrSsid: string;
  messages: string[];
}

const LIBOTR_TRANSCRIPTS: Record<string, Transcript> = {
  'v3-we-start': {
    seed: 'transcript-v3-we-start',
    libotrFingerprint: 'C3AA89E6 7EA98049 F1C08469 DA572EFF 249D6A56',
    libotrSsid: '04bae286ecd8854f',
    messages: [
      [
        'AAMCAABCQgAAAAAAAADE7Cdw2BxSzAtY8mSskYNFl3kcz13imtKRVIfN9ifB/JatmVw4zqaStdqmJ8TzccGW5gIO0XJv+Pyq',
        'y6pchG3GTDzMlDmm7sSWphW4qX2nfweK972EP9zxV2hEv0tTzfIFPrqNWQr5XFyg5wXPV4MBGiVSyl6ncolTdFaml7y8+h8l',
        'aiVcvqh0lF90mE/Q94/IfO1erthTk/jjtB17UOsvtcXQ1ljcGQMqDQMR54FnrK3DGxCWwM2nVM+iEHlULXgki0xUQQAAACAV',
        'XpUalQM8y8RO+SGujPJ3pCzq9to4aD2rbsaQ6bD4cw==',
      ].join(''),
      [
        'AAMKIifH1QAAQkIAAADAn5ZMyWSvQBX5K3XFyfpOq7C40A5ez7gpAYh4WWOF7oy0SvZJh8SEolZCe/8d92YKCgf6Mfzbx8ew',
        'bgO5MBoAV77+PkHNKWJdyF0uc65UG7tXaUj7zp2SiOgzBVXm0/9+t16Ms4zzQU06K8uIyQ1CYzkZ8blXnvsCdDoxOcERMs5P',
        'knGVeO7M7aMsTo/xI0zX8/sP+j9dwjaUZ1zKbCX09Co3K0BtqNOo5NuODsQSkM1kdrfC5xuGzBXCY1YT4YAc',
      ].join(''),
      [
        'AAMRAABCQiInx9UAAAAQvZa5axBuQF6Y/pULuTDB/wAAAdKtZEjNvIaxTJTqaNtIKlSmhGDe19R7ID6/fZPF0muxOpx1i0lA',
        'wn30fHGAnhq89sX89ZtymeyID+RRY+ChMIsaaAcAnBjmiRK6FhtY86jxvjUaDaVAk3FpVbqQHfhgscT6oOwu2FhMaqmVO2jd',
        '5lJNHHxHcEA2OoX86nJbrs6o0HVvb3aJHfWAPZM4wjbhwGvqVMIM4zJKRppCC0iJ1qkErAjliJzMgAQJ7BdDDxqf/OsnHKfX',
        'Z9LYeV+4GqcMAyopdbCLSHPf6A9jk+23BVNq94mowzwvfILIwG34DqyJv1n+/px1N9I7FH9xTn5LaQvCXOk3DOtqnN8oa563',
        '7ZmZIxEoPu3a2yBZSKdhYvn62I35zi5eYJUSVfkRUhDJW3bAUcw8uM4LVBfGbDXHJs2Uvz8oBZkT/C367BmEdpOxcz162kKE',
        'DjJb9pAQAmRyb/X21SCjExE07tZQ5/ZMIHK7rXykWqngtrreQmP0zZQrBaAVWrBbvxVmLRt+vKbt9l8jJa3jei+0W9iqLlGC',
        '0K1sMjz6yfenODBdJj9fZR4FPYLMm/NQA2lqi+MZ3+wp6Yg/VD7FqXU7KoB4ZNAP/6ETMhnOzn6iuwUeBYfd/4VRY1EffiI4',
        'ON5sJOnVXz2MGGc0KrUgBw0=',
      ].join(''),
      [
        'AAMSIifH1QAAQkIAAAHSD2nvC9hzsHMi4dOkgk63EEgCFUUbR37nN27I39cqBvRr2k54qMpWOtegt93AMEA2lNuI3bjC1SoG',
        'NRl4a3UmNNBLzcoRpAtcghn5Q368LA3Ywsn8bvr6gatWncZyi1A0JDfhsExduT+kSuj0ZK6e8Yr9DpnqMGEhp3YhC+rYAlab',
        'YpFmGLEd9bZxhAsI/wkYLIekSW8IF7FhmxHp7133potWmlKBDOvIx9BlDJH+iufyXucQ5JLi3PrR1JxyEfqFOZelvUhDH2T8',
        'Uci6dSy/WxKjBGYo6V+v1M4/4vTQ6KdyT4ScnErHcf4tSSLLcGsquqeaUOYqwzFHBu4omVBeTvEEFYteN39qrW1f7bGBu2VG',
        'IFPcn8BCdKmW2QN+eoSrQexS8mxZMnPL5cPew1rwUcFHhAmAq1bM+RJ753Znoq62RaB3odfHl+Ry7Pvh3dYUFz3NT7PKadQc',
        'jwLd4rnck1jbfq4wFQuvC4guF4S1CZLqWakAlSpLeXA1xESOHOmKKSZJiGntjV6qPsnWsqbX3CFFzdXFT/sGuTt1ePgzUipH',
        'y/VU4G5gXnJtSk1PunFP4WTJUT6IjomZjACQKEycxJJFRoVzdNCwNtKcA1tL+V7ePGpfn3Rg4JfeGHbi9I9Ow96tjPeR',
      ].join(''),
    ],
  },
  'v3-libotr-starts': {
    seed: 'transcript-v3-libotr-starts',
    libotrFingerprint: 'E0EB40F6 37836444 F5C5F261 6B56A383 1624DAA9',
    libotrSsid: '0e92cf24d55409d6',
    messages: [
      [
        'AAMCb2kYIQAAAAAAAADE69TdQp9rNPu/klHvz95ld94godDvEJ9qpyTadZuirWEk1CvUltfNNwsf/mEKlxg+bw1U8HWV4x+j',
        'PJ8J8ghT/1nrt9xDNMA1yu7vZkXxzpoxUFTTBroQzAcEYDFWaUlHvTEHUXivl7gf64Y+v2wfzR4ISBlf5JZKV/G/ZOr36UyH',
        '4A4T9RSeGTY9DuojpGXsmoL1uAVVPi5RLpOPnSgw+vbjS47PHUQfhmArFeDK+YMQnafeFyRQ4sxyOl76RTG1a3e18QAAACCn',
        'fSgrRB3izbhs+kNXLJSM72Bxe4pkBgQ7CTzSVmhKxw==',
      ].join(''),
      [
        'AAMKAABCQm9pGCEAAADAPXjIpyT/0dMhj8XGVXJaavfCSTCfiuH9nbN/4s4UPPJzMSadXycNYHmH8PM8B7XuADXyPD0k8S0N',
        '21gmKav6CWDFFLdIf8RO3Rv8aInoIvougPBya78r7IT5my9/h0F5Hr4abrgqEi7e6zoflteUR5Be9bdfp706QplUeuGxyrdZ',
        'xFpGaWq8LERR0gdLPPgIjOVuvEAdqU7GznSk10dT+B1XzFCFI2M+ZsWcs/AsspyMISZu3pmTWesRRTwZ0oam',
      ].join(''),
      [
        'AAMRb2kYIQAAQkIAAAAQOiCl2UI1/8ng8nc3e5qwuQAAAdGTIXPeYt4rFBmThQj+uSQrO1zLIACGinV67jOt/mOkCQ2vJOnq',
        'tJwOeX9AdP/lBXXJsXvH3ej9YoyyuZ4LOrB9YIEfs2YT09ERKaDNVvq9RSx6qVxbQsg/BcRfDhJlKxTsFf2BcFu7iyVHF8up',
        's5yyUlQeEK3pXgKoFTET5YBYLHibdhVHF0OUlkCgRLion8cKstmAluiwpWD1l9kpORydjm+UXOjswgkmaaOm3g8ui0qmJWnb',
        '8e64H+bpua2aET/kVx9Cj/W2ACzX4saIVV2MckvZL0LY+InXxQgsiY8KixXbVqYWY+e04TsMxPRs2ZVPpict2+gyCcZSVzOR',
        'zx+6nw8oGYNA0bPYa9Oy9ibVOdFIWqWSONnWk+W9QGAwFeHIR3VCTLMgpm5ywnl6uhkXo8qJ1I9BiSgdffbfA6vX5UUBIGuY',
        'reDN+Gut/gRnhXBY4d6h8vePJ2MRQ9/GsVM+YMQ9cvAk6VRldEYUih4K5iweitNGvGImthA3aW5qaaJihG4W1Dhz/wrlSUIb',
        '4lXw/hqtildqueeBeZo9oCEXFpjozk31uT7+glYWICiHLUSZ8QmkPA3uFJP6Bd/ZQkdLh3auwKrxyuO4WnivYh8EJO4gEcoH',
        'h1XW4NQPrgcsUYjV5eRbYQ==',
      ].join(''),
      [
        'AAMSAABCQm9pGCEAAAHSqhVgNh55z2M4OW1TLNR0u5wjdFDtuDozILEhrhFclS1QmVRExx8N1hbLk7Fxl07ISzxkRLkYhoHP',
        'EgLxkpMDeWKKeB3itWNqahpUczb/YU1zmVpl6jWELKeWGo0bBfy5oTtQYethv9hXj+EpNn6pxAszbQka8j4nQebG7vdsbM4i',
        'wtIAgl4Bv3MKLrpbItsYcWg0iBONFhgPJrRplGO2KQ9sStdbcTwUoJohbUecWzYwXDHBmqgPieoqiT4qjHVeqxt5Dd04nn/8',
        'T8iiEGed5tno4MItJlYgIouuHSakZDlNZbShX3rOk8TNpZ2KEIvos6QqFeU42ZSENekMJNkhIdnOwziV4kJm3CXP7RX68+7Y',
        'T8XyfIcUEQSxK+5moMYCiS/ECz2a3H6oiECeqaHWOXf0nqJdtxjAqJjp+O68oLZ7yQdHQiDw7g8jHeYjix+JA7daddtqEIcf',
        'mb0fLkfQtnpI5P0fbpVAxN8wASd4fu14DzgIB5eEqjTF6bD0IxoIT5iEHiYHvcSrNhhrLbr3CmquH/GH6kyOSalLAKxH7cWc',
        'JYkOsbi2yqkQhZYhxptaWThgd2hauwdtEOj6wTwZjuE6WR0wvEhAc5mv41H9ybU/Ufl2KRKqRJF76crdpCBmjHwEomGx',
      ].join(''),
    ],
  },
  'v2-we-start': {
    seed: 'transcript-v2-we-start',
    libotrFingerprint: '96766DFB 3B5AA028 B698BAA1 08B76F8C 39E21C45',
    libotrSsid: '5f3d0e267615d22d',
    messages: [
      [
        'AAICAAAAxKkT2TFfLLPbAbpeIhAiOZUO055NTotP5q3VNipNTJpvmb9xWjUr+1/fn+UZGVrAVALbzjzp+NNCshKFR8QSWf1e',
        'FirLG61Jn7iIT+BW1sFevUmdr6vnBw/Yao8Y1avsZpqyg1Befq4P0BeQCHEGVlyh6S5PMJilQQH7MUsRWyjKeeVXdekcjyJH',
        'LAYyU9cZlOknvtdG+ecpcOM8q760JmRYETaTr+xZhdbdNo4CuKxqJO0fy0gfWOpKE8nbHBkGnkc22RIAAAAgvyWXwVTOEVrH',
        'RpsStI0XmZf61sq1B3pI85Phf3DxuHk=',
      ].join(''),
      [
        'AAIKAAAAwNbgDSzk1COj51r+wppfxvsYHFR7vo1qYWlpYiK6kIoSeRyJxUzxlrSpufJEZBoeLK+oMfPDu4lz74E6XoLx0Dc5',
        'H5I2AnCBqk2x2Lzbhps7qcIIaf4S7/e2K5Iqhgiqgu/rZXDYaiRx8ue4jWO3xRz/bO4HjuAUkmwy6MKsFRC9cAiduXOR3lxI',
        'WrQ6YoJTg8506rZG02siKG8p74RHJ5mKOeeSp5DweuTwoUuUOniSQB5EG0WEf6/TWP1dxeIKuQ==',
      ].join(''),
      [
        'AAIRAAAAEPZr9v4iJhC1F+ugCBaRulUAAAHSK+dr0s2+05wLTAoh3ORYwuFEKVKMyDmcgWnBK5MZytkMUaEcP0ladQtFuYBF',
        'qjJ8/797WWswu+//fRMajNRcszyQjGQqtgNWFAkF8Ty7p88ePV2OK0Pu0u5CLSiGpf4t7K0KLisAXtCNYmMHZv2M7V0dkYZT',
        'IzgqW3cPt8cPk8wSTV/mJuh2oRdkQ3XMjh3cSk2AzcNjt5WrobQ7D5THUqFkYSqZCZcxlpWS97XdTzuKBn7MD/XI5JawQE5L',
        'fyAV2DVLhEsy5a/MtRzhmdldjF0J48FkJB5or80rGQzE9zgriJMMumfYnjK8JkbOqsodCKQBlU8ucOwzzvGhaN7P2Tkgiau/',
        'Ossw7lRLYaiGncApDY3eEXMuzZc4sA1AV62e8zXZwJD69UoaHtN9v0WtH6hCaOA9Iyk/j/7EKHKngourPfeQxVp1ALvHnewm',
        'LZu7cT43ua3hZSSK+gKnPGgeGN6OcumQaxxgeDM9hpT95cSCpXXH+E+r4LqFV9AyBX2q/Y+vuVLPPPNB7X6KX46QK2b3bMOB',
        'udHqHqzAX5mRfe5tZibjPXdsVxyTARus1beLrGOhuPffjQYb2Xxs4Hpn3ima14bDZ9+4HaM4vn3tnkNtloj+WomcBuymtbh/',
        'nRpZmEHqrPyg',
      ].join(''),
      [
        'AAISAAAB0hh96r2APF31YjM9HDLfFJjL9uOxoDBLf5F4035Ym2/c7Qiztgf5JzmkVzm1rXBIv+JwBWW7zXzk0e++poN5lUXr',
        'Ga8669O+EfJUdgkLbYlFFI7BS/ShOuJq2V1wf3f+y3ybbAo9/df0iA01qRbdHMg0MvqyQDS8RY2FmUAECbqEeVOUV2jJ3xwN',
        '5AwkPYlz+KD91QcGFdacMitFkhjRa8twBn1H7xdq9G7tYSQgd2bsPtShNKpAWoJ4tAen6IvE4qd0ogZu1sPeF1+WMOueFHyo',
        'nB8hAHTGbIcGTFiE2ZXh3tNdX/XM2H8mexfUGu13x9XvEk7n24NVSSDRZnPkoRFcUUwVo+nzN9ox42M04EI8a22/s02Tons6',
        'gpdH05NSXSUsKxGAKGHabqsc41Fxg6iPA2nFiYQnd1HpIz/8z6tGZm2Xrp4agOPOdOrSLlQm8rNj1tLODqO15ANX0XqM9iT1',
        'kL33+H/fdzyjF+ySxd/WTNqsDIB0UdBundHMMLRaIp7jdwt7oefwbZ7M9lL/UDn8C94LO9uNhzHB34vuYok183wuLqd+RZJE',
        'JtcgfAZASRJYLJ4tN1vmR663wc5vkiOP/x2FoBbBDi36fXY5EBXnQISE+VSDBnbGfiDy950X04qjGIiCsw==',
      ].join(''),
    ],
  },
};

describe('full AKE between two Ake objects', () => {
  for (const version of [3, 2] as const) {
    test(`v${version}: both sides agree on ssid, keys and identities`, () => {
      const bob = makeAke(version, 'bob', `full-v${version}`);
      const alice = makeAke(version, 'alice', `full-v${version}`);
      const { initiatorResult: b, responderResult: a, messages } = exchange(bob, alice);
      assert.deepEqual(a.ssid, b.ssid);
      assert.equal(a.ssid.length, 8);
      assert.equal(b.initiator, true);
      assert.equal(a.initiator, false);
      assert.deepEqual(a.theirLongTerm, { p: P, q: Q, g: G, y: BOB.y });
      assert.deepEqual(b.theirLongTerm, { p: P, q: Q, g: G, y: ALICE.y });
      assert.equal(a.theirDh, b.ourDh.publicKey);
      assert.equal(b.theirDh, a.ourDh.publicKey);
      assert.deepEqual([a.ourKeyId, a.theirKeyId, b.ourKeyId, b.theirKeyId], [1, 1, 1, 1]);
      const s = a.ourDh.sharedSecret(a.theirDh);
      assert.equal(s, b.ourDh.sharedSecret(b.theirDh));
      assert.deepEqual(deriveAkeKeys(s).ssid, a.ssid);
      assert.equal('secret' in a, false);
      // Wire framing: version, type, and (v3 only) instance tags.
      const types = messages.map((m) => hex(m.subarray(0, 3)));
      assert.deepEqual(types, [`000${version}02`, `000${version}0a`, `000${version}11`, `000${version}12`]);
      if (version === 3) {
        const tags = messages.map((m) => [new Reader(m.subarray(3, 11)).int(), new Reader(m.subarray(7, 11)).int()]);
        assert.deepEqual(tags, [
          [BOB_TAG, 0],
          [ALICE_TAG, BOB_TAG],
          [BOB_TAG, ALICE_TAG],
          [ALICE_TAG, BOB_TAG],
        ]);
        assert.equal(alice.theirInstance, BOB_TAG);
        assert.equal(bob.theirInstance, ALICE_TAG);
      }
    });
  }

  test('custom key ids are carried through (and 0 is refused)', () => {
    const bob = makeAke(3, 'bob', 'keyids', { ourKeyId: 7 });
    const alice = makeAke(3, 'alice', 'keyids', { ourKeyId: 42 });
    const { initiatorResult: b, responderResult: a } = exchange(bob, alice);
    assert.deepEqual([b.ourKeyId, b.theirKeyId, a.ourKeyId, a.theirKeyId], [7, 42, 42, 7]);
    assert.throws(() => makeAke(3, 'bob', 'x', { ourKeyId: 0 }), RangeError);
    assert.throws(() => makeAke(3, 'bob', 'x', { ourInstance: 0xff }), RangeError);
  });

  test('the Ake can run again after completing (re-keying)', () => {
    const bob = makeAke(3, 'bob', 'again');
    const alice = makeAke(3, 'alice', 'again');
    const first = exchange(bob, alice);
    const second = exchange(alice, bob);
    assert.notDeepEqual(first.initiatorResult.ssid, second.initiatorResult.ssid);
    assert.deepEqual(second.initiatorResult.ssid, second.responderResult.ssid);
  });

  test('D-H Commit contents: AES_r(gxmpi) with counter 0 and SHA256(gxmpi)', () => {
    const bob = makeAke(3, 'bob', 'commit-contents');
    const alice = makeAke(3, 'alice', 'commit-contents');
    const { messages, responderResult } = exchange(bob, alice);
    const commit = decodeAkeMessage(messages[0] as Uint8Array);
    const reveal = decodeAkeMessage(messages[2] as Uint8Array);
    assert.ok(commit.type === 'dh-commit' && reveal.type === 'reveal-signature');
    assert.equal(reveal.revealedKey.length, 16);
    const gxmpi = aesCtrZeroIv(reveal.revealedKey, commit.encryptedGx);
    assert.equal(commit.encryptedGx.length, 196);
    assert.equal(hex(gxmpi.subarray(0, 4)), '000000c0');
    assert.deepEqual(commit.hashedGx, sha256(gxmpi));
    assert.equal(new Reader(gxmpi).mpi(), responderResult.theirDh);
  });
});

describe('encode/decode helpers', () => {
  test('round trip of all four messages, v3 and v2', () => {
    for (const version of [3, 2] as const) {
      const { messages } = exchange(makeAke(version, 'bob', `rt${version}`), makeAke(version, 'alice', `rt${version}`));
      for (const m of messages) assert.deepEqual(encodeAkeMessage(decodeAkeMessage(m)), m);
    }
  });

  test('strict parsing: trailing bytes, wrong lengths, wrong types', () => {
    const { messages } = exchange(makeAke(3, 'bob', 'strict'), makeAke(3, 'alice', 'strict'));
    for (const m of messages) {
      const longer = new Uint8Array(m.length + 1);
      longer.set(m);
      assert.throws(() => decodeAkeMessage(longer));
      for (const cut of [0, 2, 3, 10, m.length - 1]) assert.throws(() => decodeAkeMessage(m.subarray(0, cut)));
    }
    const base = { version: 3 as const, senderInstance: BOB_TAG, receiverInstance: 0 };
    assert.throws(() => decodeAkeMessage(encodeAkeMessage({ ...base, type: 'dh-commit', encryptedGx: new Uint8Array(196), hashedGx: new Uint8Array(31) })));
    assert.throws(() => decodeAkeMessage(encodeAkeMessage({ ...base, type: 'reveal-signature', revealedKey: new Uint8Array(15), encryptedSignature: new Uint8Array(10), mac: new Uint8Array(20) })));
    const data = new Writer().short(3).byte(3).int(BOB_TAG).int(ALICE_TAG).bytes();
    assert.throws(() => decodeAkeMessage(data));
  });
});

describe('libotr 4.1.1 transcripts', () => {
  test('v3, we start: our messages byte-identical, libotr\'s accepted, same ssid', () => {
    const t = LIBOTR_TRANSCRIPTS['v3-we-start'] as Transcript;
    const ake = new Ake({ version: 3, ourInstance: 0x4242, theirInstance: 0, longTerm: ALICE, random: deterministicRandom(t.seed) });
    const [commit, dhKey, reveal, sig] = t.messages.map(b64) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    assert.deepEqual(ake.start(), commit);
    const r1 = ake.receive(dhKey);
    assert.deepEqual(r1.reply, reveal, r1.ignored);
    const r2 = ake.receive(sig);
    assert.ok(r2.done, r2.ignored);
    assert.equal(hex(r2.done.ssid), t.libotrSsid);
    assert.equal(formatFingerprint(fingerprint(r2.done.theirLongTerm)), t.libotrFingerprint);
    assert.equal(r2.done.theirKeyId, 1);
    assert.equal(r2.done.initiator, true);
    assert.equal(ake.theirInstance, new Reader(dhKey.subarray(3, 7)).int());
  });

  test('v3, libotr starts: we verify libotr\'s Reveal Signature, libotr accepted our Signature', () => {
    const t = LIBOTR_TRANSCRIPTS['v3-libotr-starts'] as Transcript;
    const ake = new Ake({ version: 3, ourInstance: 0x4242, theirInstance: 0, longTerm: ALICE, random: deterministicRandom(t.seed) });
    const [commit, dhKey, reveal, sig] = t.messages.map(b64) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    assert.equal(hex(commit.subarray(7, 11)), '00000000', 'libotr commits with receiver tag 0');
    assert.deepEqual(ake.receive(commit).reply, dhKey);
    const r = ake.receive(reveal);
    assert.ok(r.done, r.ignored);
    assert.deepEqual(r.reply, sig);
    assert.equal(hex(r.done.ssid), t.libotrSsid);
    assert.equal(formatFingerprint(fingerprint(r.done.theirLongTerm)), t.libotrFingerprint);
    assert.equal(r.done.initiator, false);
  });

  test('v2, we start', () => {
    const t = LIBOTR_TRANSCRIPTS['v2-we-start'] as Transcript;
    const ake = new Ake({ version: 2, ourInstance: 0x4242, theirInstance: 0, longTerm: ALICE, random: deterministicRandom(t.seed) });
    const [commit, dhKey, reveal, sig] = t.messages.map(b64) as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    assert.deepEqual(ake.start(), commit);
    assert.deepEqual(ake.receive(dhKey).reply, reveal);
    const r = ake.receive(sig);
    assert.ok(r.done, r.ignored);
    assert.equal(hex(r.done.ssid), t.libotrSsid);
    assert.equal(formatFingerprint(fingerprint(r.done.theirLongTerm)), t.libotrFingerprint);
  });

  test('a tampered libotr Reveal Signature is ignored, the genuine one still completes', () => {
    const t = LIBOTR_TRANSCRIPTS['v3-libotr-starts'] as Transcript;
    const ake = new Ake({ version: 3, ourInstance: 0x4242, theirInstance: 0, longTerm: ALICE, random: deterministicRandom(t.seed) });
    const [commit, , reveal] = t.messages.map(b64) as [Uint8Array, Uint8Array, Uint8Array];
    ake.receive(commit);
    assert.match(ake.receive(flip(reveal, -1)).ignored ?? '', /bad MAC/);
    assert.match(ake.receive(flip(reveal, -30)).ignored ?? '', /bad MAC/);
    assert.match(ake.receive(flip(reveal, 20)).ignored ?? '', /hash/);
    assert.equal(ake.state, 'awaiting-revealsig');
    assert.ok(ake.receive(reveal).done);
  });
});

describe('commit collision', () => {
  test('the larger hashed g^x wins; the exchange still completes', () => {
    const winners = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const alice = makeAke(3, 'alice', `collide${i}`);
      const bob = makeAke(3, 'bob', `collide${i}`);
      const ca = alice.start();
      const cb = bob.start();
      const ha = decodeAkeMessage(ca);
      const hb = decodeAkeMessage(cb);
      assert.ok(ha.type === 'dh-commit' && hb.type === 'dh-commit');
      const aliceWins = Buffer.compare(ha.hashedGx, hb.hashedGx) > 0;
      winners.add(aliceWins ? 'alice' : 'bob');
      const [win, lose, winCommit, loseCommit] = aliceWins ? [alice, bob, ca, cb] : [bob, alice, cb, ca];
      // Both receive the other's commit.
      const fromWinner = win.receive(loseCommit);
      assert.deepEqual(fromWinner.reply, winCommit, 'winner ignores it and resends its own commit');
      assert.equal(win.state, 'awaiting-dhkey');
      const fromLoser = lose.receive(winCommit);
      assert.ok(fromLoser.reply);
      assert.equal(decodeAkeMessage(fromLoser.reply).type, 'dh-key');
      assert.equal(lose.state, 'awaiting-revealsig');
      // The winner's resent commit reaches the loser: the same D-H Key is retransmitted.
      assert.deepEqual(lose.receive(fromWinner.reply).reply, fromLoser.reply);
      // The winner gets that D-H Key twice: Reveal Signature, then the same again.
      const reveal = win.receive(fromLoser.reply);
      assert.ok(reveal.reply);
      assert.equal(win.state, 'awaiting-sig');
      assert.deepEqual(win.receive(fromLoser.reply).reply, reveal.reply);
      const sig = lose.receive(reveal.reply);
      assert.ok(sig.done && sig.reply);
      assert.ok(lose.receive(reveal.reply).ignored, 'duplicate reveal after completion is ignored');
      const fin = win.receive(sig.reply);
      assert.ok(fin.done, fin.ignored);
      assert.deepEqual(fin.done.ssid, sig.done.ssid);
      assert.equal(fin.done.initiator, true);
    }
    assert.deepEqual([...winners].sort(), ['alice', 'bob'], 'both orders were exercised');
  });
});

describe('retransmission and unexpected messages', () => {
  test('a new D-H Commit in awaiting-revealsig: same D-H Key, new commitment used', () => {
    const alice = makeAke(3, 'alice', 'recommit');
    const bob1 = makeAke(3, 'bob', 'recommit-1');
    const bob2 = makeAke(3, 'bob', 'recommit-2');
    const key1 = alice.receive(bob1.start()).reply;
    const key2 = alice.receive(bob2.start()).reply;
    assert.ok(key1);
    assert.deepEqual(key2, key1);
    // bob1's reveal no longer matches the stored commitment; bob2's does.
    const reveal1 = bob1.receive(key1).reply;
    const reveal2 = bob2.receive(key1).reply;
    assert.ok(reveal1 && reveal2);
    assert.match(alice.receive(reveal1).ignored ?? '', /hash/);
    const done = alice.receive(reveal2);
    assert.ok(done.done && done.reply);
    assert.ok(bob2.receive(done.reply).done);
  });

  test('awaiting-sig: same D-H Key retransmits, another is ignored, a D-H Commit restarts as responder', () => {
    const bob = makeAke(3, 'bob', 'await-sig');
    const alice = makeAke(3, 'alice', 'await-sig');
    const key = alice.receive(bob.start()).reply;
    assert.ok(key);
    const reveal = bob.receive(key).reply;
    assert.ok(reveal);
    assert.deepEqual(bob.receive(key).reply, reveal);
    const otherKey = reencode(key, (m) => (m.type === 'dh-key' ? { ...m, gy: m.gy + 1n } : m));
    assert.ok(bob.receive(otherKey).ignored);
    assert.equal(bob.state, 'awaiting-sig');
    const reply = bob.receive(makeAke(3, 'alice', 'await-sig-2').start());
    assert.ok(reply.reply);
    assert.equal(decodeAkeMessage(reply.reply).type, 'dh-key');
    assert.equal(bob.state, 'awaiting-revealsig');
  });

  test('messages that do not fit the state are ignored without state change', () => {
    const { messages } = exchange(makeAke(3, 'bob', 'unexp'), makeAke(3, 'alice', 'unexp'));
    const [, dhKey, reveal, sig] = messages as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
    const fresh = makeAke(3, 'alice', 'unexp-fresh', { theirInstance: BOB_TAG });
    for (const m of [dhKey, reveal, sig]) {
      const out = fresh.receive(m);
      assert.ok(out.ignored && !out.reply && !out.done);
      assert.equal(fresh.state, 'none');
    }
    const waiting = makeAke(3, 'bob', 'unexp-waiting', { theirInstance: ALICE_TAG });
    waiting.start();
    for (const m of [reveal, sig]) assert.ok(waiting.receive(m).ignored);
    assert.equal(waiting.state, 'awaiting-dhkey');
  });

  test('lastSent exposes the message to retransmit', () => {
    const bob = makeAke(3, 'bob', 'last');
    assert.equal(bob.lastSent, undefined);
    const commit = bob.start();
    assert.deepEqual(bob.lastSent, commit);
    bob.reset();
    assert.equal(bob.state, 'none');
  });
});

/** A hand-built peer that plays Bob with the exported helpers, so we can forge exactly one thing. */
function manualBob(version: 2 | 3, gx: bigint, dh: DhKeyPair | undefined) {
  const r = deterministicRandom('manual-r')(16);
  const gxmpi = new Writer().mpi(gx).bytes();
  const base = { version, senderInstance: version === 3 ? BOB_TAG : 0, receiverInstance: 0 };
  const commit = encodeAkeMessage({ ...base, type: 'dh-commit', encryptedGx: aesCtrZeroIv(r, gxmpi), hashedGx: sha256(gxmpi) });
  interface Forge {
    keyId?: number;
    signedValue?: Uint8Array;
    publicKeyBytes?: Uint8Array;
    signature?: (sig: Uint8Array) => Uint8Array;
    longTerm?: DsaPrivateKey;
  }
  function reveal(gy: bigint, forge: Forge = {}): Uint8Array {
    const keys = dh ? deriveAkeKeys(dh.sharedSecret(gy)) : deriveAkeKeys(2n);
    const longTerm = forge.longTerm ?? BOB;
    const keyId = forge.keyId ?? 1;
    const pub = forge.publicKeyBytes ?? encodePublicKey(longTerm);
    const m = forge.signedValue ?? computeAuthenticator(keys.m1, gx, gy, pub, keyId);
    let sig = dsaSign(longTerm, m, deterministicRandom('manual-k'));
    if (forge.signature) sig = forge.signature(sig);
    const encryptedSignature = aesCtrZeroIv(keys.c, encodeSignedPart(pub, keyId, sig));
    return encodeAkeMessage({
      ...base,
      receiverInstance: version === 3 ? ALICE_TAG : 0,
      type: 'reveal-signature',
      revealedKey: r,
      encryptedSignature,
      mac: macEncryptedSignature(keys.m2, encryptedSignature),
    });
  }
  return { commit, reveal };
}

function gyOf(reply: Uint8Array | undefined): bigint {
  assert.ok(reply);
  const m = decodeAkeMessage(reply);
  assert.equal(m.type, 'dh-key');
  return m.type === 'dh-key' ? m.gy : 0n;
}

describe('tampered and forged messages are rejected', () => {
  test('a hand-built, correct Reveal Signature is accepted (helpers match the Ake)', () => {
    for (const version of [3, 2] as const) {
      const dh = DhKeyPair.generate(deterministicRandom('manual-dh'));
      const bob = manualBob(version, dh.publicKey, dh);
      const alice = makeAke(version, 'alice', 'manual-ok');
      const gy = gyOf(alice.receive(bob.commit).reply);
      const out = alice.receive(bob.reveal(gy));
      assert.ok(out.done, out.ignored);
      assert.equal(out.done.theirDh, dh.publicKey);
      // Our Signature message verifies with the spec's M_A = MAC_m1'(g^y, g^x, pub_A, keyid_A).
      assert.ok(out.reply);
      const sig = decodeAkeMessage(out.reply);
      assert.ok(sig.type === 'signature');
      const keys = deriveAkeKeys(dh.sharedSecret(gy));
      assert.deepEqual(sig.mac, macEncryptedSignature(keys.m2Prime, sig.encryptedSignature));
      const x = decodeSignedPart(aesCtrZeroIv(keys.cPrime, sig.encryptedSignature));
      assert.deepEqual(x.publicKeyBytes, encodePublicKey(ALICE));
      assert.deepEqual(computeAuthenticator(keys.m1Prime, gy, dh.publicKey, x.publicKeyBytes, x.keyId), computeAuthenticator(keys.m1Prime, gy, dh.publicKey, encodePublicKey(ALICE), 1));
    }
  });

  const forgeries: Array<[string, RegExp, (gy: bigint) => Parameters<ReturnType<typeof manualBob>['reveal']>[1]]> = [
    ['signature over the wrong value', /bad signature/, () => ({ signedValue: new Uint8Array(32).fill(7) })],
    ['signature by another key than the one presented', /bad signature/, () => ({ publicKeyBytes: encodePublicKey(ALICE) })],
    ['key id 0', /key id/, () => ({ keyId: 0 })],
    ['short signature', /malformed/, () => ({ signature: (s) => s.subarray(0, 39) })],
    ['corrupted r', /bad signature/, () => ({ signature: (s) => flip(s, 3) })],
    ['non-canonical PUBKEY (padded MPI)', /non-canonical/, () => ({
      publicKeyBytes: (() => {
        const w = new Writer().short(0).int(129).byte(0).raw(new Writer().mpi(P).bytes().subarray(4));
        return w.mpi(Q).mpi(G).mpi(BOB.y).bytes();
      })(),
    })],
  ];
  for (const [name, reason, forge] of forgeries) {
    test(`Reveal Signature: ${name}`, () => {
      const dh = DhKeyPair.generate(deterministicRandom('manual-dh'));
      const bob = manualBob(3, dh.publicKey, dh);
      const alice = makeAke(3, 'alice', 'forge');
      const gy = gyOf(alice.receive(bob.commit).reply);
      const out = alice.receive(bob.reveal(gy, forge(gy)));
      assert.match(out.ignored ?? '', reason);
      assert.equal(out.done, undefined);
      assert.equal(alice.state, 'awaiting-revealsig');
      assert.ok(alice.receive(bob.reveal(gy)).done, 'the genuine message still works');
    });
  }

  for (const [name, gx] of [['g^x = 1', 1n], ['g^x = p-1', DH_PRIME - 1n], ['g^x = 0', 0n], ['g^x = p', DH_PRIME]] as const) {
    test(`Reveal Signature revealing an out-of-range ${name}`, () => {
      const bob = manualBob(3, gx, undefined);
      const alice = makeAke(3, 'alice', 'range');
      const gy = gyOf(alice.receive(bob.commit).reply);
      assert.match(alice.receive(bob.reveal(gy)).ignored ?? '', /out of range/);
    });
  }

  test('D-H Key with g^y out of range is ignored', () => {
    const bob = makeAke(3, 'bob', 'gy-range');
    const alice = makeAke(3, 'alice', 'gy-range');
    const key = alice.receive(bob.start()).reply;
    assert.ok(key);
    for (const gy of [0n, 1n, DH_PRIME - 1n, DH_PRIME, DH_PRIME + 1n]) {
      const bad = reencode(key, (m) => (m.type === 'dh-key' ? { ...m, gy } : m));
      assert.match(bob.receive(bad).ignored ?? '', /out of range/);
      assert.equal(bob.state, 'awaiting-dhkey');
    }
    assert.ok(bob.receive(key).reply);
  });

  test('Signature message: a bad MAC is ignored; the genuine one completes', () => {
    const bob = makeAke(3, 'bob', 'sig-tamper');
    const alice = makeAke(3, 'alice', 'sig-tamper');
    const reveal = bob.receive(alice.receive(bob.start()).reply ?? new Uint8Array(0)).reply;
    assert.ok(reveal);
    const sig = alice.receive(reveal).reply;
    assert.ok(sig);
    assert.match(bob.receive(flip(sig, -1)).ignored ?? '', /bad MAC/);
    assert.match(bob.receive(flip(sig, 20)).ignored ?? '', /bad MAC/);
    assert.equal(bob.state, 'awaiting-sig');
    assert.ok(bob.receive(sig).done);
  });

  test('Signature message with a valid MAC but a forged signature', () => {
    // Play Alice by hand against a real Bob.
    const bob = makeAke(3, 'bob', 'sig-forge');
    const commit = decodeAkeMessage(bob.start());
    assert.ok(commit.type === 'dh-commit');
    const dh = DhKeyPair.generate(deterministicRandom('sig-forge-dh'));
    const base = { version: 3 as const, senderInstance: ALICE_TAG, receiverInstance: BOB_TAG };
    const reveal = bob.receive(encodeAkeMessage({ ...base, type: 'dh-key', gy: dh.publicKey })).reply;
    assert.ok(reveal);
    const rev = decodeAkeMessage(reveal);
    assert.ok(rev.type === 'reveal-signature');
    const gx = new Reader(aesCtrZeroIv(rev.revealedKey, commit.encryptedGx)).mpi();
    const keys = deriveAkeKeys(dh.sharedSecret(gx));
    const build = (signedValue?: Uint8Array): Uint8Array => {
      const pub = encodePublicKey(ALICE);
      const m = signedValue ?? computeAuthenticator(keys.m1Prime, dh.publicKey, gx, pub, 1);
      const enc = aesCtrZeroIv(keys.cPrime, encodeSignedPart(pub, 1, dsaSign(ALICE, m, deterministicRandom('k'))));
      return encodeAkeMessage({ ...base, type: 'signature', encryptedSignature: enc, mac: macEncryptedSignature(keys.m2Prime, enc) });
    };
    // M_B instead of M_A (a reflection of Bob's own authenticator layout) must fail.
    assert.match(bob.receive(build(computeAuthenticator(keys.m1Prime, gx, dh.publicKey, encodePublicKey(ALICE), 1))).ignored ?? '', /bad signature/);
    const ok = bob.receive(build());
    assert.ok(ok.done, ok.ignored);
    assert.equal(ok.done.theirDh, dh.publicKey);
  });
});

describe('envelope checks', () => {
  test('instance tags and versions', () => {
    const bob = makeAke(3, 'bob', 'env');
    const alice = makeAke(3, 'alice', 'env');
    const commit = bob.start();
    const setTags = (bytes: Uint8Array, sender: number, receiver: number): Uint8Array =>
      reencode(bytes, (m) => ({ ...m, senderInstance: sender, receiverInstance: receiver }));
    assert.match(alice.receive(setTags(commit, 0xff, 0)).ignored ?? '', /sender/);
    assert.match(alice.receive(setTags(commit, BOB_TAG, 0x3333)).ignored ?? '', /another instance/);
    assert.match(alice.receive(setTags(commit, BOB_TAG, 0x50)).ignored ?? '', /another instance/);
    assert.equal(alice.state, 'none');
    // A commit addressed to us explicitly is fine.
    const key = alice.receive(setTags(commit, BOB_TAG, ALICE_TAG)).reply;
    assert.ok(key);
    // Non-commit messages must name us as receiver.
    assert.match(bob.receive(setTags(key, ALICE_TAG, 0)).ignored ?? '', /receiver/);
    // Once Bob's tag is known, other instances are ignored.
    assert.match(alice.receive(setTags(commit, 0x3333, 0)).ignored ?? '', /another instance/);
    // Version mismatch.
    const v2commit = makeAke(2, 'bob', 'env-v2').start();
    assert.match(makeAke(3, 'alice', 'env-x').receive(v2commit).ignored ?? '', /version/);
    assert.match(makeAke(2, 'alice', 'env-y').receive(commit).ignored ?? '', /version/);
    // A configured theirInstance is enforced from the start.
    assert.match(makeAke(3, 'alice', 'env-z', { theirInstance: 0x9999 }).receive(commit).ignored ?? '', /another instance/);
    // Garbage and non-AKE messages.
    assert.match(alice.receive(new Uint8Array([0, 3])).ignored ?? '', /malformed/);
    assert.match(alice.receive(new Writer().short(3).byte(3).int(BOB_TAG).int(ALICE_TAG).byte(0).bytes()).ignored ?? '', /malformed/);
    assert.match(alice.receive(new Writer().short(1).byte(2).bytes()).ignored ?? '', /malformed/);
  });

  test('random mutations never throw and never complete an AKE', () => {
    const rnd = deterministicRandom('mutations');
    for (const version of [3, 2] as const) {
      const { messages } = exchange(makeAke(version, 'bob', `mut${version}`), makeAke(version, 'alice', `mut${version}`));
      for (let step = 0; step < 4; step++) {
        for (let n = 0; n < 25; n++) {
          const bob = makeAke(version, 'bob', `mut${version}`);
          const alice = makeAke(version, 'alice', `mut${version}`);
          const order: Ake[] = [alice, bob, alice, bob];
          bob.start();
          for (let i = 0; i < step; i++) (order[i] as Ake).receive(messages[i] as Uint8Array);
          const original = messages[step] as Uint8Array;
          const mutated = original.slice();
          const count = 1 + ((rnd(1)[0] as number) % 3);
          for (let k = 0; k < count; k++) {
            const pos = new Reader(rnd(4)).int() % mutated.length;
            mutated[pos] = rnd(1)[0] as number;
          }
          const target = order[step] as Ake;
          const out = target.receive(mutated);
          if (hex(mutated) !== hex(original) && step >= 2) assert.equal(out.done, undefined, `step ${step}`);
        }
      }
    }
  });
});
