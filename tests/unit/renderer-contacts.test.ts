/**
 * The renderer's contact logic in plain Node: filtering and grouping the roster,
 * the contact forms, the subscription requests and collapsed groups in the
 * store, and the binding of the new event.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { AccountView, Contact } from '../../shared/contract';
import { createRosterSectionsSelector, filterContacts, foldForSearch, NO_GROUP, rosterSections } from '../../renderer/store/rosterView';
import { sortContacts } from '../../renderer/store/transitions';
import { parseGroups, readAddContactForm, readEditContactForm } from '../../renderer/contactForms';
import { createAppStore } from '../../renderer/store/store';
import { createActions } from '../../renderer/store/actions';
import { bindStoreToApi } from '../../renderer/store/bind';
import { accountView, fakeApi } from '../fixtures/fake-api';

function contact(jid: string, extra: Partial<Contact> = {}): Contact {
  return { jid, subscription: 'both', groups: [], presence: { show: 'online', status: '' }, unread: 0, ...extra };
}

const roster = sortContacts([
  contact('anna@example.com', { name: 'Anna Müller', groups: ['Team'] }),
  contact('bob@example.com', { name: 'Bob', groups: ['Team', 'Berlin'] }),
  contact('jose@example.org', { name: 'José García' }),
  contact('zed@example.com', { groups: ['Berlin'], presence: { show: 'offline', status: '' } }),
]);
const jids = (list: Contact[]) => list.map((c) => c.jid);

describe('roster filter', () => {
  test('by name or address, any case and accents, every word must match', () => {
    assert.deepEqual(jids(filterContacts(roster, 'anna')), ['anna@example.com']);
    assert.deepEqual(jids(filterContacts(roster, 'MÜLLER')), ['anna@example.com']);
    assert.deepEqual(jids(filterContacts(roster, 'muller')), ['anna@example.com']);
    assert.deepEqual(jids(filterContacts(roster, 'garcia jose')), ['jose@example.org']);
    assert.deepEqual(jids(filterContacts(roster, 'example.org')), ['jose@example.org']);
    assert.deepEqual(jids(filterContacts(roster, 'zed@')), ['zed@example.com']);
    assert.deepEqual(filterContacts(roster, 'nobody'), []);
    assert.equal(filterContacts(roster, '   '), roster, 'no filter: the same array');
    assert.equal(foldForSearch('Ärger Ñ'), 'arger n');
  });

  // How fast this is per keystroke is measured by `npm run bench:roster`, not here.
  test('typing into the filter narrows 5,000 contacts keystroke by keystroke', () => {
    const many = sortContacts(Array.from({ length: 5_000 }, (_, i) => contact(`user${i}@example.com`, { name: `Person ${i}`, groups: [`Group ${i % 20}`] })));
    rosterSections(many, 'x', []); // warm the search keys (computed once per contact object)
    const typed = ['p', 'pe', 'per', 'pers', 'perso', 'person', 'person ', 'person 4', 'person 43', 'person 432', 'person 4321'];
    let sections = rosterSections(many, '', []);
    for (const q of typed) sections = rosterSections(many, q, []);
    assert.deepEqual(sections.flatMap((s) => jids(s.contacts)), ['user4321@example.com']);
  });
});

describe('roster groups', () => {
  test('groups alphabetically, a contact in two groups in both, the ungrouped last', () => {
    const sections = rosterSections(roster, '', []);
    assert.deepEqual(
      sections.map((s) => [s.key, jids(s.contacts)]),
      [
        ['Berlin', ['bob@example.com', 'zed@example.com']],
        ['Team', ['anna@example.com', 'bob@example.com']],
        [NO_GROUP, ['jose@example.org']],
      ],
    );
    assert.equal(sections[2]!.label, 'Contacts');
  });

  test('a collapsed group shows no contacts but its count', () => {
    const team = rosterSections(roster, '', ['Team']).find((s) => s.key === 'Team')!;
    assert.deepEqual([team.collapsed, team.contacts, team.total], [true, [], 2]);
    const none = rosterSections(roster, '', [NO_GROUP]).find((s) => s.key === NO_GROUP)!;
    assert.equal(none.collapsed, true);
  });

  test('while filtering, collapsed groups open and empty sections are left out', () => {
    const sections = rosterSections(roster, 'bob', ['Team']);
    assert.deepEqual(sections.map((s) => [s.key, s.collapsed, jids(s.contacts)]), [
      ['Berlin', false, ['bob@example.com']],
      ['Team', false, ['bob@example.com']],
    ]);
  });

  test('without any groups: one plain section; an empty roster too', () => {
    assert.deepEqual(rosterSections([contact('a@example.com')], '', []).map((s) => s.key), [NO_GROUP]);
    assert.deepEqual(rosterSections([], '', []).map((s) => s.total), [0]);
  });

  test('the selector recomputes only when an input changed, and gives the same sections for the same matches', () => {
    const select = createRosterSectionsSelector();
    const collapsed: string[] = [];
    const first = select(roster, 'b', collapsed);
    assert.equal(select(roster, 'b', collapsed), first);
    assert.equal(select(roster, 'bo', collapsed), first, '"bo" matches what "b" matched: nothing changes below');
    assert.notEqual(select(roster, 'a', collapsed), first);
    assert.notEqual(select([...roster], 'bo', collapsed), first);
    // Everyone matches "example": the unfiltered sections, unless a collapsed group must open.
    const all = select(roster, '', collapsed);
    assert.equal(select(roster, 'example', collapsed), all);
    const folded = ['Team'];
    const closed = select(roster, '', folded);
    const opened = select(roster, 'example', folded);
    assert.notEqual(opened, closed, 'filtering opens the collapsed group');
    assert.equal(opened.find((s) => s.key === 'Team')!.collapsed, false);
  });
});

describe('contact forms', () => {
  test('add: the address must look like name@example.com', () => {
    for (const address of ['', 'bob', 'bob@', '@example.com', 'bob @example.com', 'bob@example.com/phone', 'a@b@c', 'bob@.com', 'bob@example.']) {
      const read = readAddContactForm({ address, name: '', groups: '' }, 'me@example.com');
      assert.equal(read.ok, false, address);
      assert.equal(!read.ok && read.field, 'address');
    }
  });

  test('add: trims, accepts an xmpp: link, refuses our own address, reads name and group', () => {
    assert.deepEqual(readAddContactForm({ address: ' xmpp:bob@example.com ', name: ' Bob ', groups: ' Team ' }, 'me@example.com'), {
      ok: true,
      values: { jid: 'bob@example.com', name: 'Bob', groups: ['Team'] },
    });
    assert.deepEqual(readAddContactForm({ address: 'bob@example.com', name: '', groups: '' }, 'me@example.com'), {
      ok: true,
      values: { jid: 'bob@example.com', groups: [] },
    });
    const own = readAddContactForm({ address: 'Me@Example.com', name: '', groups: '' }, 'me@example.com');
    assert.equal(!own.ok && own.message, 'That is your own address.');
    const long = readAddContactForm({ address: 'bob@example.com', name: 'n'.repeat(257), groups: '' }, 'me@example.com');
    assert.equal(!long.ok && long.field, 'name');
  });

  test('groups: comma-separated, trimmed, repeated ones dropped, bounded', () => {
    assert.deepEqual(parseGroups('Team, Berlin , team,,  '), ['Team', 'Berlin']);
    assert.deepEqual(readEditContactForm({ name: ' Robert ', groups: 'A, B' }), { ok: true, name: 'Robert', groups: ['A', 'B'] });
    assert.equal(readEditContactForm({ name: '', groups: Array.from({ length: 33 }, (_, i) => `g${i}`).join(',') }).ok, false);
    assert.equal(readEditContactForm({ name: '', groups: 'g'.repeat(257) }).ok, false);
  });
});

// ---------------------------------------------------------------------------
// The store and its binding

const account = (id: string): AccountView => accountView(id, { connection: { kind: 'online', jid: `${id}@example.com/r` } });

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));
const request = { jid: 'carol@example.com', receivedAt: 1000 };

describe('store: contacts', () => {
  test('the snapshot brings waiting requests; the event replaces them; removing the account drops them', async () => {
    const fake = fakeApi({ holdSnapshot: true });
    const store = createAppStore();
    const actions = createActions(store, fake.api);
    bindStoreToApi(store, fake.api, actions);
    fake.emit('subscriptionRequestsChanged', { accountId: 'a', requests: [request, { jid: 'dave@example.com', receivedAt: 2000 }] });
    fake.answerSnapshot({ ok: true, value: { accounts: [account('a')], rosters: { a: [] }, chats: {}, secretStorage: { available: true }, subscriptionRequests: { a: [request] } } });
    await tick();
    assert.deepEqual(store.getState().subscriptionRequests['a']?.map((r) => r.jid), ['carol@example.com', 'dave@example.com'], 'the queued event applies after the snapshot');
    fake.emit('subscriptionRequestsChanged', { accountId: 'a', requests: [] });
    assert.deepEqual(store.getState().subscriptionRequests['a'], []);
    store.getState().groupToggled('a', 'Team');
    store.getState().accountRemoved('a');
    assert.equal(store.getState().subscriptionRequests['a'], undefined);
    assert.equal(store.getState().collapsedGroups['a'], undefined);
  });

  test('a snapshot without requests (older main) leaves none', () => {
    const store = createAppStore();
    store.getState().snapshotLoaded({ accounts: [account('a')], rosters: {}, chats: {}, secretStorage: { available: true } });
    assert.deepEqual(store.getState().subscriptionRequests, {});
  });

  test('answering removes the request at once when main accepted; a failure keeps it', async () => {
    const fake = fakeApi({ holdSnapshot: true });
    const store = createAppStore();
    const actions = createActions(store, fake.api);
    store.getState().subscriptionRequestsChanged('a', [request, { jid: 'dave@example.com', receivedAt: 2 }]);
    assert.equal((await actions.answerSubscription('a', 'carol@example.com', true)).ok, true);
    assert.deepEqual(store.getState().subscriptionRequests['a']?.map((r) => r.jid), ['dave@example.com']);
    fake.responses.denySubscription = () => ({ ok: false, error: { code: 'not-connected', message: 'You are not connected.' } });
    const denied = await actions.answerSubscription('a', 'dave@example.com', false);
    assert.equal(!denied.ok && denied.error.code, 'not-connected');
    assert.deepEqual(store.getState().subscriptionRequests['a']?.map((r) => r.jid), ['dave@example.com']);
    assert.deepEqual(fake.calls.map((c) => [c.name, c.payload]), [
      ['approveSubscription', { accountId: 'a', jid: 'carol@example.com' }],
      ['denySubscription', { accountId: 'a', jid: 'dave@example.com' }],
    ]);
  });

  test('contact actions send what the contract expects (empty name and groups left out on add)', async () => {
    const fake = fakeApi({ holdSnapshot: true });
    const actions = createActions(createAppStore(), fake.api);
    await actions.addContact('a', 'bob@example.com');
    await actions.addContact('a', 'bob@example.com', 'Bob', ['Team']);
    await actions.renameContact('a', 'bob@example.com', '');
    await actions.setContactGroups('a', 'bob@example.com', []);
    await actions.removeContact('a', 'bob@example.com');
    assert.deepEqual(fake.calls.map((c) => [c.name, c.payload]), [
      ['addContact', { accountId: 'a', jid: 'bob@example.com' }],
      ['addContact', { accountId: 'a', jid: 'bob@example.com', name: 'Bob', groups: ['Team'] }],
      ['renameContact', { accountId: 'a', jid: 'bob@example.com', name: '' }],
      ['setContactGroups', { accountId: 'a', jid: 'bob@example.com', groups: [] }],
      ['removeContact', { accountId: 'a', jid: 'bob@example.com' }],
    ]);
  });

  test('filter text and collapsed groups live in the UI slice', () => {
    const store = createAppStore();
    store.getState().rosterFilterChanged('bob');
    assert.equal(store.getState().rosterFilter, 'bob');
    store.getState().rosterFilterChanged('x'.repeat(1000));
    assert.equal(store.getState().rosterFilter.length, 256);
    store.getState().groupToggled('a', 'Team');
    store.getState().groupToggled('a', NO_GROUP);
    assert.deepEqual(store.getState().collapsedGroups['a'], ['Team', NO_GROUP]);
    store.getState().groupToggled('a', 'Team');
    assert.deepEqual(store.getState().collapsedGroups['a'], [NO_GROUP]);
  });
});

describe('store: avatars', () => {
  test('from the snapshot and the event; removed with none; the account removal drops them', async () => {
    const fake = fakeApi({ holdSnapshot: true });
    const store = createAppStore();
    const actions = createActions(store, fake.api);
    bindStoreToApi(store, fake.api, actions);
    fake.answerSnapshot({ ok: true, value: { accounts: [account('a')], rosters: {}, chats: {}, secretStorage: { available: true }, avatars: { a: { 'bob@example.com': 'data:image/png;base64,AAAA' } } } });
    await tick();
    assert.equal(store.getState().avatars['a']?.['bob@example.com'], 'data:image/png;base64,AAAA');
    fake.emit('avatarChanged', { accountId: 'a', jid: 'carol@example.com', avatar: 'data:image/gif;base64,R0lG' });
    fake.emit('avatarChanged', { accountId: 'a', jid: 'bob@example.com' });
    assert.deepEqual(store.getState().avatars['a'], { 'carol@example.com': 'data:image/gif;base64,R0lG' });
    const before = store.getState().avatars;
    fake.emit('avatarChanged', { accountId: 'a', jid: 'bob@example.com' });
    assert.equal(store.getState().avatars, before, 'nothing changed: the same object');
    store.getState().accountRemoved('a');
    assert.equal(store.getState().avatars['a'], undefined);
  });
});
