/**
 * Searching the local history through the core, over a real Prosody: one core
 * with two accounts (alice and carol) finds messages in chats of both, by
 * words in any case and without accents, in one account or all; private
 * messages only once the user keeps them. Opening a link goes through the
 * core's own check of the address.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, ChatMessage, ResponseOf } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import { startTestCore, type TestCore } from '../fixtures/core.js';
import { reportedPrivacy } from '../fixtures/contact-trust.js';

const password = 'search-pw';
type Search = ResponseOf<'searchHistory'>;

describe('history search across chats and accounts', () => {
  let server: ProsodyServer;
  let me: TestCore;
  let others: TestCore;
  const accounts: Record<string, AccountView> = {};
  const opened: string[] = [];
  const jid = (user: string) => `${user}@${server.domain}`;

  before(async () => {
    server = await startProsody({
      users: ['alice', 'carol', 'bob', 'dave'].map((username) => ({ username, password })),
      contacts: [
        ['alice', 'bob'],
        ['carol', 'dave'],
      ],
    });
    me = await startTestCore({ caPem: server.ca.caCertPem, openExternal: async (href) => void opened.push(href) });
    others = await startTestCore({ caPem: server.ca.caCertPem });
    const login = (user: string) => ({ jid: jid(user), password, rememberPassword: true, host: '127.0.0.1', port: server.c2sPort });
    for (const [core, user] of [[me, 'alice'], [me, 'carol'], [others, 'bob'], [others, 'dave']] as const) {
      accounts[user] = await core.call<AccountView>('addAccount', login(user));
    }
    await me.call('setOtrPolicy', { accountId: accounts.alice!.id, peer: jid('bob'), policy: 'manual' });
    await others.call('setOtrPolicy', { accountId: accounts.bob!.id, peer: jid('alice'), policy: 'manual' });
    await me.waitFor('contactUpdated', (e) => e.accountId === accounts.alice!.id && e.contact.jid === jid('bob') && e.contact.presence.show === 'online');
    await me.waitFor('contactUpdated', (e) => e.accountId === accounts.carol!.id && e.contact.jid === jid('dave') && e.contact.presence.show === 'online');
  });
  after(async () => {
    await me?.dispose();
    await others?.dispose();
    await server?.dispose();
  });

  const send = (from: string, to: string, body: string) =>
    (from === 'alice' || from === 'carol' ? me : others).call<ChatMessage>('sendMessage', { accountId: accounts[from]!.id, to: jid(to), body });
  const arrives = (core: TestCore, body: string) => core.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.body === body);
  const search = (payload: Record<string, unknown>) => me.call<Search>('searchHistory', payload);

  test('finds messages of both accounts, any case, without accents, newest first', async () => {
    await send('bob', 'alice', 'Lunch at the Café Müller?');
    await arrives(me, 'Lunch at the Café Müller?');
    await send('dave', 'carol', 'MUELLER is closed, lunch at the cafe downstairs');
    await arrives(me, 'MUELLER is closed, lunch at the cafe downstairs');
    await send('alice', 'bob', 'unrelated words');
    await arrives(others, 'unrelated words');

    const all = await search({ query: 'CAFE lunch' });
    assert.deepEqual(
      all.hits.map((h) => [h.accountId, h.peer, h.direction]),
      [
        [accounts.carol!.id, jid('dave'), 'in'],
        [accounts.alice!.id, jid('bob'), 'in'],
      ],
    );
    assert.equal(all.more, false);
    const stored = me.core.snapshot().chats[accounts.alice!.id]![jid('bob')]!.find((m) => m.body.startsWith('Lunch'))!;
    assert.equal(all.hits[1]!.id, stored.id, 'the hit names the message');
    assert.equal(all.hits[1]!.timestamp, stored.timestamp);
    const hl = all.hits[1]!.highlights.map(([a, b]) => all.hits[1]!.snippet.slice(a, b));
    assert.deepEqual(hl, ['Lunch', 'Café']);

    const onlyAlice = await search({ query: 'lunch', accountId: accounts.alice!.id });
    assert.deepEqual(onlyAlice.hits.map((h) => h.peer), [jid('bob')]);
    const bounded = await search({ query: 'lunch', limit: 1 });
    assert.equal(bounded.hits.length, 1);
    assert.equal(bounded.more, true);
    assert.equal((await search({ query: 'nothing-like-this' })).hits.length, 0);
  });

  test('an unknown account is an error; a garbage request is refused', async () => {
    const unknown = await me.request('searchHistory', { query: 'lunch', accountId: 'no-such-account' });
    assert.equal(unknown.ok, false);
    assert.equal(!unknown.ok && unknown.error.code, 'not-found');
    const garbage = await me.request('searchHistory', { query: { $regex: '.*' } });
    assert.equal(!garbage.ok && garbage.error.code, 'invalid-request');
  });

  test('private messages are found only once the user keeps them in the history', async () => {
    await me.call('setKeepPrivateHistory', { accountId: accounts.alice!.id, peer: jid('bob'), keep: false });
    const from = me.events.length;
    await me.call('startPrivate', { accountId: accounts.alice!.id, peer: jid('bob') });
    await me.waitFor('contactUpdated', (e) => e.contact.jid === jid('bob') && reportedPrivacy(e.contact) === 'private', { after: from });
    await send('bob', 'alice', 'the secret lunch plan');
    await arrives(me, 'the secret lunch plan');
    const notKept = await search({ query: 'secret lunch' });
    assert.deepEqual(notKept.hits, [], 'a private message not kept is not searchable');
    assert.deepEqual(notKept.unkept, [{ accountId: accounts.alice!.id, peer: jid('bob'), count: 1 }], 'and the search says how many it could not look at');

    await me.call('setKeepPrivateHistory', { accountId: accounts.alice!.id, peer: jid('bob'), keep: true });
    const kept = await search({ query: 'secret lunch' });
    assert.deepEqual(kept.hits.map((h) => h.peer), [jid('bob')]);

    await me.call('setKeepPrivateHistory', { accountId: accounts.alice!.id, peer: jid('bob'), keep: false });
    assert.deepEqual((await search({ query: 'secret' })).hits, [], 'turning it off takes them out of the search too');
  });

  test('removing one account keeps the other searchable', async () => {
    await me.call('removeAccount', { accountId: accounts.alice!.id });
    const left = await search({ query: 'lunch' });
    assert.deepEqual(left.hits.map((h) => h.accountId), [accounts.carol!.id]);
    assert.equal(me.core.snapshot().accounts.length, 1);
  });

  test('links: only https, mailto and xmpp, and none hiding its address, reach the system', async () => {
    for (const url of ['javascript:alert(1)', 'http://example.com/', 'https://evil.example@bank.example/', 'file:///etc/passwd', 'data:text/html,hi', 'https://exa mple.com']) {
      const refused = await me.request('openExternalLink', { url });
      assert.equal(!refused.ok && refused.error.code, 'invalid-request', url);
    }
    assert.deepEqual(opened, []);
    assert.deepEqual(await me.call('openExternalLink', { url: 'https://xn--bcher-kva.example/ä?q=1' }), { opened: 'external' });
    assert.deepEqual(await me.call('openExternalLink', { url: 'mailto:info@example.com' }), { opened: 'external' });
    assert.deepEqual(opened, ['https://xn--bcher-kva.example/%C3%A4?q=1', 'mailto:info@example.com']);
    const from = me.events.length;
    assert.deepEqual(await me.call('openExternalLink', { url: `xmpp:${jid('dave')}?message` }), { opened: 'in-app' });
    await me.waitFor('xmppLinkOpened', (e) => e.jid === jid('dave'), { after: from });
    assert.equal(opened.length, 2, 'xmpp: links stay in Klatsch');
  });
});
