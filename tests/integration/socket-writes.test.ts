/**
 * What our sockets do for message latency, against a real Prosody (as it comes: Nagle on its side).
 * Chat is small writes that each wait for an answer; with Nagle's algorithm a small segment waits for
 * the acknowledgement of the one before, which the peer delays (~40 ms on Linux). So: every socket
 * sends at once (TCP_NODELAY, over STARTTLS and direct TLS); a message and its acknowledgement request
 * (XEP-0198 `<r/>`) leave in one write; a receipt or a chat state asks for no acknowledgement (nothing
 * waits for it, and each request draws an answer that is one more small segment); the user's messages
 * are still acknowledged. Seen where it happens: the writes handed to the TLS sockets of the two cores.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import type { AccountView } from '../../shared/contract.js';
import { startProsody, type ProsodyServer } from '../fixtures/prosody.js';
import type { TestCore } from '../fixtures/core.js';
import { twoContactsOnline } from '../fixtures/two-cores.js';
import { usersWith } from '../fixtures/xmpp-server.js';

const password = 'socket-writes-pw';
const R = /<r xmlns=["']urn:xmpp:sm:3["']\/>/;

/** Every write handed to a TLS socket in this process, in order. */
const writes: { socket: tls.TLSSocket; data: string }[] = [];
/** The last setNoDelay() of each socket. */
const noDelay = new WeakMap<net.Socket, boolean>();
const originalWrite = net.Socket.prototype.write;
const originalSetNoDelay = net.Socket.prototype.setNoDelay;

describe('socket writes for low latency', () => {
  let server: ProsodyServer;
  let alice: TestCore;
  let bob: TestCore;
  let aliceAccount: AccountView;
  let bobAccount: AccountView;
  const aliceJid = () => `alice@${server.domain}`;
  const bobJid = () => `bob@${server.domain}`;
  const socketThatWrote = (pattern: RegExp) => writes.find((w) => pattern.test(w.data))?.socket;

  before(async () => {
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      if (this instanceof tls.TLSSocket) writes.push({ socket: this, data: String(args[0]) });
      return (originalWrite as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof originalWrite;
    net.Socket.prototype.setNoDelay = function (this: net.Socket, enable?: boolean) {
      noDelay.set(this, enable ?? true);
      return originalSetNoDelay.call(this, enable);
    };
    server = await startProsody({ users: usersWith(password, 'alice', 'bob'), contacts: [['alice', 'bob']] });
    // Alice over STARTTLS, Bob over direct TLS (XEP-0368); plaintext, so that what crosses is only the message and what follows it.
    ({ alice, bob, aliceAccount, bobAccount } = await twoContactsOnline(server, {
      password,
      policy: 'never',
      login: [{ rememberPassword: false }, { rememberPassword: false, port: server.directTlsPort, directTls: true }],
    }));
  });
  after(async () => {
    net.Socket.prototype.write = originalWrite;
    net.Socket.prototype.setNoDelay = originalSetNoDelay;
    await alice?.dispose();
    await bob?.dispose();
    await server?.dispose();
  });

  test('a message leaves with its acknowledgement request in one write, and is acknowledged', async () => {
    const from = writes.length;
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: bobJid(), body: 'one write, please' });
    await bob.waitFor('messageUpserted', (e) => e.message.direction === 'in' && e.message.id === sent.id);
    // The server has it (XEP-0198 <a/>): it left the outbox as 'sent' (before or after its receipt made it 'delivered').
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'sent');
    const carrying = writes.slice(from).filter((w) => w.data.includes(sent.id) && /<body>/.test(w.data));
    assert.equal(carrying.length, 1, 'the message went out once');
    assert.match(carrying[0]!.data, new RegExp(`${sent.id}[\\s\\S]*</message>${R.source}$`), 'its <r/> is last in the same write');
  });

  test('receipts and chat states ask for no acknowledgement', async () => {
    const from = writes.length;
    const sent = await alice.call('sendMessage', { accountId: aliceAccount.id, to: bobJid(), body: 'a receipt, please' });
    await alice.waitFor('messageUpserted', (e) => e.message.id === sent.id && e.message.state === 'delivered');
    await bob.call('setChatState', { accountId: bobAccount.id, peer: aliceJid(), state: 'composing' });
    await alice.waitFor('contactUpdated', (e) => e.contact.jid === bobJid() && e.contact.chatState === 'composing');
    const bobSocket = socketThatWrote(new RegExp(`<received[^>]*${sent.id}`));
    assert.ok(bobSocket, 'Bob sent the receipt');
    const bobWrites = writes.slice(from).filter((w) => w.socket === bobSocket);
    assert.ok(bobWrites.some((w) => /<composing/.test(w.data)), 'Bob sent the chat state');
    assert.deepEqual(
      bobWrites.filter((w) => R.test(w.data)).map((w) => w.data),
      [],
      'Bob sent only a receipt and a chat state: no <r/>',
    );
  });

  test('the sockets send at once (TCP_NODELAY), over STARTTLS and over direct TLS', () => {
    const aliceSocket = socketThatWrote(new RegExp(`<message[^>]*to=["']${bobJid()}["'][^>]*>[\\s\\S]*<body>`));
    const bobSocket = socketThatWrote(new RegExp(`<received`));
    assert.ok(aliceSocket && bobSocket);
    assert.notEqual(aliceSocket, bobSocket);
    assert.equal(noDelay.get(aliceSocket), true, 'STARTTLS');
    assert.equal(noDelay.get(bobSocket), true, 'direct TLS');
  });
});
