/**
 * GuardedClient's data path without a network: what is parsed, when, and what ends the stream —
 * next to the integration tests (stream-injection, hostile-stream) that show the same on real sockets.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Element } from '@xmpp/xml';
import { GuardedClient, MAX_STANZA_BYTES, StreamParser, StreamViolation } from '../../electron/core/xmpp/guarded-client.js';
import { classifyError } from '../../electron/core/xmpp/errors.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='klatsch.test' id='s1' version='1.0'>";

/** A client on a fake socket, its stream open; `signedIn`: encrypted and restarted after SASL success. */
function stream(kind: 'plain' | 'tls' | 'signedIn') {
  const client = new GuardedClient({ domain: 'klatsch.test' });
  const socket = Object.assign(new EventEmitter(), {
    secure: kind !== 'plain',
    destroyed: false,
    destroy() {
      this.destroyed = true;
    },
    end() {},
  });
  client.socket = socket;
  const elements: Element[] = [];
  const errors: unknown[] = [];
  const written: string[] = [];
  client.on('element', (element: Element) => elements.push(element));
  client.on('error', (error: unknown) => errors.push(error));
  const open = () => {
    const parser = new StreamParser();
    const write = parser.write.bind(parser);
    parser.write = (data: string) => {
      written.push(data);
      write(data);
    };
    client._attachParser(parser);
    client._onData(Buffer.from(HEADER));
  };
  open();
  if (kind === 'signedIn') {
    client._onData(Buffer.from("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"));
    open(); // the restart after SASL
    elements.length = 0;
  }
  const data = (text: string | Buffer) => client._onData(typeof text === 'string' ? Buffer.from(text) : text);
  return { client, socket, elements, errors, written, data };
}

const kindOf = (error: unknown) => (error instanceof StreamViolation ? error.kind : String(error));

describe('GuardedClient', () => {
  test('a stanza on the plaintext stream ends it; what followed it in the same read is not handed on', () => {
    const s = stream('plain');
    s.data("<message from='boss@corp.test'><body>hi</body></message><stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>");
    assert.deepEqual(s.errors.map(kindOf), ['plaintext-stanza']);
    assert.deepEqual(s.elements, [], 'neither the message nor the features');
    assert.equal(s.socket.destroyed, true);
    assert.match(classifyError(s.errors[0]).message, /before the connection was encrypted/);
    assert.equal(classifyError(s.errors[0]).appError.code, 'connection-tampered');
  });

  test('after <proceed/>, bytes in the same read and in later reads are never parsed', () => {
    const same = stream('plain');
    same.data("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message from='x@y'><body>forged</body></message>");
    assert.deepEqual(same.elements.map((e) => e.name), ['proceed']);
    assert.deepEqual(same.errors.map(kindOf), ['data-after-proceed']);
    assert.ok(!same.written.some((w) => w.includes('forged') || w.includes('<message')));

    const later = stream('plain');
    later.data("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\n");
    assert.deepEqual(later.errors, [], 'whitespace after <proceed/> is nothing');
    later.data("<message from='x@y'><body>forged</body></message>");
    assert.deepEqual(later.errors.map(kindOf), ['data-after-proceed']);
    assert.ok(!later.written.some((w) => w.includes('forged')));
  });

  test('on TLS, a stanza before SASL success ends the stream; after the restart that follows it, stanzas pass', () => {
    const tls = stream('tls');
    tls.data("<iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq>");
    assert.deepEqual(tls.errors.map(kindOf), ['unauthenticated-stanza']);

    const signedIn = stream('signedIn');
    signedIn.data("<message from='bob@klatsch.test/pc' id='m1'><body>hello</body></message>");
    assert.deepEqual(signedIn.errors, []);
    assert.deepEqual(signedIn.elements.map((e) => e.attrs.id), ['m1']);
  });

  test('a stanza just under the size limit passes, in many reads; one over it ends the stream', () => {
    const s = stream('signedIn');
    const body = 'x'.repeat(MAX_STANZA_BYTES - 200);
    const stanza = Buffer.from(`<message id='big'><body>${body}</body></message>`);
    for (let at = 0; at < stanza.length; at += 60_000) s.data(stanza.subarray(at, at + 60_000));
    assert.deepEqual(s.errors, []);
    assert.equal(s.elements[0]?.getChildText('body')?.length, body.length);

    const over = stream('signedIn');
    over.data(`<message id='huge'><body>${'x'.repeat(MAX_STANZA_BYTES)}`);
    assert.deepEqual(over.errors.map(kindOf), ['stanza-too-large']);
    const classified = classifyError(over.errors[0]);
    assert.equal(classified.appError.code, 'protocol-violation');
    assert.equal(classified.transient, false);
  });

  test('a character split between two reads arrives whole', () => {
    const s = stream('signedIn');
    const stanza = Buffer.from("<message id='u'><body>Grüße</body></message>");
    const cut = stanza.indexOf(Buffer.from('ü')) + 1; // inside the two bytes of ü
    s.data(stanza.subarray(0, cut));
    s.data(stanza.subarray(cut));
    assert.equal(s.elements[0]?.getChildText('body'), 'Grüße');
  });

  test('whitespace between stanzas is not kept on the stream root', () => {
    const s = stream('signedIn');
    for (let i = 0; i < 100; i++) s.data(' \n');
    s.data("<r xmlns='urn:xmpp:sm:3'/>");
    assert.equal(s.elements.length, 1);
    assert.deepEqual((s.client.parser as StreamParser).root?.children, []);
  });

  test('bad XML ends parsing without throwing at what follows in the same read', () => {
    const s = stream('signedIn');
    assert.doesNotThrow(() => s.data('<a></b></c></d><e>'));
    assert.doesNotThrow(() => s.data('<more/>'));
    assert.equal(s.errors.length, 1, 'one error, the first');
  });
});
