/**
 * The IPC gate: every request from the renderer passes `createDispatcher`.
 * Fake handlers only record what reaches them; the point is what does not.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createDispatcher, type Handlers } from '../../electron/core/ipc/dispatch.js';
import { KlatschError } from '../../electron/core/errors.js';
import { ClassifiedError } from '../../electron/core/xmpp/errors.js';
import { requestNames, type Result } from '../../shared/contract.js';

type Call = { name: string; payload: unknown };

/** Handlers for every request; each records its call and answers `{ handled: name }`, unless `override` says otherwise. */
function recordingHandlers(override: Partial<Record<string, (payload: unknown) => Promise<unknown>>> = {}) {
  const calls: Call[] = [];
  const entries = requestNames.map((name) => [
    name,
    async (payload: unknown) => {
      calls.push({ name, payload });
      const own = override[name];
      return own ? own(payload) : { handled: name };
    },
  ]);
  return { calls, handlers: Object.fromEntries(entries) as unknown as Handlers };
}

function setup(override?: Parameters<typeof recordingHandlers>[0]) {
  const { calls, handlers } = recordingHandlers(override);
  const internalErrors: { name: string; error: unknown }[] = [];
  const dispatch = createDispatcher(handlers, (name, error) => internalErrors.push({ name, error }));
  return { calls, dispatch, internalErrors };
}

function assertInvalid(result: Result<unknown>): string {
  assert.equal(result.ok, false, `expected a refusal, got ${JSON.stringify(result)}`);
  if (result.ok) throw new Error('unreachable');
  assert.equal(result.error.code, 'invalid-request');
  return result.error.message;
}

/** Dispatches and checks it was refused as invalid without any handler being called. */
async function assertRejected(name: unknown, payload: unknown): Promise<string> {
  const { calls, dispatch } = setup();
  const message = assertInvalid(await dispatch(name, payload));
  assert.deepEqual(calls, [], `a handler was called for ${String(name)}`);
  return message;
}

const valid = {
  getSnapshot: {},
  addAccount: { jid: 'alice@example.com', password: 'pw', rememberPassword: false },
  connectAccount: { accountId: 'acc-1' },
  disconnectAccount: { accountId: 'acc-1' },
  removeAccount: { accountId: 'acc-1' },
  trustCertificate: { accountId: 'acc-1', sha256: 'AB:CD' },
  setPresence: { accountId: 'acc-1', show: 'away', status: 'lunch' },
  sendMessage: { accountId: 'acc-1', to: 'bob@example.com', body: 'hi' },
  markRead: { accountId: 'acc-1', peer: 'bob@example.com' },
  resendMessage: { accountId: 'acc-1', peer: 'bob@example.com', id: 'm-1' },
  startPrivate: { accountId: 'acc-1', peer: 'bob@example.com' },
  endPrivate: { accountId: 'acc-1', peer: 'bob@example.com' },
  setOtrPolicy: { accountId: 'acc-1', peer: 'bob@example.com', policy: 'always' },
  setE2eeScheme: { accountId: 'acc-1', peer: 'bob@example.com', scheme: 'otr' },
  verifyOmemoDevices: { accountId: 'acc-1', peer: 'bob@example.com', devices: [{ deviceId: 42, fingerprint: 'ab'.repeat(32) }] },
  startSmp: { accountId: 'acc-1', peer: 'bob@example.com', secret: 'Pizzeria', question: 'Where?' },
  respondSmp: { accountId: 'acc-1', peer: 'bob@example.com', requestId: 'req-1', secret: 'Pizzeria' },
  abortSmp: { accountId: 'acc-1', peer: 'bob@example.com' },
  dismissSmp: { accountId: 'acc-1', peer: 'bob@example.com' },
  acceptKey: { accountId: 'acc-1', peer: 'bob@example.com', scheme: 'otr', key: 'AAAAAAAA BBBBBBBB CCCCCCCC DDDDDDDD EEEEEEEE' },
  setTrust: { accountId: 'acc-1', peer: 'bob@example.com', scheme: 'otr', key: 'aaaaaaaabbbbbbbbccccccccddddddddeeeeeeee', verified: true },
  forgetKey: { accountId: 'acc-1', peer: 'bob@example.com', scheme: 'otr', key: 'aaaaaaaabbbbbbbbccccccccddddddddeeeeeeee' },
  listTrust: {},
  importLibotr: { replaceKeys: true },
  exportLibotr: {},
  setKeepPrivateHistory: { accountId: 'acc-1', peer: 'bob@example.com', keep: true },
  addContact: { accountId: 'acc-1', jid: 'carol@example.com', name: 'Carol', groups: ['Work'] },
  removeContact: { accountId: 'acc-1', jid: 'carol@example.com' },
  renameContact: { accountId: 'acc-1', jid: 'carol@example.com', name: 'Carol K.' },
  setContactGroups: { accountId: 'acc-1', jid: 'carol@example.com', groups: ['Work', 'Berlin'] },
  approveSubscription: { accountId: 'acc-1', jid: 'carol@example.com' },
  denySubscription: { accountId: 'acc-1', jid: 'carol@example.com' },
  setAvatar: { accountId: 'acc-1', image: 'iVBORw0KGgo=' },
  setChatState: { accountId: 'acc-1', peer: 'bob@example.com', state: 'composing' },
  correctMessage: { accountId: 'acc-1', peer: 'bob@example.com', id: 'msg-1', body: 'corrected text' },
  // accounts-search
  searchHistory: { query: 'lunch', accountId: 'acc-1', limit: 20 },
  openExternalLink: { url: 'https://example.com/page' },
  setSettings: { language: 'de', theme: 'dark', notifications: 'sender-only', notificationSound: false },
  windowStateChanged: { focused: false, openChat: { accountId: 'acc-1', peer: 'bob@example.com' } },
  // Group chats
  joinRoom: { accountId: 'acc-1', room: 'team@conference.example.com', nick: 'Alice', password: 'room secret' },
  leaveRoom: { accountId: 'acc-1', room: 'team@conference.example.com' },
  sendRoomMessage: { accountId: 'acc-1', room: 'team@conference.example.com', body: 'Hello, room' },
  setRoomSubject: { accountId: 'acc-1', room: 'team@conference.example.com', subject: 'Release week' },
  markRoomRead: { accountId: 'acc-1', room: 'team@conference.example.com' },
  listRooms: { accountId: 'acc-1' },
  inviteToRoom: { accountId: 'acc-1', room: 'team@conference.example.com', contact: 'bob@example.com', reason: 'Stand-up', via: 'room' },
  acceptInvitation: { accountId: 'acc-1', id: 'inv-1', nick: 'Alice' },
  declineInvitation: { accountId: 'acc-1', id: 'inv-1' },
  loadOlderMessages: { accountId: 'acc-1', peer: 'bob@example.com' },
} as const;

describe('dispatch: request names', () => {
  test('every request of the contract has a valid example here', () => {
    assert.deepEqual(Object.keys(valid).sort(), [...requestNames].sort());
  });

  test('an unknown request name is refused', async () => {
    await assertRejected('deleteEverything', {});
  });

  test('a name that is not a string is refused', async () => {
    for (const name of [undefined, null, 42, {}, ['getSnapshot'], Symbol('getSnapshot')]) {
      await assertRejected(name, {});
    }
  });

  test('names of Object.prototype members are refused', async () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf']) {
      await assertRejected(name, {});
    }
  });
});

describe('dispatch: payloads', () => {
  test('non-object payloads are refused', async () => {
    for (const payload of [null, undefined, 7, 'accountId', true, [], ['acc-1']]) {
      await assertRejected('disconnectAccount', payload);
      await assertRejected('getSnapshot', payload);
    }
  });

  test('fields of the wrong type are refused', async () => {
    await assertRejected('disconnectAccount', { accountId: 12 });
    await assertRejected('addAccount', { ...valid.addAccount, rememberPassword: 'yes' });
    await assertRejected('addAccount', { ...valid.addAccount, port: '5222' });
    await assertRejected('addAccount', { ...valid.addAccount, port: 5222.5 });
    await assertRejected('setPresence', { ...valid.setPresence, status: null });
    await assertRejected('sendMessage', { ...valid.sendMessage, body: { text: 'hi' } });
  });

  test('missing fields are refused', async () => {
    await assertRejected('disconnectAccount', {});
    await assertRejected('addAccount', { jid: 'alice@example.com', password: 'pw' });
    await assertRejected('sendMessage', { accountId: 'acc-1', to: 'bob@example.com' });
    await assertRejected('trustCertificate', { accountId: 'acc-1' });
  });

  test('unknown extra fields are refused (schemas are strict)', async () => {
    await assertRejected('getSnapshot', { all: true });
    await assertRejected('disconnectAccount', { ...valid.disconnectAccount, force: true });
    await assertRejected('sendMessage', { ...valid.sendMessage, type: 'groupchat' });
  });

  test('an own "__proto__" key is refused', async () => {
    await assertRejected('disconnectAccount', JSON.parse('{"accountId":"acc-1","__proto__":{"admin":true}}'));
  });

  test('strings over their bound are refused, at the bound accepted', async () => {
    await assertRejected('sendMessage', { ...valid.sendMessage, body: 'x'.repeat(65_537) });
    await assertRejected('setPresence', { ...valid.setPresence, status: 's'.repeat(1_025) });
    await assertRejected('addAccount', { ...valid.addAccount, password: 'p'.repeat(1_025) });

    const { calls, dispatch } = setup();
    assert.equal((await dispatch('sendMessage', { ...valid.sendMessage, body: 'x'.repeat(65_536) })).ok, true);
    assert.equal((await dispatch('setPresence', { ...valid.setPresence, status: 's'.repeat(1_024) })).ok, true);
    assert.equal(calls.length, 2);
  });

  test('an empty message body is refused', async () => {
    await assertRejected('sendMessage', { ...valid.sendMessage, body: '' });
  });

  test('invalid account ids are refused', async () => {
    for (const accountId of ['', 'a'.repeat(65), 'acc 1', 'acc/../1', 'acc_1', 'äcc', '../settings']) {
      await assertRejected('removeAccount', { accountId });
    }
  });

  test('invalid JIDs for "to" are refused', async () => {
    for (const to of ['', 'bob', '@example.com', 'bob@', 'bob@example.com/phone', 'a@b@c', 'bob @example.com', 'x@' + 'y'.repeat(3_100)]) {
      await assertRejected('sendMessage', { ...valid.sendMessage, to });
    }
  });

  test('ports out of range are refused', async () => {
    for (const port of [0, -1, 65_536, Number.NaN, Number.POSITIVE_INFINITY]) {
      await assertRejected('addAccount', { ...valid.addAccount, host: 'xmpp.example.com', port });
    }
  });

  test('an unknown presence show is refused', async () => {
    await assertRejected('setPresence', { ...valid.setPresence, show: 'offline' });
  });

  test('the refusal does not echo the values of the payload', async () => {
    const secret = 'hunter2-Sup3rSecret';
    const messages = [
      await assertRejected('addAccount', { jid: 'alice@example.com', password: 1234, rememberPassword: secret }),
      await assertRejected('addAccount', { jid: secret, password: secret, rememberPassword: true }),
      await assertRejected('connectAccount', { accountId: secret + '!', password: secret }),
      await assertRejected('setPresence', { accountId: 'acc-1', show: secret, status: 'x' }),
      await assertRejected('sendMessage', { accountId: 'acc-1', to: secret, body: secret.repeat(5_000) }),
      await assertRejected('trustCertificate', { accountId: 'acc-1', sha256: secret.repeat(10) }),
    ];
    for (const message of messages) {
      assert.ok(message.length > 0);
      assert.ok(!message.includes(secret), `message echoes the payload: ${message}`);
      assert.ok(!message.includes('hunter2'), `message echoes the payload: ${message}`);
    }
  });
});

describe('dispatch: handlers', () => {
  test('every valid request reaches its handler with the parsed data', async () => {
    const { calls, dispatch } = setup();
    for (const [name, payload] of Object.entries(valid)) {
      const result = await dispatch(name, payload);
      assert.deepEqual(result, { ok: true, value: { handled: name } });
      assert.deepEqual(calls.at(-1), { name, payload });
    }
    assert.equal(calls.length, requestNames.length);
  });

  test('optional fields pass through', async () => {
    const { calls, dispatch } = setup();
    const payload = { ...valid.addAccount, host: 'xmpp.example.com', port: 5223, directTls: true, trustCertificate: 'AB:CD' };
    assert.equal((await dispatch('addAccount', payload)).ok, true);
    assert.deepEqual(calls, [{ name: 'addAccount', payload }]);
  });

  test('the handler gets a parsed copy, not the caller\'s object', async () => {
    const { calls, dispatch } = setup();
    const payload = { accountId: 'acc-1' };
    await dispatch('removeAccount', payload);
    assert.notEqual(calls[0]?.payload, payload);
    assert.deepEqual(calls[0]?.payload, payload);
  });

  test('a KlatschError becomes its code and message', async () => {
    const { dispatch, internalErrors } = setup({
      removeAccount: async () => {
        throw new KlatschError('not-found', 'There is no such account.');
      },
    });
    const result = await dispatch('removeAccount', valid.removeAccount);
    assert.deepEqual(result, { ok: false, error: { code: 'not-found', message: 'There is no such account.' } });
    assert.deepEqual(internalErrors, []);
  });

  test('a KlatschError thrown deep in the domain crosses with its reason and parameters, for the renderer to word', async () => {
    const { dispatch, internalErrors } = setup({
      loadOlderMessages: async () => {
        throw new KlatschError('server-error', 'The server could not send older messages (item-not-found).', { reason: 'archive-refused', params: { condition: 'item-not-found' } });
      },
    });
    assert.deepEqual(await dispatch('loadOlderMessages', valid.loadOlderMessages), {
      ok: false,
      error: { code: 'server-error', message: 'The server could not send older messages (item-not-found).', reason: 'archive-refused', params: { condition: 'item-not-found' } },
    });
    assert.deepEqual(internalErrors, []);
  });

  test('an error that only looks like the user\'s (a `code` property) is "internal": no duck typing', async () => {
    const { dispatch, internalErrors } = setup({
      sendMessage: async () => {
        throw Object.assign(new Error('EACCES: /home/alice/.config/klatsch'), { code: 'not-connected' });
      },
    });
    const result = await dispatch('sendMessage', valid.sendMessage);
    assert.equal(result.ok ? undefined : result.error.code, 'internal');
    assert.equal(internalErrors.length, 1);
  });

  test('a ClassifiedError becomes its app error', async () => {
    const appError = { code: 'timeout', message: 'The server did not answer in time.' } as const;
    const { dispatch, internalErrors } = setup({
      connectAccount: async () => {
        throw new ClassifiedError(appError, true, true);
      },
    });
    assert.deepEqual(await dispatch('connectAccount', valid.connectAccount), { ok: false, error: appError });
    assert.deepEqual(internalErrors, []);
  });

  test('any other error becomes "internal" with a generic message and is reported', async () => {
    const thrown = new Error('ENOENT: /home/alice/.config/klatsch/secret-key password=hunter2');
    const { dispatch, internalErrors } = setup({
      setPresence: async () => {
        throw thrown;
      },
    });
    const result = await dispatch('setPresence', valid.setPresence);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.equal(result.error.code, 'internal');
    assert.ok(!result.error.message.includes('hunter2'));
    assert.ok(!result.error.message.includes('ENOENT'));
    assert.deepEqual(internalErrors, [{ name: 'setPresence', error: thrown }]);
  });

  test('a thrown non-Error value is also "internal"', async () => {
    const { dispatch, internalErrors } = setup({
      markRead: async () => {
        throw 'just a string';
      },
    });
    const result = await dispatch('markRead', valid.markRead);
    assert.equal(result.ok ? undefined : result.error.code, 'internal');
    assert.equal(internalErrors.length, 1);
  });

  test('without an onInternalError callback an internal error is still answered', async () => {
    const { handlers } = recordingHandlers({
      getSnapshot: async () => {
        throw new TypeError('boom');
      },
    });
    const result = await createDispatcher(handlers)('getSnapshot', {});
    assert.equal(result.ok ? undefined : result.error.code, 'internal');
  });
});

describe('dispatch: contacts and subscriptions', () => {
  const contactRequests = ['addContact', 'removeContact', 'renameContact', 'setContactGroups', 'approveSubscription', 'denySubscription'] as const;

  test('bad addresses are refused for every contact request', async () => {
    const bad = ['', 'carol', '@example.com', 'carol@', 'carol@example.com/phone', 'a@b@c', 'carol @example.com', 'x@' + 'y'.repeat(3_100), 42, null, ['carol@example.com']];
    for (const name of contactRequests) {
      for (const jid of bad) await assertRejected(name, { ...valid[name], jid });
    }
  });

  test('garbage payloads are refused', async () => {
    for (const name of contactRequests) {
      await assertRejected(name, { ...valid[name], extra: true });
      await assertRejected(name, { jid: 'carol@example.com' });
      await assertRejected(name, { ...valid[name], accountId: '../x' });
      await assertRejected(name, 'carol@example.com');
    }
    await assertRejected('addContact', { ...valid.addContact, name: 7 });
    await assertRejected('addContact', { ...valid.addContact, groups: 'Work' });
    await assertRejected('addContact', { ...valid.addContact, groups: [1, 2] });
    await assertRejected('addContact', { ...valid.addContact, groups: [{ name: 'Work' }] });
    await assertRejected('renameContact', { accountId: 'acc-1', jid: 'carol@example.com' });
    await assertRejected('setContactGroups', { accountId: 'acc-1', jid: 'carol@example.com' });
    await assertRejected('setContactGroups', { ...valid.setContactGroups, groups: null });
  });

  test('names and groups over their bounds are refused, at the bounds accepted', async () => {
    await assertRejected('addContact', { ...valid.addContact, name: 'n'.repeat(257) });
    await assertRejected('renameContact', { ...valid.renameContact, name: 'n'.repeat(257) });
    await assertRejected('setContactGroups', { ...valid.setContactGroups, groups: ['g'.repeat(257)] });
    await assertRejected('setContactGroups', { ...valid.setContactGroups, groups: Array.from({ length: 33 }, (_, i) => `g${i}`) });

    const { calls, dispatch } = setup();
    assert.equal((await dispatch('renameContact', { ...valid.renameContact, name: 'n'.repeat(256) })).ok, true);
    assert.equal((await dispatch('renameContact', { ...valid.renameContact, name: '' })).ok, true, 'an empty name clears it');
    assert.equal((await dispatch('setContactGroups', { ...valid.setContactGroups, groups: Array.from({ length: 32 }, (_, i) => `g${i}`) })).ok, true);
    assert.equal((await dispatch('setContactGroups', { ...valid.setContactGroups, groups: [] })).ok, true);
    assert.equal((await dispatch('addContact', { accountId: 'acc-1', jid: 'carol@example.com' })).ok, true, 'name and groups are optional');
    assert.equal(calls.length, 5);
  });
});

describe('dispatch: avatars', () => {
  test('the picture must be bounded base64; absent removes it', async () => {
    await assertRejected('setAvatar', { accountId: 'acc-1', image: 'not base64!' });
    await assertRejected('setAvatar', { accountId: 'acc-1', image: 'A'.repeat(174_768) });
    await assertRejected('setAvatar', { accountId: 'acc-1', image: 12 });
    await assertRejected('setAvatar', { accountId: 'acc-1', image: 'iVBORw0KGgo=', type: 'image/png' });
    const { calls, dispatch } = setup();
    assert.equal((await dispatch('setAvatar', { accountId: 'acc-1' })).ok, true);
    assert.equal((await dispatch('setAvatar', { accountId: 'acc-1', image: 'A'.repeat(174_764) })).ok, true);
    assert.equal(calls.length, 2);
  });
});

describe('dispatch: chat states', () => {
  test('only the four states a user can be in, for a valid address', async () => {
    await assertRejected('setChatState', { accountId: 'acc-1', peer: 'bob@example.com', state: 'gone' });
    await assertRejected('setChatState', { accountId: 'acc-1', peer: 'bob@example.com', state: 'typing' });
    await assertRejected('setChatState', { accountId: 'acc-1', peer: 'not an address', state: 'paused' });
    await assertRejected('setChatState', { accountId: 'acc-1', peer: 'bob@example.com', state: 'paused', extra: 1 });
    const { calls, dispatch } = setup();
    for (const state of ['active', 'composing', 'paused', 'inactive'] as const) {
      assert.equal((await dispatch('setChatState', { accountId: 'acc-1', peer: 'bob@example.com', state })).ok, true, state);
    }
    assert.equal(calls.length, 4);
  });
});

describe('dispatch: corrections', () => {
  test('an id and a bounded, non-empty text are needed', async () => {
    await assertRejected('correctMessage', { accountId: 'acc-1', peer: 'bob@example.com', id: '', body: 'x' });
    await assertRejected('correctMessage', { accountId: 'acc-1', peer: 'bob@example.com', id: 'x'.repeat(257), body: 'x' });
    await assertRejected('correctMessage', { accountId: 'acc-1', peer: 'bob@example.com', id: 'msg-1', body: '' });
    await assertRejected('correctMessage', { accountId: 'acc-1', peer: 'bob@example.com', id: 'msg-1', body: 'x'.repeat(65537) });
    await assertRejected('correctMessage', { accountId: 'acc-1', peer: 'bob@example.com', id: 'msg-1' });
  });
});

describe('dispatch: history search and links', () => {
  test('a search needs a bounded query; the limit is bounded too', async () => {
    await assertRejected('searchHistory', { query: '' });
    await assertRejected('searchHistory', { query: 'x'.repeat(257) });
    await assertRejected('searchHistory', { query: 'lunch', limit: 0 });
    await assertRejected('searchHistory', { query: 'lunch', limit: 201 });
    await assertRejected('searchHistory', { query: 'lunch', accountId: '../etc' });
    await assertRejected('searchHistory', { query: 'lunch', all: true });
  });

  test('a link to open is a bounded string', async () => {
    await assertRejected('openExternalLink', { url: '' });
    await assertRejected('openExternalLink', { url: 42 });
    await assertRejected('openExternalLink', { url: `https://example.com/${'a'.repeat(8200)}` });
    await assertRejected('openExternalLink', { url: 'https://example.com', confirmed: true });
  });
});

describe('dispatch: settings and the window state', () => {
  test('only known settings with known values pass', async () => {
    await assertRejected('setSettings', { language: 'fr' });
    await assertRejected('setSettings', { theme: 'blue' });
    await assertRejected('setSettings', { notifications: 'everything' });
    await assertRejected('setSettings', { notificationSound: 'yes' });
    await assertRejected('setSettings', { language: 'de', startAsAdmin: true });
    const { dispatch, calls } = setup();
    assert.equal((await dispatch('setSettings', { theme: 'light' })).ok, true);
    assert.deepEqual(calls, [{ name: 'setSettings', payload: { theme: 'light' } }]);
  });

  test('the window state names a focus and a chat (or none)', async () => {
    await assertRejected('windowStateChanged', { focused: 'yes', openChat: null });
    await assertRejected('windowStateChanged', { focused: true });
    await assertRejected('windowStateChanged', { focused: true, openChat: { accountId: 'acc-1', peer: 'not a jid' } });
    const { dispatch } = setup();
    assert.equal((await dispatch('windowStateChanged', { focused: true, openChat: null })).ok, true);
  });
});

describe('dispatch: group chat requests', () => {
  test('joinRoom takes a name or an address, a bounded nickname, an optional password; nothing else', async () => {
    const { calls, dispatch } = setup();
    assert.equal((await dispatch('joinRoom', { accountId: 'acc-1', room: 'team', nick: 'Alice' })).ok, true, 'a name alone');
    assert.equal(calls.length, 1);
    await assertRejected('joinRoom', { accountId: 'acc-1', room: 'team@conference.example.com/Alice', nick: 'Alice' });
    await assertRejected('joinRoom', { accountId: 'acc-1', room: 'two words', nick: 'Alice' });
    await assertRejected('joinRoom', { accountId: 'acc-1', room: 'team@conference.example.com', nick: '' });
    await assertRejected('joinRoom', { accountId: 'acc-1', room: 'team@conference.example.com', nick: 'x'.repeat(65) });
    await assertRejected('joinRoom', { accountId: 'acc-1', room: 'team@conference.example.com', nick: 'A', password: '' });
    await assertRejected('joinRoom', { accountId: 'acc-1', room: 'team@conference.example.com', nick: 'A', extra: true });
  });

  test('room messages and subjects are bounded; rooms are bare addresses', async () => {
    await assertRejected('sendRoomMessage', { accountId: 'acc-1', room: 'team@conference.example.com', body: '' });
    await assertRejected('sendRoomMessage', { accountId: 'acc-1', room: 'team@conference.example.com', body: 'x'.repeat(65537) });
    await assertRejected('sendRoomMessage', { accountId: 'acc-1', room: 'not a room', body: 'x' });
    await assertRejected('setRoomSubject', { accountId: 'acc-1', room: 'team@conference.example.com', subject: 'x'.repeat(1025) });
    await assertRejected('leaveRoom', { accountId: 'acc-1', room: 'team@conference.example.com/nick' });
  });
});

describe('dispatch: message archive', () => {
  test('loadOlderMessages takes an account and a bare JID, nothing else', async () => {
    await assertRejected('loadOlderMessages', { accountId: 'acc-1' });
    await assertRejected('loadOlderMessages', { accountId: 'acc-1', peer: 'bob@example.com/phone' });
    await assertRejected('loadOlderMessages', { accountId: 'acc-1', peer: 'bob@example.com', before: 'arch-1' });
    const { calls, dispatch } = setup();
    assert.equal((await dispatch('loadOlderMessages', { accountId: 'acc-1', peer: 'bob@example.com' })).ok, true);
    assert.equal(calls.length, 1);
  });
});
