/**
 * Per-user policy under the machine policy: the machine's keys win one by one (a user policy can
 * set what the machine leaves open, never loosen what it sets), on each platform's reader fed
 * sample output; and a policy that changes while the app runs applies at once, telling the user
 * which keys changed (Linux JSON file, watched on a real file system).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadEffectivePolicy, loadUserPolicy, type RunCommand } from '../../electron/core/policy/load-policy.js';
import { mergePolicies } from '../../electron/core/policy/merge-policy.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { watchPolicy } from '../../electron/core/policy/watch-policy.js';
import { KlatschCore } from '../../electron/core/klatsch-core.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import type { EventOf } from '../../shared/contract.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { wordedText } from '../../renderer/i18n/errors.js';

const samples = path.join(path.dirname(fileURLToPath(import.meta.url)), 'samples');
const sample = (name: string) => readFileSync(path.join(samples, name));

describe('per-user policy under the machine policy', () => {
  test('Windows: HKCU sets what HKLM leaves open; HKLM wins every key both set', async () => {
    const run: RunCommand = async (_file, args) => ({
      code: 0,
      stdout: sample(args[1]?.startsWith('HKCU') ? 'reg-query-user.txt' : 'reg-query.txt').toString('utf8'),
      stderr: '',
    });
    const user = await loadUserPolicy({ platform: 'win32', run });
    assert.equal(user.source, 'registry HKCU\\Software\\Policies\\Klatsch');
    assert.deepEqual(user.values, { updates: true, allowPlaintext: true, keepHistory: false, notifications: 'sender-only' });
    const loaded = await loadEffectivePolicy({ platform: 'win32', run });
    assert.equal(loaded.problem, undefined);
    assert.equal(loaded.values.updates, false, 'the machine turned updates off; the user policy cannot turn them on');
    assert.equal(loaded.values.allowPlaintext, false, 'the machine forbids plaintext');
    assert.equal(loaded.values.keepHistory, true, 'the machine keeps history');
    assert.equal(loaded.values.notifications, 'sender-only', 'the machine leaves notifications open: the user policy sets them');
    assert.equal(loaded.values.serverDomain, 'example.com');
    assert.match(loaded.source ?? '', /HKLM.*HKCU/);
  });

  test('macOS: per-user managed preferences under the machine ones', async () => {
    const files: Record<string, string> = { '/m.plist': 'managed-preferences.plist', '/u.plist': 'managed-preferences-user.plist' };
    const readFile = async (p: string) => sample(files[p]!);
    const loaded = await loadEffectivePolicy({ platform: 'darwin', macFile: '/m.plist', macUserFile: '/u.plist', readFile });
    assert.equal(loaded.problem, undefined);
    assert.equal(loaded.values.otrPolicy, 'opportunistic', 'the machine sets the OTR policy');
    assert.equal(loaded.values.updates, false, 'the machine turned updates off');
    assert.equal(loaded.values.keepHistory, false, 'the machine leaves history open: the user policy turns it off');
  });

  test('the default per-user plist is the user’s folder under Managed Preferences', async () => {
    const read: string[] = [];
    const readFile = async (p: string) => {
      read.push(p);
      throw Object.assign(new Error('none'), { code: 'ENOENT' });
    };
    await loadUserPolicy({ platform: 'darwin', userName: 'alice', readFile });
    assert.deepEqual(read, ['/Library/Managed Preferences/alice/com.klatsch.desktop.plist']);
  });

  test('a damaged user policy restricts only what the machine leaves open', () => {
    const machine = readPolicy({ updates: true, otrPolicy: 'manual' }, '/etc/klatsch/policy.json');
    const damagedUser = readPolicy({ updates: 'yes please' }, 'user');
    const merged = mergePolicies(machine, damagedUser);
    assert.equal(merged.values.updates, true, 'the machine decided');
    assert.equal(merged.values.otrPolicy, 'manual', 'the machine decided');
    assert.equal(merged.values.allowPlaintext, false, 'open on the machine: the safest reading');
    assert.match(merged.problem ?? '', /could not be read completely/);
    // By reason for the UI's words, naming the policy read and the administrator's keys.
    assert.deepEqual(
      merged.problemReasons?.map((p) => [p.reason, p.params?.source]),
      [['policy-incomplete', 'user']],
    );
    assert.match(String(merged.problemReasons?.[0]?.params?.problems), /"updates"/);
    const german = wordedText(catalogFor('de'), merged.problemReasons![0]!);
    assert.match(german, /^Die Richtlinie Ihres Administrators \(user\) konnte nicht vollständig gelesen werden: "updates"/);
  });

  test('without a user policy the machine policy is unchanged, and the other way round', () => {
    const machine = readPolicy({ updates: false }, 'm');
    const user = readPolicy({ keepHistory: false }, 'u');
    const none = { values: {}, remoteOwnDomainOnly: false };
    assert.deepEqual(mergePolicies(machine, none), machine);
    assert.deepEqual(mergePolicies(none, user), user);
  });
});

describe('a policy that changes while the app runs', () => {
  const dirs: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  after(async () => {
    for (const c of cleanups) await c();
    await Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true })));
  });

  test('PolicyGate.replace applies the new policy and names the keys that changed', () => {
    const gate = new PolicyGate(readPolicy({ updates: true, keepHistory: true }, 'p'));
    const changed = gate.replace(readPolicy({ updates: false, keepHistory: true, allowAddAccounts: false }, 'p'));
    assert.deepEqual(changed, ['allowAddAccounts', 'updates']);
    assert.equal(gate.updatesEnabled(), false);
  });

  test('Linux: the JSON file is watched; a change applies without a restart and the renderer is told what changed', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-policy-watch-'));
    dirs.push(dir);
    const policyFile = path.join(dir, 'policy.json');
    await fs.writeFile(policyFile, JSON.stringify({ allowAddAccounts: true, updates: true }));
    const sources = { platform: 'linux' as const, linuxFile: policyFile };
    const initial = await loadEffectivePolicy(sources);
    const profile = path.join(dir, 'profile');
    await fs.mkdir(profile);
    const core = new KlatschCore({ profileDir: profile, secretBox: await FileKeySecretBox.open(path.join(dir, 'k.key')), policy: new PolicyGate(initial) });
    await core.start();
    cleanups.push(() => core.stop());
    const seen: EventOf<'policyChanged'>[] = [];
    let wake: () => void = () => undefined;
    core.onEvent((name, payload) => {
      if (name !== 'policyChanged') return;
      seen.push(payload as EventOf<'policyChanged'>);
      wake();
    });
    const watch = watchPolicy(sources, initial, (next) => core.applyPolicy(next), { settleMs: 50 });
    cleanups.push(() => watch.close());
    assert.equal(core.snapshot().policy?.addAccounts, 'allowed');

    // Replaced the way deployment tools do it: a new file renamed over the old one.
    const changed = new Promise<void>((resolve) => (wake = resolve));
    await fs.writeFile(`${policyFile}.new`, JSON.stringify({ allowAddAccounts: false, updates: true, keepHistory: false }));
    await fs.rename(`${policyFile}.new`, policyFile);
    await changed;

    assert.equal(seen.length, 1);
    assert.deepEqual(seen[0]!.changed, ['allowAddAccounts', 'keepHistory']);
    assert.equal(seen[0]!.policy.addAccounts, 'locked');
    assert.equal(seen[0]!.policy.keepHistory, false);
    assert.equal(core.snapshot().policy?.addAccounts, 'locked', 'in force in the core, not only on screen');
    assert.throws(() => core.policy.checkNewAccount('me@example.com', []), /turned off by your administrator/);
  });
});
