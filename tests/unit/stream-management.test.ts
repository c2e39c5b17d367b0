/**
 * The XEP-0198 state machine: counting both ways, acknowledgements (also across 2^32),
 * resumption and its failure, and a server that acknowledges what it never got.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml, { type Element } from '@xmpp/xml';
import { NS_SM, SmProtocolError, StreamManagement, isStanza } from '../../electron/core/xmpp/stream-management.js';

const JID = 'alice@klatsch.test/klatsch-1';
const msg = (id: string) => xml('message', { id, to: 'bob@klatsch.test', type: 'chat' }, xml('body', {}, id));
const nonza = (name: string, attrs: Record<string, string> = {}) => xml(name, { xmlns: NS_SM, ...attrs });

function enabled(): { sm: StreamManagement; acked: string[] } {
  const acked: string[] = [];
  const sm = new StreamManagement({ acked: (el: Element) => acked.push(el.attrs.id ?? '') });
  sm.onEnabled(nonza('enabled', { id: 'stream-1', resume: 'true' }), JID);
  return { sm, acked };
}

describe('stream management state machine', () => {
  test('enable asks for resumption; enabled with an id makes the stream resumable', () => {
    const sm = new StreamManagement({ acked: () => undefined });
    assert.equal(sm.enableRequest().toString(), `<enable xmlns="${NS_SM}" resume="true"/>`);
    assert.equal(sm.canResume, false);
    assert.equal(sm.resumeRequest(), undefined, 'nothing to resume before a stream was enabled');
    sm.onEnabled(nonza('enabled', { id: 'abc', resume: '1' }), JID);
    assert.equal(sm.enabled, true);
    assert.equal(sm.canResume, true);
    assert.equal(sm.jid, JID);
  });

  test('enabled without resume: counted, but not resumable', () => {
    const sm = new StreamManagement({ acked: () => undefined });
    sm.onEnabled(nonza('enabled', { id: 'abc' }), JID);
    assert.equal(sm.enabled, true);
    assert.equal(sm.canResume, false);
  });

  test('nothing is counted before enable or after the stream ended', () => {
    const sm = new StreamManagement({ acked: () => undefined });
    sm.received();
    sm.sent(msg('x'));
    assert.equal(sm.handled, 0);
    assert.equal(sm.pending, 0);
    sm.onEnabled(nonza('enabled', { id: 's', resume: 'true' }), JID);
    sm.received();
    sm.streamEnded();
    sm.received();
    sm.sent(msg('y'));
    assert.equal(sm.handled, 1);
    assert.equal(sm.pending, 0);
  });

  test('<r/> is answered with the stanzas received', () => {
    const { sm } = enabled();
    for (let i = 0; i < 3; i++) sm.received();
    assert.equal(sm.answer().toString(), `<a xmlns="${NS_SM}" h="3"/>`);
    assert.equal(sm.request().toString(), `<r xmlns="${NS_SM}"/>`);
  });

  test('<a h/> releases the acknowledged stanzas, in order, once each', () => {
    const { sm, acked } = enabled();
    for (const id of ['1', '2', '3']) sm.sent(msg(id));
    sm.onAck(nonza('a', { h: '2' }));
    assert.deepEqual(acked, ['1', '2']);
    assert.equal(sm.pending, 1);
    sm.onAck(nonza('a', { h: '2' })); // repeated: nothing new
    assert.deepEqual(acked, ['1', '2']);
    sm.onAck(nonza('a', { h: '3' }));
    assert.deepEqual(acked, ['1', '2', '3']);
  });

  test('an h beyond what was sent, or not a number, is a protocol error and acknowledges nothing', () => {
    const { sm, acked } = enabled();
    sm.sent(msg('1'));
    assert.throws(() => sm.onAck(nonza('a', { h: '2' })), SmProtocolError);
    for (const h of ['-1', 'abc', '4294967296', '', '1e3']) assert.throws(() => sm.onAck(nonza('a', { h })), SmProtocolError, h);
    assert.throws(() => sm.onAck(nonza('a')), SmProtocolError);
    assert.deepEqual(acked, []);
    assert.equal(sm.pending, 1);
  });

  test('counters wrap at 2^32', () => {
    const { sm, acked } = enabled();
    // Bring the server's count to 2^32 - 1 without keeping four billion stanzas.
    (sm as unknown as { outboundAcked: number }).outboundAcked = 2 ** 32 - 1;
    sm.sent(msg('a'));
    sm.sent(msg('b'));
    sm.onAck(nonza('a', { h: '1' })); // 2^32 - 1 + 2 = 1 (mod 2^32)
    assert.deepEqual(acked, ['a', 'b']);
    (sm as unknown as { inbound: number }).inbound = 2 ** 32 - 1;
    sm.received();
    assert.equal(sm.handled, 0);
  });

  test('resume: previd and h; resumed h releases what arrived, the rest is handed back to send again', () => {
    const { sm, acked } = enabled();
    sm.received();
    sm.received();
    for (const id of ['1', '2', '3']) sm.sent(msg(id));
    sm.onAck(nonza('a', { h: '1' }));
    sm.streamEnded();
    assert.equal(sm.enabled, false);
    assert.equal(sm.resumeRequest()!.toString(), `<resume xmlns="${NS_SM}" previd="stream-1" h="2"/>`);
    const { unacked } = sm.onResumed(nonza('resumed', { previd: 'stream-1', h: '2' }));
    assert.deepEqual(acked, ['1', '2']);
    assert.deepEqual(
      unacked.map((e) => e.attrs.id),
      ['3'],
    );
    assert.equal(sm.enabled, true);
    assert.equal(sm.pending, 0, 'sending them again counts them again');
    sm.sent(unacked[0]!);
    sm.onAck(nonza('a', { h: '3' }));
    assert.deepEqual(acked, ['1', '2', '3']);
  });

  test('failed resumption: its h still acknowledges; the rest is returned and the state forgotten', () => {
    const { sm, acked } = enabled();
    for (const id of ['1', '2']) sm.sent(msg(id));
    sm.streamEnded();
    const { unacked } = sm.onFailed(nonza('failed', { h: '1' }));
    assert.deepEqual(acked, ['1']);
    assert.deepEqual(
      unacked.map((e) => e.attrs.id),
      ['2'],
    );
    assert.equal(sm.canResume, false);
    assert.equal(sm.enabled, false);
  });

  test('failed with a nonsense h: nothing acknowledged, nothing lost', () => {
    const { sm, acked } = enabled();
    sm.sent(msg('1'));
    const { unacked } = sm.onFailed(nonza('failed', { h: '7' }));
    assert.deepEqual(acked, []);
    assert.equal(unacked.length, 1);
  });

  test('isStanza tells stanzas from nonzas', () => {
    assert.equal(isStanza(msg('1')), true);
    assert.equal(isStanza(xml('iq')), true);
    assert.equal(isStanza(xml('presence')), true);
    assert.equal(isStanza(nonza('r')), false);
  });
});
