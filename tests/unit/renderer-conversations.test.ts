/**
 * The conversation list derived in the renderer store: most recent first across chats and rooms,
 * a private message's preview never shows its text, unread counts from the roster and the rooms.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatMessage, Contact, RoomView } from '../../shared/contract';
import { conversationList, createConversationListSelector, roomName, type ConversationSources } from '../../renderer/store/conversations';
import { createAppStore } from '../../renderer/store/store';

function contact(jid: string, extra: Partial<Contact> = {}): Contact {
  return { jid, subscription: 'both', groups: [], presence: { show: 'online', status: '' }, unread: 0, ...extra };
}

function message(id: string, peer: string, timestamp: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { id, peer, direction: 'in', body: `text of ${id}`, timestamp, state: 'received', ...extra };
}

function room(jid: string, extra: Partial<RoomView> = {}): RoomView {
  return { jid, nick: 'me', state: 'joined', occupants: [], unread: 0, ...extra };
}

function sources(extra: Partial<ConversationSources> = {}): ConversationSources {
  return { accountIds: ['a1'], chats: {}, rosters: {}, rooms: {}, roomMessages: {}, ...extra };
}

describe('conversation list', () => {
  test('chats and rooms together, ordered by their last message, newest first; notices are not activity', () => {
    const list = conversationList(
      sources({
        rosters: { a1: [contact('anna@example.com', { name: 'Anna' }), contact('bob@example.com', { name: 'Bob' })] },
        chats: {
          a1: {
            'anna@example.com': [message('a1', 'anna@example.com', 100), message('a2', 'anna@example.com', 500, { direction: 'notice', body: 'went private' })],
            'bob@example.com': [message('b1', 'bob@example.com', 300)],
            // Only Klatsch's notices: nothing was said, no conversation yet.
            'carl@example.com': [message('c1', 'carl@example.com', 900, { direction: 'notice' })],
          },
        },
        rooms: { a1: [room('team@conference.example.com'), room('quiet@conference.example.com')] },
        roomMessages: { a1: { 'team@conference.example.com': [message('t1', 'team@conference.example.com', 200, { nick: 'zoe' })] } },
      }),
    );
    assert.deepEqual(
      list.map((c) => [c.kind, c.peer, c.lastActivity]),
      [
        ['chat', 'bob@example.com', 300],
        ['room', 'team@conference.example.com', 200],
        ['chat', 'anna@example.com', 100],
        ['room', 'quiet@conference.example.com', 0],
      ],
    );
    assert.equal(list[0]!.name, 'Bob');
    assert.equal(list[1]!.name, 'team', "a room is called by its name, not its full address");
  });

  test("a private message's preview never carries its text, whichever side wrote it", () => {
    const secret = 'the merger closes on Friday';
    const list = conversationList(
      sources({
        chats: {
          a1: {
            'anna@example.com': [message('p1', 'anna@example.com', 100, { body: secret, encrypted: true })],
            'bob@example.com': [message('p2', 'bob@example.com', 200, { direction: 'out', state: 'sent', body: secret, encrypted: true })],
            'carl@example.com': [message('p3', 'carl@example.com', 50, { body: 'lunch?\nat noon' })],
          },
        },
      }),
    );
    assert.deepEqual(list.find((c) => c.peer === 'anna@example.com')!.preview, { kind: 'private', fromMe: false });
    assert.deepEqual(list.find((c) => c.peer === 'bob@example.com')!.preview, { kind: 'private', fromMe: true });
    assert.ok(!JSON.stringify(list).includes('merger'), 'the private text is nowhere in the list');
    assert.deepEqual(list.find((c) => c.peer === 'carl@example.com')!.preview, { kind: 'text', text: 'lunch? at noon', fromMe: false });
  });

  test('unread counts come from the roster and the rooms; a stranger without a roster entry is listed by address', () => {
    const list = conversationList(
      sources({
        rosters: { a1: [contact('anna@example.com', { unread: 3 })] },
        chats: { a1: { 'anna@example.com': [message('a1', 'anna@example.com', 100)], 'stranger@example.net': [message('s1', 'stranger@example.net', 200)] } },
        rooms: { a1: [room('team@conference.example.com', { unread: 7 })] },
      }),
    );
    const unread = Object.fromEntries(list.map((c) => [c.peer, c.unread]));
    assert.deepEqual(unread, { 'anna@example.com': 3, 'stranger@example.net': 0, 'team@conference.example.com': 7 });
    assert.equal(list.find((c) => c.peer === 'stranger@example.net')!.name, 'stranger@example.net');
  });

  test('only the given accounts', () => {
    const list = conversationList(
      sources({
        accountIds: ['a2'],
        chats: { a1: { 'anna@example.com': [message('a1', 'anna@example.com', 100)] }, a2: { 'bob@example.com': [message('b1', 'bob@example.com', 100)] } },
      }),
    );
    assert.deepEqual(list.map((c) => [c.accountId, c.peer]), [['a2', 'bob@example.com']]);
  });

  test('from the store: a new message moves its chat to the top; the selector keeps its result while nothing changed', () => {
    const store = createAppStore();
    store.getState().rosterReplaced('a1', [contact('anna@example.com', { name: 'Anna' }), contact('bob@example.com', { name: 'Bob' })]);
    store.getState().messageUpserted('a1', message('a1', 'anna@example.com', 100));
    store.getState().messageUpserted('a1', message('b1', 'bob@example.com', 200));
    const select = createConversationListSelector();
    const pick = () => {
      const s = store.getState();
      return select({ accountIds: ['a1'], chats: s.chats, rosters: s.rosters, rooms: s.rooms, roomMessages: s.roomMessages });
    };
    const first = pick();
    assert.deepEqual(first.map((c) => c.name), ['Bob', 'Anna']);
    assert.equal(pick(), first, 'same sources, same array');
    store.getState().messageUpserted('a1', message('a2', 'anna@example.com', 300, { body: 'news' }));
    const second = pick();
    assert.deepEqual(second.map((c) => c.name), ['Anna', 'Bob']);
    assert.deepEqual(second[0]!.preview, { kind: 'text', text: 'news', fromMe: false });
  });

  test('roomName', () => {
    assert.equal(roomName('team@conference.example.com'), 'team');
    assert.equal(roomName('conference.example.com'), 'conference.example.com');
  });
});
