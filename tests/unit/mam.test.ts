/**
 * The message archive (XEP-0313) on untrusted stanzas: the query we send, results believed only
 * from our own archive and for our own queries, OTR never shown, de-duplication against the local
 * chat by archive id and message id, time order, and the mark that survives a restart.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import type { ChatMessage } from '../../shared/contract.js';
import { checkMamResult, mamQuery, NS_MAM, ownStanzaId, parseFin } from '../../electron/core/archive/mam.js';
import { isOtrTraffic, OtrProvider } from '../../electron/core/e2ee/otr/provider.js';
import { E2eeRouter } from '../../electron/core/e2ee/router.js';
import type { E2eeHost } from '../../electron/core/e2ee/provider.js';
import { archiveDuplicate } from '../../electron/core/archive/archive-dedup.js';
import { ARCHIVE_PRIVATE_NOTICE, MessageArchive } from '../../electron/core/archive/message-archive.js';
import { ChatLog } from '../../electron/core/chat-log.js';
import { HistoryStore } from '../../electron/core/store/history-store.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import type { XmppSession } from '../../electron/core/xmpp/xmpp-session.js';

/** The encryption router as an account has it, with OTR: what an archived copy shows is OTR's to say. */
const otrOnly = new E2eeRouter({ account: 'alice@example.com', isContact: () => true } as unknown as E2eeHost, [
  (host) => new OtrProvider(host, { identities: { identity: () => Promise.reject(new Error('no key in this test')) }, policyFor: () => 'opportunistic' }),
]);
after(() => otrOnly.close());

const OWN = 'alice@example.com';
const BOB = 'bob@example.com';
const yes = () => true;

function inner(attrs: Record<string, string>, ...children: Element[]): Element {
  return xml('message', { type: 'chat', ...attrs }, ...children);
}
const fromBob = (body: string, id = 'b1') => inner({ from: `${BOB}/phone`, to: `${OWN}/laptop`, id }, xml('body', {}, body));
const toBob = (body: string, id = 'a1') => inner({ from: `${OWN}/laptop`, to: BOB, id }, xml('body', {}, body));

function result(
  message: Element,
  { queryId = 'q1', archiveId = 'arch-1', from = OWN as string | undefined, stamp = '2024-05-01T10:00:00Z' } = {},
): Element {
  return xml(
    'message',
    { ...(from !== undefined ? { from } : {}), to: `${OWN}/klatsch` },
    xml(
      'result',
      { xmlns: NS_MAM, queryid: queryId, id: archiveId },
      xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, xml('delay', { xmlns: 'urn:xmpp:delay', stamp }), message),
    ),
  );
}

describe('mamQuery', () => {
  test('asks our own archive with a form, a page size and a paging point', () => {
    const q = mamQuery({ queryId: 'q9', with: BOB, before: '', end: Date.UTC(2024, 0, 2), max: 50 });
    assert.equal(q.attrs.type, 'set');
    assert.equal(q.attrs.to, undefined, 'our own archive: no `to`');
    const query = q.getChild('query', NS_MAM)!;
    assert.equal(query.attrs.queryid, 'q9');
    const fields = query.getChild('x', 'jabber:x:data')!.getChildren('field');
    assert.deepEqual(
      fields.map((f) => [f.attrs.var, f.getChildText('value')]),
      [
        ['FORM_TYPE', NS_MAM],
        ['with', BOB],
        ['end', '2024-01-02T00:00:00.000Z'],
      ],
    );
    const set = query.getChild('set', 'http://jabber.org/protocol/rsm')!;
    assert.equal(set.getChildText('max'), '50');
    assert.equal(set.getChildText('before'), '');
    assert.equal(set.getChild('after'), undefined);
    const forward = mamQuery({ queryId: 'q10', after: 'arch-7', max: 10 }).getChild('query', NS_MAM)!.getChild('set', 'http://jabber.org/protocol/rsm')!;
    assert.equal(forward.getChildText('after'), 'arch-7');
    assert.equal(forward.getChild('before'), undefined);
  });
});

describe('checkMamResult', () => {
  test('an ordinary message is no result', () => {
    assert.deepEqual(checkMamResult(fromBob('hi'), OWN, yes), { kind: 'none' });
  });

  test('a result from our bare JID (or with no from) for our query is believed', () => {
    for (const from of [OWN, 'Alice@Example.com', undefined]) {
      const check = checkMamResult(result(fromBob('hello'), { from }), OWN, (id) => id === 'q1');
      assert.equal(check.kind, 'result', String(from));
      if (check.kind !== 'result') continue;
      const { message, ...rest } = check.message!;
      assert.equal(message.getChildText('body'), 'hello', 'the archived message itself, for the encryption schemes to claim');
      assert.deepEqual(rest, {
        archiveId: 'arch-1',
        direction: 'in',
        peer: BOB,
        messageId: 'b1',
        body: 'hello',
        encrypted: false,
        stampedAt: Date.UTC(2024, 4, 1, 10),
        replaces: undefined,
      });
    }
  });

  test('forged results are refused: another sender, a full JID of ours, a foreign domain, a query we did not make', () => {
    for (const from of [BOB, `${BOB}/phone`, `${OWN}/laptop`, 'example.com', 'alice@example.com.evil']) {
      assert.equal(checkMamResult(result(fromBob('FORGED'), { from }), OWN, yes).kind, 'rejected', from);
    }
    assert.equal(checkMamResult(result(fromBob('FORGED'), { queryId: 'guessed' }), OWN, (id) => id === 'q1').kind, 'rejected');
    const noQueryId = xml('message', { from: OWN }, xml('result', { xmlns: NS_MAM, id: 'x' }));
    assert.equal(checkMamResult(noQueryId, OWN, yes).kind, 'rejected');
    const two = result(fromBob('a'));
    two.children.push(xml('result', { xmlns: NS_MAM, queryid: 'q1', id: 'arch-2' }));
    assert.equal(checkMamResult(two, OWN, yes).kind, 'rejected');
  });

  test('our own messages are outgoing to the peer; messages between our devices or of strangers give nothing', () => {
    const out = checkMamResult(result(toBob('mine')), OWN, yes);
    assert.ok(out.kind === 'result' && out.message?.direction === 'out' && out.message.peer === BOB);
    const selfChat = inner({ from: `${OWN}/laptop`, to: `${OWN}/phone` }, xml('body', {}, 'note'));
    const strangers = inner({ from: 'eve@evil.example/x', to: 'mallory@evil.example' }, xml('body', {}, 'x'));
    const groupchat = inner({ from: `${BOB}/phone`, to: OWN, type: 'groupchat' }, xml('body', {}, 'x'));
    for (const m of [selfChat, strangers, groupchat]) {
      const check = checkMamResult(result(m), OWN, yes);
      assert.ok(check.kind === 'result' && check.message === undefined, m.toString());
    }
    const twoForwarded = result(fromBob('a'));
    twoForwarded.getChild('result', NS_MAM)!.getChild('forwarded', 'urn:xmpp:forward:0')!.children.push(fromBob('b'));
    const check = checkMamResult(twoForwarded, OWN, yes);
    assert.ok(check.kind === 'result' && check.message === undefined);
  });

  test('messages labelled encrypted are marked so, OTR traffic is left to the OTR provider; origin-id and corrections are read', () => {
    const otr = checkMamResult(result(fromBob('?OTR:AAMDxyz.')), OWN, yes);
    assert.ok(otr.kind === 'result' && otr.message !== undefined && isOtrTraffic(otr.message.message));
    const eme = fromBob('This message is encrypted');
    eme.children.push(xml('encryption', { xmlns: 'urn:xmpp:eme:0', namespace: 'eu.siacs.conversations.axolotl' }));
    const omemo = checkMamResult(result(eme), OWN, yes);
    assert.ok(omemo.kind === 'result' && omemo.message?.encrypted === true);
    const corrected = fromBob('fixed', 'b2');
    corrected.children.push(xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: 'origin-9' }), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'b1' }));
    const check = checkMamResult(result(corrected), OWN, yes);
    assert.ok(check.kind === 'result');
    assert.equal(check.message?.messageId, 'origin-9');
    assert.equal(check.message?.replaces, 'b1');
  });

  test("the sender's own stamp (milliseconds) orders an archived copy, believed only within bounds of the archive's", () => {
    const stamped = (stamp: string, from = BOB) =>
      inner({ from: `${BOB}/phone`, to: `${OWN}/laptop`, id: 'b9' }, xml('body', {}, 'waited'), xml('delay', { xmlns: 'urn:xmpp:delay', from, stamp }));
    const timeOf = (m: Element) => {
      const check = checkMamResult(result(m, { stamp: '2024-05-01T10:00:00Z' }), OWN, yes);
      return check.kind === 'result' ? check.message?.stampedAt : undefined;
    };
    assert.equal(timeOf(stamped('2024-05-01T10:00:00.700Z')), Date.parse('2024-05-01T10:00:00.700Z'), 'within the archive’s second');
    assert.equal(timeOf(stamped('2024-05-01T09:58:12.345Z')), Date.parse('2024-05-01T09:58:12.345Z'), 'written before, stored later');
    assert.equal(timeOf(stamped('2024-05-01T10:00:02Z')), Date.parse('2024-05-01T10:00:00Z'), 'after the archive got it: not believed');
    assert.equal(timeOf(stamped('2024-04-29T10:00:00Z')), Date.parse('2024-05-01T10:00:00Z'), 'longer before than any message waits: not believed');
    assert.equal(timeOf(stamped('2024-05-01T09:59:00Z', 'eve@evil.example')), Date.parse('2024-05-01T10:00:00Z'), 'not the sender’s own stamp');
  });

  test('garbage inside a result never throws', () => {
    const bad = [
      xml('message', { from: OWN }, xml('result', { xmlns: NS_MAM, queryid: 'q1' })),
      xml('message', { from: OWN }, xml('result', { xmlns: NS_MAM, queryid: 'q1', id: 'x'.repeat(300) }, xml('forwarded', { xmlns: 'urn:xmpp:forward:0' }, fromBob('a')))),
      result(inner({ from: 'not a jid', to: OWN }, xml('body', {}, 'x'))),
      result(fromBob('x'), { stamp: 'yesterday' }),
    ];
    for (const stanza of bad) assert.doesNotThrow(() => checkMamResult(stanza, OWN, yes));
    const badStamp = checkMamResult(bad[3]!, OWN, yes);
    assert.ok(badStamp.kind === 'result' && badStamp.message?.stampedAt === undefined);
  });
});

describe('parseFin and ownStanzaId', () => {
  test('fin says whether the page was the last and names its ends', () => {
    const iq = xml(
      'iq',
      { type: 'result' },
      xml('fin', { xmlns: NS_MAM, complete: 'true' }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('first', {}, 'a'), xml('last', {}, 'z'))),
    );
    assert.deepEqual(parseFin(iq), { complete: true, first: 'a', last: 'z' });
    assert.deepEqual(parseFin(xml('iq', { type: 'result' }, xml('fin', { xmlns: NS_MAM }))), { complete: false, first: undefined, last: undefined });
    assert.equal(parseFin(xml('iq', { type: 'result' })), undefined);
  });

  test('a live stanza-id counts only when it is by our bare JID', () => {
    const live = fromBob('hi');
    live.children.push(xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: OWN, id: 'arch-5' }));
    assert.equal(ownStanzaId(live, OWN), 'arch-5');
    const forged = fromBob('hi');
    forged.children.push(xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: BOB, id: 'arch-6' }));
    forged.children.push(xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by: `${OWN}/laptop`, id: 'arch-7' }));
    assert.equal(ownStanzaId(forged, OWN), undefined);
  });
});

describe('archiveDuplicate', () => {
  const local: ChatMessage[] = [
    { id: 'a1', peer: BOB, direction: 'out', body: 'mine', timestamp: 1, state: 'delivered' },
    { id: 'b1', peer: BOB, direction: 'in', body: 'theirs', timestamp: 2, state: 'received', archiveId: 'arch-2' },
  ];
  test('by archive id, or by message id in the same direction', () => {
    assert.equal(archiveDuplicate(local, { archiveId: 'arch-2', direction: 'in', messageId: 'other' })?.id, 'b1');
    assert.equal(archiveDuplicate(local, { archiveId: 'arch-1', direction: 'out', messageId: 'a1' })?.id, 'a1');
    assert.equal(archiveDuplicate(local, { archiveId: 'arch-1', direction: 'in', messageId: 'a1' }), undefined, 'a peer reusing our id is no duplicate');
    assert.equal(archiveDuplicate(local, { archiveId: 'arch-9', direction: 'in', messageId: undefined }), undefined);
  });
});

/** A value of a query's form (its filters), if it has that field. */
function formValue(query: Element, name: string): string | undefined {
  const form = query.getChild('query', NS_MAM)!.getChild('x', 'jabber:x:data')!;
  return form.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value') ?? undefined;
}

/** One of a query's paging elements (XEP-0059), if it has it. */
function rsm(query: Element, name: string): string | undefined {
  return query.getChild('query', NS_MAM)!.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText(name) ?? undefined;
}

/** A MessageArchive over a real ChatLog; the session is the smallest thing that answers queries with given pages. */
function archiveWith(pages: (query: Element) => { results: Element[]; complete: boolean; last?: string }, storedMark?: string) {
  const chats = new ChatLog();
  const put: { message: ChatMessage; unread: boolean }[] = [];
  let mark: string | undefined = storedMark;
  const queries: Element[] = [];
  const receipts: [string, string][] = [];
  const session = {
    iq: {
      request: async (iq: Element) => {
        queries.push(iq);
        const queryId = iq.getChild('query', NS_MAM)!.attrs.queryid as string;
        const page = pages(iq);
        for (const r of page.results) {
          r.getChild('result', NS_MAM)!.attrs.queryid = queryId;
          archive.onStanza(r);
        }
        const set = xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, page.last ? xml('last', {}, page.last) : undefined);
        return xml('iq', { type: 'result' }, xml('fin', { xmlns: NS_MAM, ...(page.complete ? { complete: 'true' } : {}) }, set));
      },
    },
  } as unknown as XmppSession;
  const archive: MessageArchive = new MessageArchive({
    session: () => session,
    ownBare: () => OWN,
    peers: () => chats.peers(),
    list: (peer) => chats.list(peer),
    has: (peer, id, direction) => chats.has(peer, id, direction),
    put: (message, unread) => {
      chats.upsert(message);
      put.push({ message, unread });
    },
    accepts: (peer) => peer !== 'denied@example.com',
    mark: () => mark,
    setMark: (id) => (mark = id),
    now: () => Date.UTC(2024, 5, 1),
    readCopy: (copy, body) => otrOnly.readCopy(copy, body),
    receiptArrived: (peer, id) => receipts.push([peer, id]),
  });
  return { archive, chats, put, queries, receipts, mark: () => mark };
}

describe('MessageArchive', () => {
  test('catching up: what is new goes in, in time order, unread; what we have is recognized; the mark moves', async () => {
    const { archive, chats, put, mark } = archiveWith(() => ({
      results: [
        result(fromBob('first', 'b1'), { archiveId: 'arch-1', stamp: '2024-05-01T10:00:00Z' }),
        result(toBob('already here', 'a1'), { archiveId: 'arch-2', stamp: '2024-05-01T10:01:00Z' }),
        result(fromBob('third', 'b3'), { archiveId: 'arch-3', stamp: '2024-05-01T10:02:00Z' }),
        result(inner({ from: 'denied@example.com/x', to: OWN, id: 'd1' }, xml('body', {}, 'denied')), { archiveId: 'arch-4' }),
      ],
      complete: true,
      last: 'arch-4',
    }));
    // Ours, sent from this device before: de-duplicated by its message id.
    chats.upsert({ id: 'a1', peer: BOB, direction: 'out', body: 'already here', timestamp: Date.UTC(2024, 4, 1, 10, 1, 0, 300), state: 'delivered' });
    // A live message that came in after the others: the archived ones go before it.
    chats.upsert({ id: 'live', peer: BOB, direction: 'in', body: 'live', timestamp: Date.UTC(2024, 4, 2), state: 'received' });
    assert.equal(await archive.catchUp(), 2);
    assert.deepEqual(
      chats.list(BOB).map((m) => [m.body, m.archiveId]),
      [
        ['first', 'arch-1'],
        ['already here', 'arch-2'],
        ['third', 'arch-3'],
        ['live', undefined],
      ],
    );
    assert.equal(chats.list(BOB)[1]!.state, 'delivered', 'the known message keeps its state');
    assert.deepEqual(
      put.filter((p) => p.message.body !== 'already here').map((p) => [p.message.body, p.unread]),
      [
        ['first', true],
        ['third', true],
      ],
    );
    assert.equal(chats.list('denied@example.com').length, 0);
    assert.equal(mark(), 'arch-4');
  });

  test("the contact's receipts found in the archive confirm our messages (one that came to a stream of ours that died is delivered nowhere else)", async () => {
    const receipt = (attrs: Record<string, string>, id: string) => inner({ id: `r-${id}`, ...attrs }, xml('received', { xmlns: 'urn:xmpp:receipts', id }));
    const { archive, chats, receipts } = archiveWith(() => ({
      results: [
        // Prosody archives a receipt to a full JID of ours whose stream died, and counts it as handled (no offline copy).
        result(receipt({ from: `${BOB}/phone`, to: `${OWN}/gone` }, 'a1'), { archiveId: 'arch-1' }),
        // Our own receipt for a message of Bob's (another device of ours sent it): it confirms nothing of ours.
        result(receipt({ from: `${OWN}/laptop`, to: `${BOB}/phone` }, 'b1'), { archiveId: 'arch-2' }),
        // From an address the administrator denies: not believed.
        result(receipt({ from: 'denied@example.com/x', to: OWN }, 'a2'), { archiveId: 'arch-3' }),
      ],
      complete: true,
      last: 'arch-3',
    }));
    assert.equal(await archive.catchUp(), 0, 'a receipt is nothing to show');
    assert.deepEqual(receipts, [[BOB, 'a1']]);
    assert.equal(chats.list(BOB).length, 0);
  });

  test('fetched twice, nothing is added twice', async () => {
    const page = () => ({ results: [result(fromBob('once', 'b1'), { archiveId: 'arch-1' })], complete: true, last: 'arch-1' });
    const { archive, chats } = archiveWith(page);
    assert.equal(await archive.catchUp(), 1);
    assert.equal(await archive.catchUp(), 0);
    assert.equal(await archive.loadOlder(BOB).then((r) => r.added), 0);
    assert.equal(chats.list(BOB).length, 1);
  });

  test('a message without an id is recognized by its archive id', async () => {
    const noId = inner({ from: `${BOB}/phone`, to: OWN }, xml('body', {}, 'no id'));
    const { archive, chats } = archiveWith(() => ({ results: [result(noId, { archiveId: 'arch-1' })], complete: true, last: 'arch-1' }));
    await archive.catchUp();
    await archive.catchUp();
    assert.deepEqual(chats.list(BOB).map((m) => m.body), ['no id']);
  });

  test('OTR from the archive is never shown: one notice per page instead', async () => {
    const { archive, chats } = archiveWith(() => ({
      results: [
        result(fromBob('?OTR:AAMDsecret1.', 'o1'), { archiveId: 'arch-1' }),
        result(fromBob('?OTR:AAMDsecret2.', 'o2'), { archiveId: 'arch-2' }),
        result(fromBob('plain', 'p1'), { archiveId: 'arch-3' }),
      ],
      complete: true,
      last: 'arch-3',
    }));
    await archive.catchUp();
    await archive.catchUp();
    const list = chats.list(BOB);
    assert.ok(!list.some((m) => m.body.includes('?OTR')), 'no ciphertext');
    assert.deepEqual(list.map((m) => [m.direction, m.body]), [
      ['notice', ARCHIVE_PRIVATE_NOTICE],
      ['in', 'plain'],
    ]);
  });

  test('a correction from the archive corrects the message it names', async () => {
    const fix = fromBob('fixed text', 'b2');
    fix.children.push(xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'b1' }));
    const { archive, chats } = archiveWith(() => ({
      results: [result(fromBob('tpyo', 'b1'), { archiveId: 'arch-1' }), result(fix, { archiveId: 'arch-2', stamp: '2024-05-01T10:05:00Z' })],
      complete: true,
      last: 'arch-2',
    }));
    await archive.catchUp();
    assert.deepEqual(chats.list(BOB).map((m) => [m.id, m.body, m.edited]), [['b1', 'fixed text', true]]);
  });

  test('catching up pages forward from the mark until the archive says complete', async () => {
    let n = 0;
    const { archive, queries, mark } = archiveWith(() => {
      n++;
      return { results: [result(fromBob(`m${n}`, `b${n}`), { archiveId: `arch-${n}` })], complete: n === 3, last: `arch-${n}` };
    });
    // Nothing known yet: the newest page only.
    await archive.catchUp();
    assert.equal(queries[0]!.getChild('query', NS_MAM)!.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('before'), '');
    assert.equal(mark(), 'arch-1');
    await archive.catchUp();
    const afters = queries.slice(1).map((q) => q.getChild('query', NS_MAM)!.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('after'));
    assert.deepEqual(afters, ['arch-1', 'arch-2']);
    assert.equal(mark(), 'arch-3');
  });

  test('an empty archive at the first catch-up: the next one starts from that time (a little earlier), pages forward, then by id', async () => {
    let n = 0;
    const { archive, queries, mark } = archiveWith(() => {
      n++;
      if (n === 1) return { results: [], complete: true };
      return { results: [result(fromBob(`m${n}`, `b${n}`), { archiveId: `arch-${n}` })], complete: n >= 3, last: `arch-${n}` };
    });
    await archive.catchUp();
    assert.notEqual(mark(), undefined, 'a starting point is stored although the archive named none');
    archive.sessionStarted();
    await archive.catchUp();
    const start = Date.parse(formValue(queries[1]!, 'start')!);
    assert.ok(start < Date.UTC(2024, 5, 1) && start >= Date.UTC(2024, 5, 1) - 10 * 60_000, 'from the time of the empty catch-up, with a margin');
    assert.equal(rsm(queries[1]!, 'before'), undefined, 'forward, not the newest page');
    assert.deepEqual(queries.slice(2).map((q) => rsm(q, 'after')), ['arch-2']);
    assert.equal(mark(), 'arch-3');
    // Once the mark names an archived message, the time filter is no longer needed.
    archive.sessionStarted();
    await archive.catchUp();
    assert.equal(formValue(queries.at(-1)!, 'start'), undefined);
    assert.equal(rsm(queries.at(-1)!, 'after'), 'arch-3');
  });

  test('no mark but messages here: from the newest one received (not one still waiting to go out), stored before the first answer', async () => {
    const marksAtQuery: (string | undefined)[] = [];
    const { archive, chats, queries, mark } = archiveWith(() => {
      marksAtQuery.push(mark());
      return { results: [], complete: true };
    });
    chats.upsert({ id: 'r1', peer: BOB, direction: 'in', body: 'received', timestamp: Date.UTC(2024, 4, 20), state: 'received' });
    chats.upsert({ id: 'o1', peer: BOB, direction: 'out', body: 'waiting', timestamp: Date.UTC(2024, 4, 25), state: 'waiting' });
    chats.upsert({ id: 'c1', peer: 'carol@example.com', direction: 'in', body: 'newer', timestamp: Date.UTC(2024, 4, 21), state: 'received' });
    await archive.catchUp();
    const start = Date.parse(formValue(queries[0]!, 'start')!);
    assert.ok(start < Date.UTC(2024, 4, 21) && start > Date.UTC(2024, 4, 20), 'from the newest received message, a little earlier');
    assert.notEqual(marksAtQuery[0], undefined, 'a kill during the catch-up keeps its starting point');
  });

  test('a mark the archive no longer knows: from the newest message here, not the newest page', async () => {
    const { archive, chats, queries, mark } = archiveWith((q) => {
      if (rsm(q, 'after') === 'gone') throw Object.assign(new Error('item-not-found'), { condition: 'item-not-found' });
      return { results: [result(fromBob('new', 'b2'), { archiveId: 'arch-2' })], complete: true, last: 'arch-2' };
    }, 'gone');
    chats.upsert({ id: 'r1', peer: BOB, direction: 'in', body: 'received', timestamp: Date.UTC(2024, 4, 20), state: 'received', archiveId: 'gone' });
    assert.equal(await archive.catchUp(), 1);
    assert.equal(rsm(queries[1]!, 'before'), undefined);
    assert.ok(Date.parse(formValue(queries[1]!, 'start')!) < Date.UTC(2024, 4, 20));
    assert.equal(mark(), 'arch-2');
  });

  test('loading older asks before the oldest archived message of that chat, and says when the archive is exhausted', async () => {
    const { archive, chats, queries, put } = archiveWith(() => ({
      results: [result(fromBob('older', 'b0'), { archiveId: 'arch-0', stamp: '2024-04-01T10:00:00Z' })],
      complete: true,
    }));
    chats.upsert({ id: 'b1', peer: BOB, direction: 'in', body: 'newer', timestamp: Date.UTC(2024, 4, 1), state: 'received', archiveId: 'arch-1' });
    assert.deepEqual(await archive.loadOlder(BOB), { added: 1, complete: true });
    const query = queries[0]!.getChild('query', NS_MAM)!;
    assert.equal(query.getChild('set', 'http://jabber.org/protocol/rsm')!.getChildText('before'), 'arch-1');
    assert.equal(query.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === 'with')?.getChildText('value'), BOB);
    assert.deepEqual(chats.list(BOB).map((m) => m.body), ['older', 'newer']);
    assert.equal(put[0]!.unread, false, 'older history is not unread');
  });

  test('an older page stamped in the same second as the oldest message still sorts before it', async () => {
    const stamp = '2024-05-01T10:00:00Z';
    const { archive, chats } = archiveWith(() => ({
      results: [result(fromBob('older 1', 'o1'), { archiveId: 'arch-1', stamp }), result(fromBob('older 2', 'o2'), { archiveId: 'arch-2', stamp })],
      complete: false,
    }));
    chats.upsert({ id: 'n1', peer: BOB, direction: 'in', body: 'newest', timestamp: Date.UTC(2024, 4, 1, 10), state: 'received', archiveId: 'arch-3' });
    assert.deepEqual(await archive.loadOlder(BOB), { added: 2, complete: false });
    assert.deepEqual(chats.list(BOB).map((m) => m.body), ['older 1', 'older 2', 'newest']);
  });

  test('live archived messages move the mark only once this session caught up', async () => {
    const { archive, mark } = archiveWith(() => ({ results: [result(fromBob('x', 'b1'), { archiveId: 'arch-1' })], complete: true, last: 'arch-1' }));
    archive.sessionStarted();
    archive.sawLive('arch-live-0');
    assert.equal(mark(), undefined, 'before catching up, a live id says nothing of what came before it');
    archive.liveSettled('arch-live-0');
    await archive.catchUp();
    archive.sawLive('arch-live-1');
    archive.liveSettled('arch-live-1');
    assert.equal(mark(), 'arch-live-1');
    archive.sessionStarted();
    archive.sawLive('arch-live-2');
    archive.liveSettled('arch-live-2');
    assert.equal(mark(), 'arch-live-1', 'a new session catches up first');
  });

  test('a live message moves the mark only once it and every live message before it are shown (a kill meanwhile loses none)', async () => {
    const { archive, mark } = archiveWith(() => ({ results: [], complete: true, last: 'arch-0' }));
    await archive.catchUp();
    const before = mark();
    // Three arrive; the newest is shown first (another chat's queue was quicker), the first is still on its way.
    archive.sawLive('arch-live-1');
    archive.sawLive('arch-live-2');
    archive.sawLive('arch-live-3');
    assert.equal(mark(), before, 'arrived is not shown: the server drops unacknowledged archived messages of a killed app');
    archive.liveSettled('arch-live-3');
    assert.equal(mark(), before, 'the mark never passes a message still on its way to the history');
    archive.liveSettled('arch-live-1');
    assert.equal(mark(), 'arch-live-1');
    archive.liveSettled('arch-live-2');
    assert.equal(mark(), 'arch-live-3', 'all shown: the mark is the newest');
  });

  test('a server flooding one page gets only a bounded number of results taken', async () => {
    const flood = Array.from({ length: 1_000 }, (_, i) => result(fromBob(`flood ${i}`, `f${i}`), { archiveId: `arch-${i}` }));
    const { archive, chats } = archiveWith(() => ({ results: flood, complete: true, last: 'arch-999' }));
    await archive.catchUp();
    assert.equal(chats.list(BOB).length, 200);
  });

  test('results after the answer, or for another query, are refused', async () => {
    const { archive, chats } = archiveWith(() => ({ results: [], complete: true }));
    await archive.catchUp();
    assert.equal(archive.onStanza(result(fromBob('late'), { queryId: 'q1' })), true, 'taken (and dropped), not handled as a message');
    assert.equal(chats.list(BOB).length, 0);
  });
});

describe('HistoryStore archive mark', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));
  test('survives a restart', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-mam-'));
    dirs.push(dir);
    const box = await FileKeySecretBox.open(path.join(dir, 'key'));
    const file = HistoryStore.fileInProfile(dir, 'acc-1');
    const store = await HistoryStore.open(file, box);
    assert.equal(store.archiveMark, undefined);
    store.setArchiveMark('arch-42');
    await store.close();
    const again = await HistoryStore.open(file, box);
    assert.equal(again.archiveMark, 'arch-42');
    assert.equal(again.problem, undefined);
    await again.close();
  });
});
