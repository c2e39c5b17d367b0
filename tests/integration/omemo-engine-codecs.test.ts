// Smoke test of the pieces together, before the account's provider exists: our OMEMO engine
// (electron/core/omemo) with our XMPP codecs (electron/core/omemo/xmpp) on a raw XMPP connection
// talks to python-omemo through Prosody, in both versions and both directions — the peer encrypts
// for the bundle we published and we decrypt it; we build a session from its bundle and it decrypts
// what we send (omemo:2 in an SCE envelope whose affixes both sides check).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import xml, { type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import {
  createOwnDevice,
  decryptKey,
  decryptPayload,
  encryptKey,
  encryptPayload,
  generateDeviceId,
  getBundle,
  startSession,
  type OmemoVersion,
} from '../../electron/core/omemo/index.js';
import { parseBundle } from '../../electron/core/omemo/xmpp/bundle.js';
import { bundleLocation, NAMESPACE } from '../../electron/core/omemo/xmpp/common.js';
import { buildEncrypted, buildOmemoMessage, keyFor, parseEncrypted } from '../../electron/core/omemo/xmpp/encrypted.js';
import { fetchBundle, itemsOf, publishBundle, publishDeviceList, publishFailureAction } from '../../electron/core/omemo/xmpp/pep.js';
import { buildEnvelope, makeRpad, parseEnvelope } from '../../electron/core/omemo/xmpp/sce.js';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer } from '../fixtures/omemo-peer.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { rawLogin, type RawStream } from '../fixtures/raw-xmpp.js';
import { randomBytes } from 'node:crypto';

let server: ProsodyServer;
let peer: OmemoPeer;
const streams: RawStream[] = [];
let counter = 0;

async function request(stream: RawStream, iq: Element): Promise<Element> {
  const id = `e-${++counter}`;
  iq.attrs.id = id;
  const from = stream.mark();
  stream.send(iq.toString());
  return parse(await stream.next(new RegExp(`<iq\\b[^>]*\\bid=['"]${id}['"][^>]*?(/>|>[\\s\\S]*?</iq>)`), from, 10_000));
}

const random = (n: number): Uint8Array => new Uint8Array(randomBytes(n));

before(async () => {
  server = await startProsody({ extraConfig: OMEMO_PROSODY_CONFIG });
  peer = await startOmemoPeer({ server, username: 'reference', versions: ['oldmemo', 'twomemo'] });
});

after(async () => {
  for (const s of streams) s.close();
  await peer?.close();
  await server?.dispose();
});

describe('our OMEMO engine and codecs with python-omemo through Prosody', () => {
  for (const version of ['oldmemo', 'twomemo'] as const satisfies readonly OmemoVersion[]) {
    test(`${version}: python-omemo → us and us → python-omemo`, async () => {
      const user = `engine-${version}`;
      const ourJid = `${user}@${server.domain}`;
      await server.register(user, 'engine-password');
      const stream = await rawLogin({ host: server.host, port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem }, user, 'engine-password');
      streams.push(stream);
      stream.send('<presence/>');

      let device = createOwnDevice(version);
      const deviceId = generateDeviceId();
      for (const req of [publishDeviceList(version, [{ id: deviceId }]), publishBundle(deviceId, getBundle(device))]) {
        assert.equal(publishFailureAction(await request(stream, req.publish)), 'done');
      }

      // python-omemo → us.
      const mark = stream.mark();
      const sent = await peer.send(ourJid, `to the engine in ${version}`, { versions: [version] });
      assert.deepEqual(sent.messages[0]!.recipients, [{ jid: ourJid, deviceId, keyExchange: true }]);
      const stanza = parse(await stream.next(new RegExp(`<message\\b[^>]*\\bid=['"]${sent.messages[0]!.id}['"][\\s\\S]*?</message>`), mark, 10_000));
      const parsed = parseEncrypted(stanza.getChild('encrypted', NAMESPACE[version])!);
      assert.ok(parsed.ok, !parsed.ok ? parsed.error.message : '');
      const key = keyFor(parsed.value, ourJid, deviceId)!;
      const result = decryptKey(device, undefined, key);
      device = result.device;
      const plaintext = decryptPayload(version, { payload: parsed.value.payload!, iv: parsed.value.iv, keyMaterial: result.keyMaterial });
      const text = new TextDecoder().decode(plaintext);
      if (version === 'oldmemo') {
        assert.equal(text, `to the engine in ${version}`);
      } else {
        const envelope = parseEnvelope(text, { from: peer.jid, to: ourJid, sentAt: Date.now() });
        assert.ok(envelope.ok, !envelope.ok ? envelope.error.message : '');
        assert.equal(envelope.value.body, `to the engine in ${version}`);
      }

      // us → python-omemo, from its bundle as our codec reads it.
      const pyDevice = peer.own!.deviceId;
      const items = itemsOf(await request(stream, fetchBundle(version, peer.jid, pyDevice)), bundleLocation(version, pyDevice).node);
      assert.ok(items.ok);
      const bundle = parseBundle(items.value[0]!.payload!);
      assert.ok(bundle.ok, !bundle.ok ? bundle.error.message : '');
      const session = startSession(device, bundle.value);
      const message = `from the engine in ${version}`;
      const content =
        version === 'oldmemo'
          ? message
          : buildEnvelope({ content: [xml('body', { xmlns: 'jabber:client' }, message)], from: ourJid, to: peer.jid, time: new Date(), rpad: makeRpad(random) });
      const sealed = encryptPayload(version, new TextEncoder().encode(content));
      const { element } = encryptKey(session, sealed.keyMaterial);
      const encrypted = buildEncrypted({
        version,
        sid: deviceId,
        keys: [{ jid: version === 'twomemo' ? peer.jid : undefined, rid: pyDevice, ...element }],
        iv: sealed.iv,
        payload: sealed.payload,
      });
      const from = peer.events.length;
      stream.send(buildOmemoMessage({ to: peer.jid, id: `engine-${version}-1`, encrypted }).toString());
      const got = await peer.nextMessage((m) => m.from === ourJid, undefined, from);
      assert.equal(got.text, message);
      assert.equal(got.version, version);
      assert.equal(got.device, deviceId);
      if (version === 'twomemo') assert.deepEqual(got.sce?.problems, []);
    });
  }
});
