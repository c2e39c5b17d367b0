// Checks the ejabberd test fixture itself: Debian's ejabberd starts on loopback with its own
// config, its certificate verifies (only) against the test CA, the c2s port offers nothing but
// (required) STARTTLS, SASL offers SCRAM-SHA-256, seeded contacts are mutual, and the data
// survives stop()/start(). Verification is always on.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startEjabberd, type EjabberdServer } from '../fixtures/ejabberd.js';
import { iq, rawLogin, STREAM_NS, textOf, tlsConnect } from '../fixtures/raw-xmpp.js';

let server: EjabberdServer;
let startMs = 0;
const users = [
  { username: 'alice', password: 'alice-pw' },
  { username: 'bob', password: 'bob-pw' },
];

const target = () => ({ host: server.host, port: server.directTlsPort, domain: server.domain, ca: server.ca.caCertPem });

async function roster(user: string, password: string): Promise<string> {
  const stream = await rawLogin(target(), user, password);
  try {
    return await iq(stream, 'roster', 'get', "<query xmlns='jabber:iq:roster'/>");
  } finally {
    stream.close();
  }
}

function rosterItem(stanza: string, jid: string): string | undefined {
  return stanza.match(new RegExp(`<item\\b[^>]*jid=['"]${jid.replaceAll('.', '\\.')}['"][^>]*>`))?.[0];
}

function refused(port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const s = net.connect({ host: server.host, port }, () => {
      s.destroy();
      resolve();
    });
    s.once('error', reject);
  });
}

before(async () => {
  const t0 = Date.now();
  server = await startEjabberd({ users, contacts: [['alice', 'bob']] });
  startMs = Date.now() - t0;
});

after(async () => {
  await server?.dispose();
  if (server) assert.equal(existsSync(server.dir), false, 'dispose() removes the temp dir');
});

test('direct TLS verifies against the test CA for the domain, and not without it', async (t) => {
  t.diagnostic(`startEjabberd (CA, 2 users, 1 contact pair) took ${startMs} ms`);
  const sock = await tlsConnect({ host: server.host, port: server.directTlsPort, servername: server.domain, ca: server.ca.caCertPem });
  try {
    assert.equal(sock.authorized, true);
    assert.equal(sock.getPeerX509Certificate()?.fingerprint256, server.serverCert.sha256);
  } finally {
    sock.destroy();
  }
  await assert.rejects(
    tlsConnect({ host: server.host, port: server.directTlsPort, servername: server.domain }),
    (err: NodeJS.ErrnoException) => /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT/.test(err.code ?? ''),
  );
});

test('the c2s port offers only (required) STARTTLS; after the upgrade, SASL offers SCRAM-SHA-256', async (t) => {
  const raw = net.connect({ host: server.host, port: server.c2sPort });
  try {
    const plain = textOf(raw);
    const header = `<?xml version='1.0'?><stream:stream to='${server.domain}' ${STREAM_NS}>`;
    raw.write(header);
    const features = await plain.next(/<stream:features[\s\S]*?<\/stream:features>/);
    assert.match(features, /<starttls\b[^>]*urn:ietf:params:xml:ns:xmpp-tls/);
    assert.match(features, /<required\/>/);
    assert.doesNotMatch(features, /<mechanisms/, 'no SASL before TLS (starttls_required)');
    assert.doesNotMatch(features, /jabber:iq:register|<register/, 'no registration before TLS');

    // Before TLS, ejabberd refuses to authenticate even when asked directly.
    const from = plain.mark();
    raw.write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAGFsaWNlLXB3</auth>");
    const answer = await plain.next(/<failure\b[\s\S]*?<\/failure>|<stream:error[\s\S]*?<\/stream:error>|<success\b/, from);
    assert.doesNotMatch(answer, /<success/);
    raw.destroy();

    const raw2 = net.connect({ host: server.host, port: server.c2sPort });
    const p2 = textOf(raw2);
    raw2.write(header);
    await p2.next(/<\/stream:features>/);
    raw2.write("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    await p2.next(/<proceed\b[^>]*\/>/);
    raw2.removeAllListeners('data'); // from here on, TLS owns the bytes
    const secure = await tlsConnect({ socket: raw2, servername: server.domain, ca: server.ca.caCertPem });
    try {
      assert.equal(secure.authorized, true);
      assert.equal(secure.getPeerX509Certificate()?.fingerprint256, server.serverCert.sha256);
      const enc = textOf(secure);
      secure.write(header);
      const after = await enc.next(/<stream:features[\s\S]*?<\/stream:features>/);
      const mechanisms = [...after.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1]);
      t.diagnostic(`ejabberd offers over TLS: ${mechanisms.join(', ')} (TLS ${secure.getProtocol()})`);
      assert.ok(mechanisms.includes('SCRAM-SHA-256'), `SCRAM-SHA-256 offered: ${mechanisms.join(', ')}`);
      assert.doesNotMatch(after, /<starttls/, 'no second STARTTLS');
    } finally {
      secure.destroy();
    }
  } finally {
    raw.destroy();
  }
});

test('registered users sign in; seeded contacts are mutual roster entries (subscription both)', async () => {
  const aliceRoster = await roster('alice', 'alice-pw');
  const bobItem = rosterItem(aliceRoster, `bob@${server.domain}`);
  assert.ok(bobItem, aliceRoster);
  assert.match(bobItem, /subscription=['"]both['"]/);
  assert.match(bobItem, /name=['"]bob['"]/);
  assert.match(rosterItem(await roster('bob', 'bob-pw'), `alice@${server.domain}`) ?? '', /subscription=['"]both['"]/);
  await assert.rejects(rawLogin(target(), 'alice', 'wrong'), /refused/);
});

test('stream management, carbons, offline storage and the archive (MAM, Mnesia) work', async () => {
  const alice = await rawLogin(target(), 'alice', 'alice-pw');
  try {
    assert.match(alice.features, /<sm\b[^>]*urn:xmpp:sm:3/, 'XEP-0198 offered after login');
    await iq(alice, 'carbons', 'set', "<enable xmlns='urn:xmpp:carbons:2'/>");
    const info = await iq(alice, 'disco', 'get', "<query xmlns='http://jabber.org/protocol/disco#info'/>", { to: server.domain });
    for (const feature of ['urn:xmpp:carbons:2', 'urn:xmpp:ping']) assert.match(info, new RegExp(`var=['"]${feature}['"]`));
    alice.send('<presence/>');
    // Bob is offline: the message is stored and delivered when he comes online.
    alice.send(`<message to='bob@${server.domain}' type='chat' id='m1'><body>while you were away</body></message>`);
    await iq(alice, 'ping', 'get', "<ping xmlns='urn:xmpp:ping'/>", { to: server.domain }); // the message was routed
    const bob = await rawLogin(target(), 'bob', 'bob-pw');
    try {
      const from = bob.mark();
      bob.send('<presence/>');
      const offline = await bob.next(/<message\b[\s\S]*?<\/message>/, from);
      assert.match(offline, /while you were away/);
      assert.match(offline, /<delay\b[^>]*urn:xmpp:delay/);
    } finally {
      bob.close();
    }
    const mark = alice.mark();
    await iq(alice, 'mam', 'set', "<query xmlns='urn:xmpp:mam:2' queryid='q1'/>");
    assert.match(alice.text().slice(mark), /<result\b[^>]*queryid=['"]q1['"][\s\S]*?while you were away/, 'the archive has it');
  } finally {
    alice.close();
  }
});

test('stop() then start(): same ports, same data', async (t) => {
  await server.register('carol', 'carol-pw');
  const t0 = Date.now();
  await server.stop();
  const stopMs = Date.now() - t0;
  await assert.rejects(refused(server.c2sPort), { code: 'ECONNREFUSED' });
  await assert.rejects(refused(server.directTlsPort), { code: 'ECONNREFUSED' });
  await assert.rejects(server.register('dave', 'dave-pw'), /needs the server running/);
  const t1 = Date.now();
  await server.start();
  t.diagnostic(`stop ${stopMs} ms, start ${Date.now() - t1} ms`);
  assert.match(await roster('carol', 'carol-pw'), /type=['"]result['"]/);
  assert.match(rosterItem(await roster('alice', 'alice-pw'), `bob@${server.domain}`) ?? '', /both/);
});

test('logText() returns the server log, with no passwords in it', async () => {
  const log = await server.logText();
  assert.match(log, new RegExp(`Start accepting TLS connections at 127\\.0\\.0\\.1:${server.directTlsPort}`));
  assert.match(log, /ejabberd 23\.\d+.* is started/);
  for (const pw of ['alice-pw', 'bob-pw', 'carol-pw']) assert.ok(!log.includes(pw), 'no passwords in the log');
});
