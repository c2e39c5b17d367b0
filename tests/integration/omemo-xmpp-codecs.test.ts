// Our OMEMO XMPP codecs (electron/core/omemo/xmpp) against python-omemo through a real Prosody:
// - we fetch what the reference peer published (device lists, bundles, both versions) with our IQs
//   over a raw XMPP connection and our parsers read exactly its device id and identity key;
// - we publish our own device list and bundles with our builders (including the fallback when Prosody
//   refuses publish-options on an existing node) and the peer, a stranger to us, reads them, builds
//   sessions from our bundles (so it verified our signed pre-key) and encrypts for our device; our
//   parser finds our key in what it sent.
// Our crypto engine is not involved: the bundle's keys are made with node:crypto here.
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { parseBundle, type Bundle } from '../../electron/core/omemo/xmpp/bundle.js';
import { DEVICE_LIST_NODE, bundleLocation, NS_OMEMO_03, NS_OMEMO_2, type OmemoVersion } from '../../electron/core/omemo/xmpp/common.js';
import { parseDeviceList } from '../../electron/core/omemo/xmpp/device-list.js';
import { keyFor, parseEncrypted } from '../../electron/core/omemo/xmpp/encrypted.js';
import {
  fetchBundle,
  fetchDeviceList,
  itemsOf,
  publishBundle,
  publishDeviceList,
  publishFailureAction,
} from '../../electron/core/omemo/xmpp/pep.js';
import { buildDeviceList } from '../../electron/core/omemo/xmpp/device-list.js';
import { buildPublish } from '../../electron/core/xmpp/pubsub.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { rawLogin, type RawStream } from '../fixtures/raw-xmpp.js';

let server: ProsodyServer;
let peer: OmemoPeer;
let ours: RawStream & { jid: string };
const OUR_USER = 'klatsch';
const OUR_DEVICE = 1_357_924_680;
let iqCounter = 0;

/** Sends an IQ we built (with a fresh id) and resolves with the reply, result or error, as an element. */
async function request(stream: RawStream, iq: Element): Promise<Element> {
  const id = `codec-${++iqCounter}`;
  iq.attrs.id = id;
  const from = stream.mark();
  stream.send(iq.toString());
  const reply = await stream.next(new RegExp(`<iq\\b[^>]*\\bid=['"]${id}['"][^>]*?(/>|>[\\s\\S]*?</iq>)`), from, 10_000);
  return parse(reply);
}

// ---- a real identity for our device, made with node:crypto -----------------------------------

const P = 2n ** 255n - 19n;
function modPow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = ((base % P) + P) % P;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}
const fromLE = (bytes: Uint8Array): bigint => bytes.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
const toLE = (n: bigint): Uint8Array => Uint8Array.from({ length: 32 }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn));

/** The Curve25519 (Montgomery u) form of an Ed25519 public key: u = (1 + y) / (1 − y) mod p. */
function edToCurve(ed: Uint8Array): Uint8Array {
  const yBytes = Uint8Array.from(ed);
  yBytes[31] = yBytes[31]! & 0x7f;
  const y = fromLE(yBytes);
  return toLE((((1n + y) * modPow(1n - y, P - 2n)) % P + P) % P);
}

const rawPublic = (key: KeyObject): Uint8Array => new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url'));
const x25519Public = (): Uint8Array => rawPublic(generateKeyPairSync('x25519').publicKey);
const withPrefix = (key: Uint8Array): Uint8Array => Uint8Array.from([5, ...key]);

interface OurIdentity {
  edPublic: Uint8Array;
  bundles: Record<OmemoVersion, Bundle>;
}

function makeIdentity(): OurIdentity {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const edPublic = rawPublic(publicKey);
  const spk = x25519Public();
  const preKeys = Array.from({ length: 5 }, (_, i) => ({ id: i + 1, key: x25519Public() }));
  // omemo:2: Ed25519 signature of the raw signed pre-key with the Ed25519 identity key.
  const sig2 = new Uint8Array(sign(null, spk, privateKey));
  // 0.3: the signed data is the libsignal form (0x05 + key); the identity key is published in its
  // Curve25519 form, and the Ed25519 key's sign bit travels in the signature's top bit (always 0 otherwise).
  const sig03 = new Uint8Array(sign(null, withPrefix(spk), privateKey));
  sig03[63] = sig03[63]! | (edPublic[31]! & 0x80);
  return {
    edPublic,
    bundles: {
      twomemo: { version: 'twomemo', identityKey: edPublic, signedPreKeyId: 1, signedPreKey: spk, signedPreKeySignature: sig2, preKeys },
      oldmemo: { version: 'oldmemo', identityKey: edToCurve(edPublic), signedPreKeyId: 1, signedPreKey: spk, signedPreKeySignature: sig03, preKeys },
    },
  };
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

before(async () => {
  server = await startProsody({ extraConfig: OMEMO_PROSODY_CONFIG });
  const password = 'codec-test-password';
  await server.register(OUR_USER, password);
  [peer, ours] = await Promise.all([
    startOmemoPeer({ server, username: 'reference', versions: ['oldmemo', 'twomemo'] }),
    rawLogin({ host: server.host, port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem }, OUR_USER, password),
  ]);
  ours.send('<presence/>'); // available, so messages to our bare JID are delivered to this stream
});

after(async () => {
  ours?.close();
  await peer?.close();
  await server?.dispose();
});

describe('OMEMO XMPP codecs against python-omemo through Prosody', () => {
  for (const version of ['oldmemo', 'twomemo'] as const) {
    test(`we read the reference peer's ${version} device list and bundle exactly as it published them`, async () => {
      const listReply = await request(ours, fetchDeviceList(version, peer.jid));
      const items = itemsOf(listReply, DEVICE_LIST_NODE[version]);
      assert.ok(items.ok, !items.ok ? items.error.message : '');
      assert.equal(items.value.length, 1);
      assert.equal(items.value[0]!.id, 'current');
      const list = parseDeviceList(items.value[0]!.payload!);
      assert.ok(list.ok, !list.ok ? list.error.message : '');
      assert.deepEqual(list.value, { version, devices: [{ id: peer.own!.deviceId }], ignored: 0 });

      const bundleReply = await request(ours, fetchBundle(version, peer.jid, peer.own!.deviceId));
      const bundleItems = itemsOf(bundleReply, bundleLocation(version, peer.own!.deviceId).node);
      assert.ok(bundleItems.ok, !bundleItems.ok ? bundleItems.error.message : '');
      const bundle = parseBundle(bundleItems.value[0]!.payload!);
      assert.ok(bundle.ok, !bundle.ok ? bundle.error.message : '');
      // python-omemo keeps the Ed25519 key; 0.3 publishes its Curve25519 form.
      assert.equal(hex(bundle.value.identityKey), version === 'twomemo' ? peer.own!.identityKey : peer.own!.curveIdentityKey);
      assert.equal(bundle.value.preKeys.length, 100);
      assert.equal(new Set(bundle.value.preKeys.map((k) => k.id)).size, 100);
    });
  }

  test('the peer reads the device lists and bundles we publish (publish-options, and the fallback when Prosody refuses them)', async () => {
    const identity = makeIdentity();
    // An omemo:2 device list node that already exists with Prosody's default settings (presence access):
    // our publish with access_model=open is refused, we configure the node and publish again.
    const plain = buildPublish(DEVICE_LIST_NODE.twomemo, 'current', buildDeviceList('twomemo', [{ id: 99 }]), {});
    plain.getChild('pubsub')!.children = plain.getChild('pubsub')!.children.filter((c) => typeof c === 'string' || c.name !== 'publish-options');
    assert.equal(publishFailureAction(await request(ours, plain)), 'done');

    const list2 = publishDeviceList('twomemo', [{ id: OUR_DEVICE, label: 'Klatsch' }]);
    const refused = await request(ours, list2.publish);
    assert.equal(publishFailureAction(refused), 'configure-then-publish', refused.toString());
    assert.equal(publishFailureAction(await request(ours, list2.configure)), 'done');
    assert.equal(publishFailureAction(await request(ours, list2.publish)), 'done');

    for (const req of [publishDeviceList('oldmemo', [{ id: OUR_DEVICE }]), publishBundle(OUR_DEVICE, identity.bundles['oldmemo']), publishBundle(OUR_DEVICE, identity.bundles['twomemo'])]) {
      const reply = await request(ours, req.publish);
      assert.equal(publishFailureAction(reply), 'done', reply.toString());
    }

    // The peer is no contact of ours: it sees the nodes only because they are open.
    const seen = await peer.devices(`${OUR_USER}@${server.domain}`);
    assert.deepEqual(
      seen.map((d) => ({ id: d.deviceId, versions: d.versions, key: d.identityKey, label: d.label })),
      [{ id: OUR_DEVICE, versions: ['oldmemo', 'twomemo'], key: hex(identity.edPublic), label: 'Klatsch' }],
    );

    // It builds a session from each bundle (verifying our signed pre-key) and encrypts for our device.
    for (const version of ['twomemo', 'oldmemo'] as const) {
      const from = ours.mark();
      const sent = await peer.send(`${OUR_USER}@${server.domain}`, `hello in ${version}`, { versions: [version] });
      assert.deepEqual(sent.errors, []);
      assert.deepEqual(sent.messages.map((m) => m.version), [version]);
      assert.deepEqual(sent.messages[0]!.recipients, [{ jid: `${OUR_USER}@${server.domain}`, deviceId: OUR_DEVICE, keyExchange: true }]);
      const ns = version === 'twomemo' ? NS_OMEMO_2 : NS_OMEMO_03;
      const stanzaText = await ours.next(new RegExp(`<message\\b[^>]*>(?:(?!</message>)[\\s\\S])*xmlns=['"]${ns.replace(/\./g, '\\.')}['"][\\s\\S]*?</message>`), from, 10_000);
      const encrypted = parse(stanzaText).getChild('encrypted', ns)!;
      const parsed = parseEncrypted(encrypted);
      assert.ok(parsed.ok, !parsed.ok ? parsed.error.message : '');
      assert.equal(parsed.value.sid, peer.own!.deviceId);
      const key = keyFor(parsed.value, `${OUR_USER}@${server.domain}`, OUR_DEVICE);
      assert.ok(key, 'our device has a key in the message');
      assert.equal(key.keyExchange, true);
      assert.ok(parsed.value.payload && parsed.value.payload.length > 0);
      if (version === 'oldmemo') assert.equal(parsed.value.iv?.length, 12);
    }
  });
});
