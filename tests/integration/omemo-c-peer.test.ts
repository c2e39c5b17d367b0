// The second reference peer, libomemo-c (tests/fixtures/omemo-c-peer.ts), checked twice: two C peers
// hold a session with each other, and a C peer talks OMEMO 0.3 with python-omemo through Prosody —
// the XML on the wire (device list, bundle, <encrypted>) made and read by our codecs, a raw XMPP
// connection carrying it. Two independent implementations agreeing through our codecs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { parseBundle } from '../../electron/core/omemo/xmpp/bundle.js';
import { bundleLocation, DEVICE_LIST_NODE, NS_OMEMO_03 } from '../../electron/core/omemo/xmpp/common.js';
import { parseDeviceList } from '../../electron/core/omemo/xmpp/device-list.js';
import { buildEncrypted, buildOmemoMessage, keyFor, parseEncrypted } from '../../electron/core/omemo/xmpp/encrypted.js';
import { fetchBundle, fetchDeviceList, itemsOf, publishBundle, publishDeviceList, publishFailureAction } from '../../electron/core/omemo/xmpp/pep.js';
import { startOmemoCPeer, type OmemoCPeer } from '../fixtures/omemo-c-peer.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { rawLogin, type RawStream } from '../fixtures/raw-xmpp.js';

const peers: OmemoCPeer[] = [];
async function cPeer(deviceId: number): Promise<OmemoCPeer> {
  const p = await startOmemoCPeer({ deviceId });
  peers.push(p);
  return p;
}
const text = (b: Uint8Array | undefined): string | undefined => (b === undefined ? undefined : new TextDecoder().decode(b));

after(async () => {
  await Promise.all(peers.map((p) => p.close()));
});

describe('libomemo-c peer', () => {
  test('two C peers: a key exchange, a reply, and a tampered payload refused', async () => {
    const [alice, bob] = await Promise.all([cPeer(111), cPeer(222)]);
    assert.equal(alice.bundle.identityKey.length, 32);
    assert.equal(alice.bundle.signedPreKeySignature.length, 64);
    assert.equal(alice.bundle.preKeys.length, 20);

    await alice.session('bob', 222, bob.bundle);
    const first = await alice.encrypt('bob', 222, 'hello from libomemo-c');
    assert.equal(first.keyExchange, true);
    assert.equal(first.iv.length, 12);
    assert.equal(text(await bob.decrypt('alice', 111, first)), 'hello from libomemo-c');

    const reply = await bob.encrypt('alice', 111, 'and back');
    assert.equal(reply.keyExchange, false);
    assert.equal(text(await alice.decrypt('bob', 222, reply)), 'and back');

    const next = await alice.encrypt('bob', 222, 'tampered');
    const payload = Uint8Array.from(next.payload!);
    payload[0] = payload[0]! ^ 1;
    await assert.rejects(bob.decrypt('alice', 111, { ...next, payload }), /payload authentication failed/);
  });

  test('a bundle whose signed pre-key signature does not verify is refused', async () => {
    const [alice, bob] = await Promise.all([cPeer(333), cPeer(444)]);
    const signature = Uint8Array.from(bob.bundle.signedPreKeySignature);
    signature[5] = signature[5]! ^ 0x10;
    await assert.rejects(alice.session('bob', 444, { ...bob.bundle, signedPreKeySignature: signature }), /signature does not verify/);
  });
});

describe('libomemo-c and python-omemo in OMEMO 0.3 through Prosody, on our codecs', () => {
  let server: ProsodyServer;
  let python: OmemoPeer;
  let c: OmemoCPeer;
  let stream: RawStream & { jid: string };
  let counter = 0;
  const C_DEVICE = 1_098_765_432;
  let cBare: string;

  async function request(iq: Element): Promise<Element> {
    const id = `c-${++counter}`;
    iq.attrs.id = id;
    const from = stream.mark();
    stream.send(iq.toString());
    return parse(await stream.next(new RegExp(`<iq\\b[^>]*\\bid=['"]${id}['"][^>]*?(/>|>[\\s\\S]*?</iq>)`), from, 10_000));
  }

  before(async () => {
    server = await startProsody({ extraConfig: OMEMO_PROSODY_CONFIG });
    await server.register('cpeer', 'c-peer-password');
    cBare = `cpeer@${server.domain}`;
    [python, c, stream] = await Promise.all([
      startOmemoPeer({ server, username: 'python', versions: ['oldmemo'] }),
      cPeer(C_DEVICE),
      rawLogin({ host: server.host, port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem }, 'cpeer', 'c-peer-password'),
    ]);
    stream.send('<presence/>');
    // The C device's device list and bundle, published with our codecs.
    for (const req of [publishDeviceList('oldmemo', [{ id: C_DEVICE }]), publishBundle(C_DEVICE, c.bundle)]) {
      assert.equal(publishFailureAction(await request(req.publish)), 'done');
    }
  });

  after(async () => {
    stream?.close();
    await python?.close();
    await server?.dispose();
  });

  test('libomemo-c encrypts for python-omemo from the bundle our codecs fetched; python-omemo decrypts', async () => {
    const list = itemsOf(await request(fetchDeviceList('oldmemo', python.jid)), DEVICE_LIST_NODE.oldmemo);
    assert.ok(list.ok);
    const devices = parseDeviceList(list.value[0]!.payload!);
    assert.ok(devices.ok);
    const pyDevice = devices.value.devices[0]!.id;
    assert.equal(pyDevice, python.own!.deviceId);
    const items = itemsOf(await request(fetchBundle('oldmemo', python.jid, pyDevice)), bundleLocation('oldmemo', pyDevice).node);
    assert.ok(items.ok);
    const bundle = parseBundle(items.value[0]!.payload!);
    assert.ok(bundle.ok, !bundle.ok ? bundle.error.message : '');

    await c.session(python.jid, pyDevice, bundle.value, 7);
    const sealed = await c.encrypt(python.jid, pyDevice, 'Grüße aus libomemo-c');
    const encrypted = buildEncrypted({
      version: 'oldmemo',
      sid: C_DEVICE,
      keys: [{ rid: pyDevice, keyExchange: sealed.keyExchange, data: sealed.data }],
      iv: sealed.iv,
      payload: sealed.payload!,
    });
    const from = python.events.length;
    stream.send(buildOmemoMessage({ to: python.jid, id: 'c-msg-1', encrypted, fallbackBody: 'OMEMO' }).toString());
    const got = await python.nextMessage((m) => m.from === cBare, undefined, from);
    assert.equal(got.text, 'Grüße aus libomemo-c');
    assert.equal(got.device, C_DEVICE);
    assert.equal(got.version, 'oldmemo');
  });

  test('python-omemo answers; our codec finds the C device key; libomemo-c decrypts', async () => {
    const mark = stream.mark();
    const sent = await python.send(cBare, 'Antwort aus python-omemo', { versions: ['oldmemo'] });
    assert.deepEqual(sent.messages[0]!.recipients.map((r) => r.deviceId), [C_DEVICE]);
    const ns = NS_OMEMO_03.replace(/\./g, '\\.');
    const stanza = await stream.next(new RegExp(`<message\\b[^>]*\\bid=['"]${sent.messages[0]!.id}['"][\\s\\S]*?</message>`), mark, 10_000);
    assert.match(stanza, new RegExp(`xmlns=['"]${ns}['"]`));
    const parsed = parseEncrypted(parse(stanza).getChild('encrypted', NS_OMEMO_03)!);
    assert.ok(parsed.ok, !parsed.ok ? parsed.error.message : '');
    const key = keyFor(parsed.value, cBare, C_DEVICE);
    assert.ok(key);
    const plain = await c.decrypt(python.jid, python.own!.deviceId, { data: key.data, keyExchange: key.keyExchange, iv: parsed.value.iv!, payload: parsed.value.payload! });
    assert.equal(text(plain), 'Antwort aus python-omemo');
  });
});
