// Checks the OMEMO reference peer itself (tests/fixtures/omemo-peer.ts + omemo-peer/peer.py):
// python-omemo peers chat with each other through a real Prosody in XEP-0384 0.3, in omemo:2,
// across a second device of one account, and with manual trust. Klatsch's own code is not involved.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OMEMO_PROSODY_CONFIG, startOmemoPeer, type OmemoPeer, type OmemoPeerOptions } from '../fixtures/omemo-peer.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';

let server: ProsodyServer;
let dir: string;
const peers: OmemoPeer[] = [];

async function peer(opts: Omit<OmemoPeerOptions, 'server'>): Promise<OmemoPeer> {
  const p = await startOmemoPeer({ server, ...opts });
  peers.push(p);
  return p;
}

before(async () => {
  server = await startProsody({ extraConfig: OMEMO_PROSODY_CONFIG });
  dir = await mkdtemp(path.join(os.tmpdir(), 'klatsch-omemo-peer-test-'));
});

after(async () => {
  await Promise.all(peers.map((p) => p.close()));
  await server?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('OMEMO reference peer (python-omemo over slixmpp, through Prosody)', () => {
  let old: OmemoPeer; // 0.3 only, like Conversations before omemo:2
  let two: OmemoPeer; // omemo:2 only
  let both: OmemoPeer; // both versions, like Gajim

  before(async () => {
    [old, two, both] = await Promise.all([
      peer({ username: 'old', versions: ['oldmemo'] }),
      peer({ username: 'two', versions: ['twomemo'] }),
      peer({ username: 'both', versions: ['oldmemo', 'twomemo'] }),
    ]);
  });

  test('each peer reports its device id and identity key, and publishes with publish-options', () => {
    for (const p of [old, two, both]) {
      assert.ok(p.own, `${p.jid} published`);
      assert.ok(p.own.deviceId >= 1 && p.own.deviceId < 2 ** 31, `device id ${p.own.deviceId} in range`);
      assert.match(p.own.identityKey, /^[0-9a-f]{64}$/);
      assert.match(p.own.curveIdentityKey, /^[0-9a-f]{64}$/);
      assert.equal(p.own.fingerprint.replace(/ /g, ''), p.own.curveIdentityKey);
      assert.ok(p.own.published.length > 0);
      assert.ok(p.own.published.every((x) => x.how === 'publish-options'), JSON.stringify(p.own.published));
    }
    assert.deepEqual(
      old.own!.published.map((x) => x.node).sort(),
      ['eu.siacs.conversations.axolotl.bundles:' + old.own!.deviceId, 'eu.siacs.conversations.axolotl.devicelist'].sort(),
    );
    assert.deepEqual(two.own!.published.map((x) => x.node).sort(), ['urn:xmpp:omemo:2:bundles', 'urn:xmpp:omemo:2:devices']);
  });

  test('a peer sees the other account\'s devices and identity keys as published', async () => {
    const seen = await both.devices(old.jid);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.deviceId, old.own!.deviceId);
    assert.equal(seen[0]!.identityKey, old.own!.identityKey);
    assert.deepEqual(seen[0]!.versions, ['oldmemo']);
    const seenTwo = await both.devices(two.jid);
    assert.deepEqual(seenTwo.map((d) => [d.deviceId, d.identityKey, d.versions]), [[two.own!.deviceId, two.own!.identityKey, ['twomemo']]]);
  });

  test('0.3-only and two-version peers chat in 0.3, both ways', async () => {
    const from = both.events.length;
    const sent = await old.send(both.jid, 'hello in 0.3');
    assert.deepEqual(sent.errors, []);
    assert.deepEqual(sent.messages.map((m) => m.version), ['oldmemo']);
    assert.match(sent.messages[0]!.xml, /<encrypted xmlns="eu\.siacs\.conversations\.axolotl">/);
    const got = await both.nextMessage((m) => m.from === old.jid, undefined, from);
    assert.equal(got.text, 'hello in 0.3');
    assert.equal(got.version, 'oldmemo');
    assert.equal(got.device, old.own!.deviceId);

    const back = old.events.length;
    const reply = await both.send(old.jid, 'reply in 0.3 – äöü ✓');
    assert.deepEqual(reply.messages.map((m) => m.version), ['oldmemo']);
    const answer = await old.nextMessage((m) => m.from === both.jid, undefined, back);
    assert.equal(answer.text, 'reply in 0.3 – äöü ✓');
    assert.equal(answer.device, both.own!.deviceId);
  });

  test('omemo:2-only and two-version peers chat in omemo:2 with SCE envelopes, both ways', async () => {
    const from = both.events.length;
    const sent = await two.send(both.jid, 'hello in omemo:2 <&>');
    assert.deepEqual(sent.messages.map((m) => m.version), ['twomemo']);
    assert.match(sent.messages[0]!.xml, /<encrypted xmlns="urn:xmpp:omemo:2">/);
    const got = await both.nextMessage((m) => m.from === two.jid, undefined, from);
    assert.equal(got.text, 'hello in omemo:2 <&>');
    assert.equal(got.version, 'twomemo');
    assert.equal(got.sce?.from, two.jid);
    assert.equal(got.sce?.to, both.jid);
    assert.deepEqual(got.sce?.problems, []);

    const back = two.events.length;
    await both.send(two.jid, 'reply in omemo:2');
    const answer = await two.nextMessage((m) => m.from === both.jid, undefined, back);
    assert.equal(answer.text, 'reply in omemo:2');
    assert.equal(answer.version, 'twomemo');
  });

  test('the receiving peer reports an SCE envelope whose from is not the sender', async () => {
    const from = both.events.length;
    await two.send(both.jid, 'spoofed', { sce: { from: old.jid } });
    const got = await both.nextMessage((m) => m.from === two.jid && m.text === 'spoofed', undefined, from);
    assert.deepEqual(got.sce?.problems, ['from']);
  });

  test('a 0.3-only peer cannot encrypt for an omemo:2-only account (no common version)', async () => {
    await assert.rejects(old.send(two.jid, 'nobody can read this'), /NoEligibleDevices/);
  });

  test('a second device of an account gets the messages to the account and copies of what the first sends', async () => {
    const second = await both.secondDevice();
    peers.push(second);
    assert.notEqual(second.own!.deviceId, both.own!.deviceId);
    const own = await second.devices(both.jid);
    assert.deepEqual(own.map((d) => d.deviceId).sort(), [both.own!.deviceId, second.own!.deviceId].sort());

    // To the account: both devices can read it.
    const [fromA, fromB] = [both.events.length, second.events.length];
    const sent = await two.send(both.jid, 'to all your devices');
    assert.deepEqual(
      sent.messages[0]!.recipients.filter((r) => r.jid === both.jid).map((r) => r.deviceId).sort(),
      [both.own!.deviceId, second.own!.deviceId].sort(),
    );
    assert.equal((await both.nextMessage((m) => m.text === 'to all your devices', undefined, fromA)).device, two.own!.deviceId);
    assert.equal((await second.nextMessage((m) => m.text === 'to all your devices', undefined, fromB)).device, two.own!.deviceId);

    // From the first device: the second reads the sent carbon.
    const fromC = second.events.length;
    await both.send(two.jid, 'sent from the first device');
    const copy = await second.nextMessage((m) => m.text === 'sent from the first device', undefined, fromC);
    assert.equal(copy.carbon, 'sent');
    assert.equal(copy.from, both.jid);
    assert.equal(copy.device, both.own!.deviceId);
  });

  test('manual trust: sending to an undecided device fails until it is trusted', async () => {
    const careful = await peer({ username: 'careful', versions: ['twomemo'], trust: 'manual' });
    await assert.rejects(careful.send(two.jid, 'not yet'), /TrustDecisionFailed/);
    const seen = await careful.devices(two.jid);
    assert.equal(seen[0]!.trust, 'undecided');
    await careful.trust(two.jid, { deviceId: two.own!.deviceId }, 'trusted');
    const from = two.events.length;
    await careful.send(two.jid, 'now trusted');
    assert.equal((await two.nextMessage((m) => m.from === careful.jid, undefined, from)).text, 'now trusted');
  });

  test('a device that was offline gets what was sent meanwhile when it is back (same device from its storage file)', async () => {
    const sleeper = await peer({ username: 'sleeper', versions: ['twomemo'], storageFile: path.join(dir, 'sleeper.json') });
    const id = sleeper.own!.deviceId;
    await two.send(sleeper.jid, 'before the nap');
    assert.equal((await sleeper.nextMessage((m) => m.from === two.jid)).text, 'before the nap');

    await sleeper.close();
    const sent = await two.send(sleeper.jid, 'while you were away');
    assert.deepEqual(sent.messages[0]!.recipients.map((r) => r.deviceId), [id]);

    const back = await sleeper.restart();
    peers.push(back);
    assert.equal(back.own!.deviceId, id);
    assert.equal(back.own!.identityKey, sleeper.own!.identityKey);
    const got = await back.nextMessage((m) => m.from === two.jid);
    assert.equal(got.text, 'while you were away');
    assert.equal(got.device, two.own!.deviceId);
  });
});
