/**
 * The administrator's policy: the three platform readers on sample input,
 * the safest reading of damaged input, precedence (policy > user > default)
 * and the decisions of the PolicyGate.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRegQuery, RegistryParseError } from '../../electron/core/policy/registry.js';
import { parsePlist, PlistParseError } from '../../electron/core/policy/plist.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { loadPolicy, type RunCommand } from '../../electron/core/policy/load-policy.js';
import { PolicyGate, PolicyRefusal } from '../../electron/core/policy/policy-gate.js';
import { SAFEST } from '../../electron/core/policy/policy-schema.js';

const samples = path.join(path.dirname(fileURLToPath(import.meta.url)), 'samples');
const sample = (name: string) => readFileSync(path.join(samples, name));
const enoent = () => Promise.reject(Object.assign(new Error('no such file'), { code: 'ENOENT' }));
const ok = (stdout: string): RunCommand => async () => ({ code: 0, stdout, stderr: '' });

describe('Windows registry (reg query output)', () => {
  test('reads every value type of the policy key and ignores subkeys', () => {
    const values = parseRegQuery(sample('reg-query.txt').toString('utf8'));
    assert.deepEqual(values, {
      serverDomain: 'Example.COM',
      serverHost: 'xmpp.example.com',
      serverPort: 5223,
      directTls: 1,
      otrPolicy: 'always',
      allowPlaintext: 0,
      remoteAllow: ['example.com', '*.partner.org', 'carol@friends.net'],
      remoteDeny: ['mallory@example.com'],
      allowAddAccounts: 0,
      updates: 0,
      keepHistory: 1,
    });
  });

  test('loadPolicy turns DWORDs into booleans and normalises the domain', async () => {
    const loaded = await loadPolicy({ platform: 'win32', run: ok(sample('reg-query.txt').toString('utf8')) });
    assert.equal(loaded.problem, undefined);
    assert.equal(loaded.source, 'registry HKLM\\Software\\Policies\\Klatsch');
    assert.equal(loaded.values.serverDomain, 'example.com');
    assert.equal(loaded.values.directTls, true);
    assert.equal(loaded.values.allowPlaintext, false);
    assert.equal(loaded.values.keepHistory, true);
  });

  test('value names are case-insensitive, as in the registry itself', async () => {
    const output = 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Klatsch\r\n    ServerDomain    REG_SZ    example.com\r\n    UPDATES    REG_DWORD    0x0\r\n';
    const loaded = await loadPolicy({ platform: 'win32', run: ok(output) });
    assert.equal(loaded.problem, undefined);
    assert.deepEqual(loaded.values, { serverDomain: 'example.com', updates: false });
  });

  test('an absent key is "no policy", not a problem', async () => {
    const run: RunCommand = async () => ({ code: 1, stdout: '', stderr: 'ERROR: The system was unable to find the specified registry key or value.\r\n' });
    const loaded = await loadPolicy({ platform: 'win32', run });
    assert.equal(loaded.problem, undefined);
    assert.deepEqual(loaded.values, {});
    // The same on a German Windows, whose reg.exe says it in German.
    const german: RunCommand = async () => ({ code: 1, stdout: '', stderr: 'FEHLER: Der angegebene Registrierungsschlüssel bzw. Wert wurde nicht gefunden.\r\n' });
    assert.equal((await loadPolicy({ platform: 'win32', run: german })).problem, undefined);
  });

  test('garbage output, an unsupported type or a failing reg.exe give the safest reading', async () => {
    assert.throws(() => parseRegQuery('hello world'), RegistryParseError);
    assert.throws(() => parseRegQuery('HKEY_LOCAL_MACHINE\\Software\\Policies\\Klatsch\n    x    REG_BINARY    00ff\n'), RegistryParseError);
    assert.throws(() => parseRegQuery('HKEY_LOCAL_MACHINE\\Software\\Policies\\Klatsch\n    serverPort    REG_DWORD    12\n'), /hexadecimal/);
    for (const run of [
      ok('\x00\x01 garbage'),
      (async () => ({ code: 5, stdout: '', stderr: 'ERROR: Access is denied.' })) as RunCommand,
      (async () => ({ code: 1, stdout: '', stderr: 'ERROR: Access is denied.' })) as RunCommand,
      (async () => {
        throw new Error('spawn reg.exe ENOENT');
      }) as RunCommand,
    ]) {
      const loaded = await loadPolicy({ platform: 'win32', run });
      assert.match(loaded.problem ?? '', /could not be read/);
      assert.equal(loaded.values.allowPlaintext, false);
      assert.equal(loaded.values.allowAddAccounts, false);
      assert.equal(loaded.values.otrPolicy, 'always');
      assert.equal(loaded.values.updates, false);
      assert.equal(loaded.values.keepHistory, false);
      assert.equal(loaded.remoteOwnDomainOnly, true);
    }
  });
});

describe('macOS managed preferences (XML plist)', () => {
  test('reads the sample', async () => {
    const loaded = await loadPolicy({ platform: 'darwin', macFile: '/x/com.klatsch.desktop.plist', readFile: async () => sample('managed-preferences.plist') });
    assert.equal(loaded.problem, undefined);
    assert.deepEqual(loaded.values, {
      serverDomain: 'example.com',
      serverPort: 5223,
      directTls: true,
      otrPolicy: 'opportunistic',
      remoteDeny: ['rival.example', 'eve&co@partner.org'],
      allowAddAccounts: false,
      updates: false,
    });
  });

  test('a binary plist is converted with plutil', async () => {
    const calls: string[][] = [];
    const run: RunCommand = async (file, args) => {
      calls.push([file, ...args]);
      return { code: 0, stdout: sample('managed-preferences.plist').toString('utf8'), stderr: '' };
    };
    const loaded = await loadPolicy({ platform: 'darwin', macFile: '/p.plist', readFile: async () => Buffer.from('bplist00\x00\x01'), run });
    assert.deepEqual(calls, [['/usr/bin/plutil', '-convert', 'xml1', '-o', '-', '/p.plist']]);
    assert.equal(loaded.values.serverPort, 5223);
  });

  test('the parser keeps whitespace in strings, decodes entities and refuses what is not a plist', () => {
    assert.deepEqual(parsePlist('<plist><dict><key>a</key><string> x &lt;y&gt; &#x41;</string><key>b</key><array/></dict></plist>'), { a: ' x <y> A', b: [] });
    for (const bad of [
      '',
      '<plist><dict><key>a</key></dict></plist>',
      '<plist><dict><string>a</string></dict></plist>',
      '<plist><integer>1.5</integer></plist>',
      '<!DOCTYPE plist [<!ENTITY x "y">]><plist><string>&x;</string></plist>',
      '<plist><string>&bogus;</string></plist>',
      '<plist><dict></plist>',
      '<plist><true/></plist><plist/>',
    ]) {
      assert.throws(() => parsePlist(bad), PlistParseError, bad);
    }
  });

  test('hostile and truncated plists are refused (the lenient reader would fill the holes in), never crash', async () => {
    const hostile = [
      '<plist><dict><key>updates</key><true/><key>allowPlaintext</key></dict></plist>',
      '<plist></plist>',
      '<plist><dict><key>allowPlaintext</key><key>updates</key><true/></dict></plist>',
      '<plist><dict><key>maxIdle</key><integer>abc</integer></dict></plist>',
      '<plist><dict><key>x</key><real>NaN</real></dict></plist>',
      '<plist><dict><key>x</key><date>yesterday</date></dict></plist>',
      '<plist><dict><key>__proto__</key><dict><key>allowPlaintext</key><true/></dict></dict></plist>',
      '<!DOCTYPE plist SYSTEM "file:///etc/passwd"><plist><string>&xxe;</string></plist>',
      '<!DOCTYPE plist [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;&a;">]><plist><string>&b;</string></plist>',
      '<plist><dict><key>updates</key><script/></dict></plist>',
      `<plist>${'<array>'.repeat(100_000)}${'</array>'.repeat(100_000)}</plist>`,
      '\u0000\u0001bplist',
    ];
    for (const bad of hostile) {
      assert.throws(() => parsePlist(bad), PlistParseError, bad.slice(0, 80));
      const loaded = await loadPolicy({ platform: 'darwin', macFile: '/p', readFile: async () => Buffer.from(bad) });
      assert.match(loaded.problem ?? '', /not a valid property list/, bad.slice(0, 80));
      assert.equal(loaded.values.allowPlaintext, false, 'the safest reading');
    }
    assert.equal(({} as Record<string, unknown>).allowPlaintext, undefined, 'no prototype was polluted');
  });

  test('a damaged plist and an unreadable file give the safest reading; a missing one is no policy', async () => {
    const damaged = await loadPolicy({ platform: 'darwin', macFile: '/p', readFile: async () => Buffer.from('<plist><dict><key>updates</key>') });
    assert.match(damaged.problem ?? '', /not a valid property list/);
    assert.equal(damaged.values.allowPlaintext, false);
    const denied = await loadPolicy({ platform: 'darwin', macFile: '/p', readFile: () => Promise.reject(Object.assign(new Error('x'), { code: 'EACCES' })) });
    assert.match(denied.problem ?? '', /EACCES/);
    const none = await loadPolicy({ platform: 'darwin', macFile: '/p', readFile: enoent });
    assert.equal(none.problem, undefined);
    assert.deepEqual(none.values, {});
  });
});

describe('Linux /etc/klatsch/policy.json', () => {
  test('reads the sample from the injected path', async () => {
    const read: string[] = [];
    const loaded = await loadPolicy({ platform: 'linux', linuxFile: path.join(samples, 'policy.json'), readFile: async (p) => (read.push(p), sample('policy.json')) });
    assert.deepEqual(read, [path.join(samples, 'policy.json')]);
    assert.equal(loaded.problem, undefined);
    assert.deepEqual(loaded.values.remoteAllow, ['example.com', 'bob@partner.org']);
  });

  test('invalid JSON, a non-object, wrong types and unknown keys are reported with the safest reading', async () => {
    for (const [text, why] of [
      ['{ "serverDomain": ', /not valid JSON/],
      ['[1,2]', /not a set of keys/],
      ['null', /not a set of keys/],
      ['{ "updates": "yes" }', /"updates"/],
      ['{ "allowPlaintext": 0 }', /"allowPlaintext"/], // numbers as booleans only from the registry
      ['{ "alowPlaintext": false }', /unknown key "alowPlaintext"/],
      ['{ "serverPort": 70000 }', /"serverPort"/],
      ['{ "remoteAllow": ["a b"] }', /"remoteAllow"/],
      ['{ "pinnedCertificates": ["not a certificate"] }', /"pinnedCertificates"/],
    ] as const) {
      const loaded = await loadPolicy({ platform: 'linux', linuxFile: '/p.json', readFile: async () => Buffer.from(text) });
      assert.match(loaded.problem ?? '', why, text);
      assert.match(loaded.problem ?? '', /most restrictive/);
      const gate = new PolicyGate(loaded);
      assert.equal(gate.plaintextAllowed, false, text);
      assert.equal(gate.updatesEnabled(true), false, text);
      assert.equal(gate.historyKept(true), false, text);
      assert.equal(gate.otrPolicy('never'), 'always', text);
      assert.throws(() => gate.checkNewAccount('me@example.com', []), PolicyRefusal, text);
      assert.throws(() => gate.checkRemote('me@example.com', 'x@elsewhere.org'), PolicyRefusal, text);
      assert.doesNotThrow(() => gate.checkRemote('me@example.com', 'colleague@example.com'), text);
      assert.equal(gate.view([]).problem, loaded.problem);
    }
  });

  test('keys the damaged policy did set validly are kept', () => {
    const loaded = readPolicy({ serverDomain: 'example.com', remoteAllow: ['partner.org'], nonsense: 1 }, 'test');
    assert.ok(loaded.problem);
    assert.equal(loaded.values.serverDomain, 'example.com');
    assert.equal(loaded.remoteOwnDomainOnly, false, 'the valid allow list replaces the own-domain fallback');
    const gate = new PolicyGate(loaded);
    assert.doesNotThrow(() => gate.checkRemote('me@example.com', 'x@partner.org'));
    assert.throws(() => gate.checkRemote('me@example.com', 'x@example.com'), PolicyRefusal);
    // The only account that can be added is the one on the company server.
    assert.doesNotThrow(() => gate.checkNewAccount('me@example.com', []));
  });

  test('the safest values are the most restrictive ones', () => {
    assert.deepEqual(SAFEST, { otrPolicy: 'always', otrV3Only: true, allowPlaintext: false, allowAddAccounts: false, updates: false, keepHistory: false, notifications: 'sender-only', remoteOwnDomainOnly: true });
  });
});

describe('garbage never crashes and never opens up', () => {
  test('thousands of mangled registry outputs, plists and JSON files', async () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const mangle = (text: string) => {
      const chars = [...text];
      for (let n = 1 + Math.floor(random() * 6); n > 0; n--) {
        const at = Math.floor(random() * chars.length);
        const op = random();
        if (op < 0.33) chars.splice(at, 1);
        else if (op < 0.66) chars.splice(at, 0, String.fromCharCode(Math.floor(random() * 128)));
        else chars.splice(at, Math.floor(random() * 20));
      }
      return chars.join('');
    };
    const inputs = { win32: sample('reg-query.txt').toString('utf8'), darwin: sample('managed-preferences.plist').toString('utf8'), linux: sample('policy.json').toString('utf8') };
    for (let i = 0; i < 3000; i++) {
      const platform = (['win32', 'darwin', 'linux'] as const)[i % 3]!;
      const text = mangle(inputs[platform]);
      const loaded = await loadPolicy({ platform, run: ok(text), readFile: async () => Buffer.from(text), macFile: '/p', linuxFile: '/p' });
      if (loaded.problem) {
        // Damaged: whatever was read validly stays; everything else is at its strictest.
        const gate = new PolicyGate(loaded);
        assert.equal(gate.plaintextAllowed, false, text);
        assert.equal(gate.updatesEnabled(true), false, text);
        assert.ok(loaded.values.allowAddAccounts === false || loaded.values.allowAddAccounts === undefined, text);
      } else {
        assert.ok(Object.keys(loaded.values).every((k) => k in SAFEST || ['serverDomain', 'serverHost', 'serverPort', 'directTls', 'remoteAllow', 'remoteDeny', 'pinnedCertificates'].includes(k)), text);
      }
    }
  });
});

describe('precedence: policy > user setting > default', () => {
  const gate = (values: object) => new PolicyGate(readPolicy(values, 'test'));

  test('updates and history', () => {
    assert.equal(gate({}).updatesEnabled(), true, 'default');
    assert.equal(gate({}).updatesEnabled(false), false, 'user');
    assert.equal(gate({ updates: true }).updatesEnabled(false), true, 'policy over user');
    assert.equal(gate({ updates: false }).updatesEnabled(true), false, 'policy over user');
    assert.equal(gate({}).historyKept(), true);
    assert.equal(gate({}).historyKept(false), false);
    assert.equal(gate({ keepHistory: false }).historyKept(true), false);
  });

  test('OTR policy', () => {
    assert.equal(gate({}).otrPolicy('manual'), 'manual', 'user (or default) when the policy says nothing');
    assert.equal(gate({ otrPolicy: 'always' }).otrPolicy('never'), 'always');
    assert.equal(gate({ otrPolicy: 'manual' }).otrPolicy('always'), 'manual', 'a locked policy is a lock both ways');
    assert.equal(gate({ allowPlaintext: false }).otrPolicy('opportunistic'), 'always', 'no plaintext at all means always private');
    assert.equal(gate({ otrPolicy: 'never', allowPlaintext: false }).otrPolicy('manual'), 'always', 'the stricter of two locks wins');
    assert.equal(gate({}).otrPolicyLocked, false);
    assert.equal(gate({ allowPlaintext: false }).otrPolicyLocked, true);
  });

  test('end-to-end encryption schemes: the listed ones in their order; a bad list is a problem, not a lock', () => {
    assert.equal(gate({}).encryptionSchemes(), undefined, 'absent: every scheme');
    assert.deepEqual(gate({ encryptionSchemes: ['omemo', 'otr'] }).encryptionSchemes(), ['omemo', 'otr']);
    assert.deepEqual(gate({ encryptionSchemes: 'otr' }).encryptionSchemes(), ['otr'], 'one string is a list of one');
    const bad = readPolicy({ encryptionSchemes: ['OTR!'] }, 'test');
    assert.ok(bad.problem);
    assert.equal(new PolicyGate(bad).encryptionSchemes(), undefined);
  });

  test('server host and port for the company domain only', () => {
    const g = gate({ serverDomain: 'example.com', serverHost: 'xmpp.example.com', serverPort: 5223, directTls: true });
    assert.deepEqual(g.connection('me@example.com', { host: 'other', port: 1, directTls: false }), { host: 'xmpp.example.com', port: 5223, directTls: true });
    assert.deepEqual(g.connection('me@gmail.example', { host: 'h', directTls: false }), { host: 'h', directTls: false });
    assert.deepEqual(gate({}).connection('me@example.com', { port: 5222, directTls: false }), { port: 5222, directTls: false });
    assert.match(g.connectionConflict('me@example.com', { host: 'evil.example' }) ?? '', /server to xmpp\.example\.com/);
    assert.equal(g.connectionConflict('me@example.com', { host: 'XMPP.example.com', port: 5223 }), undefined);
    assert.equal(g.connectionConflict('me@example.com', {}), undefined);
  });
});

describe('PolicyGate decisions', () => {
  const gate = (values: object) => new PolicyGate(readPolicy(values, '/etc/klatsch/policy.json'));

  test('adding accounts', () => {
    assert.doesNotThrow(() => gate({}).checkNewAccount('a@any.example', ['b@other.example']));
    const company = gate({ serverDomain: 'example.com', allowAddAccounts: false });
    assert.doesNotThrow(() => company.checkNewAccount('me@example.com', []));
    assert.throws(() => company.checkNewAccount('me@gmail.example', []), /only accounts on example\.com/);
    assert.throws(() => company.checkNewAccount('me2@example.com', ['me@example.com']), /only one account/);
    assert.throws(() => gate({ allowAddAccounts: false }).checkNewAccount('me@example.com', []), /turned off/);
    assert.equal(company.view([]).addAccounts, 'server-domain-only');
    assert.equal(company.view(['me@example.com']).addAccounts, 'locked');
    assert.equal(gate({}).view([]).addAccounts, 'allowed');
  });

  test('remote allow and deny lists, down to single addresses', () => {
    const g = gate({ remoteAllow: ['example.com', '*.partner.org', 'carol@friends.net'], remoteDeny: ['mallory@example.com', 'x.partner.org'] });
    const me = 'me@example.com';
    for (const ok of ['bob@example.com', 'BOB@Example.com', 'a@eu.partner.org', 'carol@friends.net']) assert.doesNotThrow(() => g.checkRemote(me, ok), ok);
    for (const no of ['mallory@example.com', 'a@x.partner.org', 'a@partner.org', 'dave@friends.net', 'a@example.com.evil']) {
      assert.throws(() => g.checkRemote(me, no), /does not allow messages to/, no);
    }
    assert.doesNotThrow(() => gate({}).checkRemote(me, 'anyone@anywhere.example'));
    assert.throws(() => gate({ remoteDeny: ['anywhere.example'] }).checkRemote(me, 'anyone@anywhere.example'), PolicyRefusal);
  });

  test('adding a contact from a refused domain names that domain (federation); a single refused address names the address', () => {
    const g = gate({ remoteAllow: ['example.com', 'carol@friends.net'], remoteDeny: ['corp-d.test', 'mallory@example.com'] });
    const me = 'me@example.com';
    assert.throws(() => g.checkRemote(me, 'dave@corp-d.test', 'contact'), /does not allow contacts at corp-d\.test, so dave@corp-d\.test cannot be added/);
    assert.throws(() => g.checkRemote(me, 'eve@elsewhere.test', 'contact'), /does not allow contacts at elsewhere\.test/, 'not on the allow list');
    assert.throws(() => g.checkRemote(me, 'mallory@example.com', 'contact'), /does not allow mallory@example\.com as a contact\.$/);
    assert.throws(() => g.checkRemote(me, 'dan@friends.net', 'contact'), /does not allow dan@friends\.net as a contact\.$/, 'another address at friends.net is allowed');
    assert.doesNotThrow(() => g.checkRemote(me, 'carol@friends.net', 'contact'));
    assert.throws(() => g.checkRemote(me, 'dave@corp-d.test'), /does not allow messages to dave@corp-d\.test/, 'messages keep their wording');
  });

  test('what a blocked sender is named by: its domain when the whole domain is refused, else the address alone', () => {
    const g = gate({ remoteAllow: ['example.com', 'carol@friends.net'], remoteDeny: ['corp-d.test', 'mallory@example.com'] });
    const me = 'me@example.com';
    assert.equal(g.blockedRemote(me, 'Dave@Corp-D.test'), 'corp-d.test');
    assert.equal(g.blockedRemote(me, 'eve@elsewhere.test'), 'elsewhere.test', 'not on the allow list');
    assert.equal(g.blockedRemote(me, 'mallory@example.com'), 'mallory@example.com');
    assert.equal(g.blockedRemote(me, 'dan@friends.net'), 'dan@friends.net', 'another address at friends.net is allowed');
    assert.equal(g.blockedRemote(me, 'carol@friends.net'), undefined);
    assert.equal(g.blockedRemote(me, 'bob@example.com'), undefined);
    assert.equal(gate({}).blockedRemote(me, 'anyone@anywhere.example'), undefined);
  });

  test('a denied domain covers its subdomains (its group chats); an allowed one does not; refusals carry what they refuse', () => {
    const g = gate({ remoteAllow: ['example.com', 'corp-d.test', 'conference.corp-d.test'], remoteDeny: ['corp-d.test'] });
    const me = 'me@example.com';
    assert.equal(g.blockedRemote(me, 'room@conference.corp-d.test'), 'conference.corp-d.test');
    assert.equal(g.blockedRemote(me, 'a@deep.sub.corp-d.test'), 'deep.sub.corp-d.test');
    assert.equal(g.blockedRemote(me, 'a@notcorp-d.test'), 'notcorp-d.test', 'not on the allow list, not a subdomain of corp-d.test');
    assert.equal(gate({ remoteDeny: ['corp-d.test'] }).blockedRemote(me, 'a@notcorp-d.test'), undefined, 'a longer name is not a subdomain');
    assert.equal(gate({ remoteAllow: ['example.com'] }).blockedRemote(me, 'room@conference.example.com'), 'conference.example.com', 'allowing stays exact');
    const refusal = (f: () => void): PolicyRefusal => {
      try {
        f();
      } catch (error) {
        if (error instanceof PolicyRefusal) return error;
      }
      throw new Error('not refused');
    };
    const room = refusal(() => g.checkRemote(me, 'Room@Conference.corp-d.test', 'room'));
    assert.equal(room.message, 'Your administrator does not allow group chats at conference.corp-d.test, so room@conference.corp-d.test cannot be entered.');
    assert.deepEqual(room.remote, { action: 'room', address: 'room@conference.corp-d.test', blocked: 'conference.corp-d.test' });
    assert.deepEqual(refusal(() => g.checkRemote(me, 'dave@corp-d.test', 'contact')).remote, { action: 'contact', address: 'dave@corp-d.test', blocked: 'corp-d.test' });
  });

  test('the view says what is locked and why', () => {
    const v = gate({ serverDomain: 'example.com', serverPort: 5223, allowPlaintext: false, updates: false }).view([]);
    assert.equal(v.source, '/etc/klatsch/policy.json');
    assert.equal(v.serverDomain, 'example.com');
    assert.equal(v.serverPort, 5223);
    assert.equal(v.otrPolicy, 'always');
    assert.equal(v.plaintextAllowed, false);
    assert.equal(v.updates, false);
    assert.equal(v.keepHistory, true);
    assert.equal(v.remoteRestricted, false);
    assert.match(v.reason, /Set by your administrator \(\/etc\/klatsch\/policy\.json\)/);
    const none = new PolicyGate().view([]);
    assert.equal(none.source, undefined);
    assert.equal(none.otrPolicy, undefined, 'nothing locked without a policy');
  });
});
