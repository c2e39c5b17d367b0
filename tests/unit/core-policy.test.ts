/**
 * The core enforces the administrator's policy itself, whatever the renderer
 * sends: through the same dispatcher the renderer's requests pass. No server
 * is needed: every refusal happens before a connection would be made.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Snapshot, type AppError, type Result } from '../../shared/contract.js';
import { PolicyGate } from '../../electron/core/policy/policy-gate.js';
import { accountPolicyHooks } from '../../electron/core/policy/account-policy.js';
import { readPolicy } from '../../electron/core/policy/read-policy.js';
import { tlsOptions } from '../../electron/core/xmpp/tls-policy.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { errorText, policyReasonText } from '../../renderer/i18n/errors.js';
import { disposeOfflineCores, OFFLINE_ACCOUNT_ID, offlineProfile, startOfflineCore } from '../fixtures/offline-core.js';

after(disposeOfflineCores);

const accountId = OFFLINE_ACCOUNT_ID;

async function coreWith(values: object) {
  const { core, dispatch } = await startOfflineCore(await offlineProfile('klatsch-policy-'), { policy: values });
  const refused = async (name: string, payload: unknown): Promise<AppError> => {
    const result = (await dispatch(name, payload)) as Result<unknown>;
    assert.equal(result.ok, false, `${name} should be refused`);
    return (result as { ok: false; error: AppError }).error;
  };
  return { core, dispatch, refused };
}

describe('the core enforces the policy', () => {
  test('addAccount: other domains and a second company account are refused when adding is locked', async () => {
    const { refused } = await coreWith({ serverDomain: 'example.com', allowAddAccounts: false });
    const other = await refused('addAccount', { jid: 'me@gmail.example', password: 'pw-1', rememberPassword: false });
    assert.equal(other.code, 'forbidden-by-policy');
    assert.match(other.message, /only accounts on example\.com/);
    const second = await refused('addAccount', { jid: 'me2@example.com', password: 'pw-1', rememberPassword: false });
    assert.match(second.message, /only one account/);
  });

  test('addAccount: a host other than the policy\u2019s is refused', async () => {
    const { refused } = await coreWith({ serverDomain: 'example.com', serverHost: 'xmpp.example.com' });
    const error = await refused('addAccount', { jid: 'new@example.com', password: 'pw-1', rememberPassword: false, host: 'evil.example' });
    assert.equal(error.code, 'forbidden-by-policy');
  });

  test('sending, resending and going private to a disallowed address are refused with a clear error', async () => {
    const { refused } = await coreWith({ remoteDeny: ['mallory@example.com'] });
    for (const [name, payload] of [
      ['sendMessage', { accountId, to: 'mallory@example.com', body: 'secret plan' }],
      ['resendMessage', { accountId, peer: 'Mallory@example.com', id: 'x' }],
      ['startPrivate', { accountId, peer: 'mallory@example.com' }],
    ] as const) {
      const error = await refused(name, payload);
      assert.equal(error.code, 'forbidden-by-policy', name);
      assert.match(error.message, /does not allow messages to mallory@example\.com/);
      assert.doesNotMatch(error.message, /secret plan/);
    }
    // An allowed address gets past the policy (and fails only because the account is offline).
    const offline = await refused('sendMessage', { accountId, to: 'bob@example.com', body: 'hi' });
    assert.equal(offline.code, 'not-connected');
  });

  test('the OTR policy cannot be changed when it is locked', async () => {
    const { refused } = await coreWith({ otrPolicy: 'always' });
    const error = await refused('setOtrPolicy', { accountId, peer: 'bob@example.com', policy: 'never' });
    assert.equal(error.code, 'forbidden-by-policy');
    assert.match(error.message, /locked.*administrator/);
  });

  test('group chats refused because every message must be private: a reason the UI words in the user’s language', async () => {
    // OMEMO, the one encryption for group chats, is not allowed either: every room is off.
    const { refused } = await coreWith({ otrPolicy: 'always', encryptionSchemes: ['otr'] });
    const error = await refused('joinRoom', { accountId, room: 'team@conference.example.com', nick: 'Me' });
    assert.equal(error.code, 'forbidden-by-policy');
    assert.equal(error.reason, 'group-chats-off');
    assert.match(errorText(catalogFor('de'), error), /^Gruppenchats sind abgeschaltet: Ihr Administrator verlangt/);
    assert.match(errorText(catalogFor('en'), error), /^Group chats are turned off: your administrator requires/);
  });

  test('why a setting is locked is said in German to a German user, naming where the policy was read, without the core’s English', async () => {
    const { core, refused } = await coreWith({ otrPolicy: 'always', encryptionSchemes: ['otr'] });
    const de = catalogFor('de');
    for (const error of [
      await refused('setOtrPolicy', { accountId, peer: 'bob@example.com', policy: 'never' }),
      await refused('joinRoom', { accountId, room: 'team@conference.example.com', nick: 'Me' }),
    ]) {
      const german = errorText(de, error);
      assert.match(german, /Von Ihrem Administrator festgelegt \(\/etc\/klatsch\/policy\.json\)\.$/);
      assert.doesNotMatch(german, /Set by|administrator \(/);
    }
    // The policy's own "why", as the account settings and the locked controls show it.
    const policy = Snapshot.parse(JSON.parse(JSON.stringify(core.snapshot()))).policy!;
    assert.equal(policyReasonText(de, policy), 'Von Ihrem Administrator festgelegt (/etc/klatsch/policy.json).');
    assert.equal(policyReasonText(catalogFor('en'), policy), 'Set by your administrator (/etc/klatsch/policy.json).');
  });

  test('a policy that could not be read: the locks say so in German', async () => {
    const { core, refused } = await coreWith({ allowPlaintext: 'maybe' });
    const de = catalogFor('de');
    const error = await refused('setOtrPolicy', { accountId, peer: 'bob@example.com', policy: 'manual' });
    assert.equal(errorText(de, error), 'Ihr Administrator hat die Einstellung zur Privatsphäre gesperrt. Auf die sicherste Einstellung gesperrt, weil die Richtlinie Ihres Administrators nicht gelesen werden konnte.');
    assert.equal(policyReasonText(de, core.snapshot().policy!), 'Auf die sicherste Einstellung gesperrt, weil die Richtlinie Ihres Administrators nicht gelesen werden konnte.');
  });

  test('a malformed policy locks things down and is reported in the snapshot', async () => {
    const { core, refused } = await coreWith({ allowPlaintext: 'maybe' });
    const snapshot: Snapshot = core.snapshot();
    assert.match(snapshot.policy?.problem ?? '', /"allowPlaintext"/);
    assert.equal(snapshot.policy?.plaintextAllowed, false);
    assert.equal(snapshot.policy?.otrPolicy, 'always');
    assert.equal(snapshot.policy?.addAccounts, 'locked');
    assert.equal(snapshot.policy?.updates, false);
    assert.equal((await refused('addAccount', { jid: 'x@example.com', password: 'pw-1', rememberPassword: false })).code, 'forbidden-by-policy');
    assert.equal((await refused('sendMessage', { accountId, to: 'x@other.example', body: 'hi' })).code, 'forbidden-by-policy');
    assert.equal((await refused('setOtrPolicy', { accountId, peer: 'bob@example.com', policy: 'manual' })).code, 'forbidden-by-policy');
  });

  test('without a policy nothing is locked', async () => {
    const { core } = await coreWith({});
    const policy = core.snapshot().policy!;
    assert.equal(policy.addAccounts, 'allowed');
    assert.equal(policy.plaintextAllowed, true);
    assert.equal(policy.otrPolicy, undefined);
  });
});

describe('what accounts get from the policy', () => {
  test('the OTR policy in force and the pinned certificates', async () => {
    const { X509Certificate } = await import('node:crypto');
    const pem = (await import('node:tls')).rootCertificates[0]!;
    const sha256 = new X509Certificate(pem).fingerprint256;
    const hooks = accountPolicyHooks(new PolicyGate(readPolicy({ serverDomain: 'example.com', allowPlaintext: false, pinnedCertificates: [pem] }, 't')));
    assert.equal(hooks.otrPolicy('opportunistic'), 'always');
    const user = { kind: 'verified', extraAnchors: [] } as const;
    const trust = hooks.trust('me@example.com', user);
    assert.equal(trust.kind, 'pinned-by-policy');
    assert.deepEqual(hooks.trust('me@other.example', user), user, 'pins apply to the company server only');
    // Only the pinned certificates are anchors, and only their fingerprints pass; verification stays on.
    const options = tlsOptions('example.com', trust);
    assert.equal(options.rejectUnauthorized, true);
    assert.deepEqual(options.ca, [pem]);
    const check = options.checkServerIdentity!;
    assert.equal(check('example.com', { fingerprint256: sha256 } as never), undefined);
    assert.ok(check('example.com', { fingerprint256: 'AA:BB' } as never) instanceof Error);
  });
});
