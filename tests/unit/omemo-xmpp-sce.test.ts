/**
 * XEP-0420 envelopes as omemo:2 uses them (electron/core/omemo/xmpp/sce.ts): what we build, what
 * python-omemo's peer builds, the affix checks (from, to, time) and hostile decrypted payloads.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import xml from '@xmpp/xml';
import { buildEnvelope, DEFAULT_MAX_SKEW_MS, makeRpad, parseEnvelope, parseXep0082 } from '../../electron/core/omemo/xmpp/sce.js';

const ROMEO = 'romeo@montague.lit';
const JULIET = 'juliet@capulet.lit';
const NOW = Date.parse('2026-12-06T22:30:00Z');
const expect = { from: ROMEO, to: JULIET, sentAt: NOW };

/** The envelope as tests/fixtures/omemo-peer/peer.py writes it (default namespaces, affixes after the content). */
const peerEnvelope = (affixes: string, body = 'Hello') =>
  `<envelope xmlns='urn:xmpp:sce:1'><content><body xmlns='jabber:client'>${body}</body></content>${affixes}</envelope>`;
const affixes = (o: { from?: string; to?: string; time?: string } = {}) =>
  `<rpad>abc</rpad><time stamp='${o.time ?? '2026-12-06T22:29:58Z'}'/><to jid='${o.to ?? JULIET}'/><from jid='${o.from ?? ROMEO}'/>`;

describe('buildEnvelope', () => {
  test('body in <content>, then rpad, time, to, from', () => {
    const text = buildEnvelope({
      content: [xml('body', { xmlns: 'jabber:client' }, 'Hi <3')],
      from: `${ROMEO}/phone`,
      to: 'Juliet@Capulet.lit',
      time: new Date(NOW + 123),
      rpad: 'xyz',
    });
    assert.equal(
      text,
      `<envelope xmlns="urn:xmpp:sce:1"><content><body xmlns="jabber:client">Hi &lt;3</body></content><rpad>xyz</rpad><time stamp="2026-12-06T22:30:00Z"/><to jid="${JULIET}"/><from jid="${ROMEO}"/></envelope>`,
    );
  });

  test('round trip', () => {
    const text = buildEnvelope({ content: [xml('body', { xmlns: 'jabber:client' }, 'ok')], from: ROMEO, to: JULIET, time: new Date(NOW), rpad: '' });
    const r = parseEnvelope(text, expect);
    assert.ok(r.ok);
    assert.equal(r.value.body, 'ok');
    assert.equal(r.value.from, ROMEO);
    assert.equal(r.value.to, JULIET);
    assert.equal(r.value.time, NOW);
  });

  test('refuses a padding over 200 characters and a sender that is no JID', () => {
    assert.throws(() => buildEnvelope({ content: [], from: ROMEO, rpad: 'x'.repeat(201) }), RangeError);
    assert.throws(() => buildEnvelope({ content: [], from: '', rpad: '' }), RangeError);
  });

  test('makeRpad: random length 0..200 from the injected source', () => {
    const fixed = (v: number) => (n: number) => new Uint8Array(n).fill(v);
    assert.equal(makeRpad(fixed(0)).length, 0);
    const lengths = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const r = makeRpad((n) => Uint8Array.from({ length: n }, (_, j) => (j === 1 ? i : 7)));
      assert.ok(r.length <= 200);
      assert.match(r, /^[A-Za-z0-9+/]*$/);
      lengths.add(r.length);
    }
    assert.ok(lengths.size > 100);
  });
});

describe('parseEnvelope', () => {
  test("reads the peer's envelope (python-omemo over slixmpp)", () => {
    const r = parseEnvelope(peerEnvelope(affixes(), 'Hello &amp; welcome'), expect);
    assert.ok(r.ok, !r.ok ? r.error.message : '');
    assert.equal(r.value.body, 'Hello & welcome');
    assert.equal(r.value.time, NOW - 2000);
    assert.equal(r.value.content.name, 'content');
  });

  test('from is required and must be the stanza sender (bare, no resource)', () => {
    const missing = parseEnvelope(peerEnvelope('<rpad/><to jid="juliet@capulet.lit"/>'), expect);
    assert.equal(!missing.ok && missing.error.code, 'envelope-mismatch');
    for (const from of ['mallory@evil.example', `${ROMEO}/phone`, '']) {
      const r = parseEnvelope(peerEnvelope(affixes({ from })), expect);
      assert.equal(!r.ok && r.error.code, 'envelope-mismatch', from);
    }
    // Case of the JID does not matter (JIDs compare in canonical form).
    assert.equal(parseEnvelope(peerEnvelope(affixes({ from: 'Romeo@Montague.lit' })), expect).ok, true);
  });

  test('to, when present, must be the recipient; without it the envelope is read', () => {
    const r = parseEnvelope(peerEnvelope(affixes({ to: 'nurse@capulet.lit' })), expect);
    assert.equal(!r.ok && r.error.code, 'envelope-mismatch');
    assert.match(!r.ok ? r.error.message : '', /another recipient/);
    const noTo = parseEnvelope(peerEnvelope(`<rpad/><from jid='${ROMEO}'/>`), expect);
    assert.ok(noTo.ok);
    assert.equal(noTo.value.to, undefined);
  });

  test('time, when present, must lie within the margin of the sending time (replay of an old message)', () => {
    const within = new Date(NOW - DEFAULT_MAX_SKEW_MS + 1000).toISOString();
    assert.equal(parseEnvelope(peerEnvelope(affixes({ time: within })), expect).ok, true);
    const old = parseEnvelope(peerEnvelope(affixes({ time: '2026-12-05T22:30:00Z' })), expect);
    assert.equal(!old.ok && old.error.code, 'envelope-mismatch');
    const future = parseEnvelope(peerEnvelope(affixes({ time: '2026-12-06T23:30:00+00:00' })), expect);
    assert.equal(!future.ok && future.error.code, 'envelope-mismatch');
    // An offline message: its delay stamp is the sending time.
    assert.equal(parseEnvelope(peerEnvelope(affixes({ time: '2026-12-01T08:00:00Z' })), { ...expect, sentAt: Date.parse('2026-12-01T08:00:05Z') }).ok, true);
    const bad = parseEnvelope(peerEnvelope(affixes({ time: 'yesterday' })), expect);
    assert.equal(!bad.ok && bad.error.code, 'bad-envelope');
  });

  test('XEP-0082 stamps with offsets and fractions', () => {
    assert.equal(parseXep0082('2026-12-06T23:30:00.5+01:00'), NOW + 500);
    assert.equal(parseXep0082('2026-12-06T22:30:00Z'), NOW);
    assert.equal(parseXep0082('2026-12-06 22:30:00Z'), undefined);
    assert.equal(parseXep0082('2026-13-06T22:30:00Z'), undefined);
  });

  test('hostile payloads are refused with a reason, never thrown', () => {
    const deep = `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`;
    const cases: [string, string][] = [
      ['not xml at all', 'bad-envelope'],
      ['', 'bad-envelope'],
      ["<envelope xmlns='urn:xmpp:sce:1'><content>", 'bad-envelope'],
      [`${peerEnvelope(affixes())}<envelope xmlns='urn:xmpp:sce:1'/>`, 'bad-envelope'],
      [`${peerEnvelope(affixes())}trailing`, 'bad-envelope'],
      [`<body xmlns='jabber:client'>Hello</body>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:0'><content/><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<s:envelope xmlns:s='urn:xmpp:sce:1'><s:content/><s:from jid='${ROMEO}'/></s:envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content/><content/><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content/><from jid='${ROMEO}'/><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content>${deep}</content><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content>${'<a/>'.repeat(5000)}</content><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content>&xxe;</content><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<!DOCTYPE e [<!ENTITY x 'y'>]><envelope xmlns='urn:xmpp:sce:1'><content/><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content>&#0;</content><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content></wrong><from jid='${ROMEO}'/></envelope>`, 'bad-envelope'],
      [`<envelope xmlns='urn:xmpp:sce:1'><content/>${'x'.repeat(300_000)}</envelope>`, 'too-large'],
    ];
    for (const [text, code] of cases) {
      const r = parseEnvelope(text, expect);
      assert.equal(!r.ok && r.error.code, code, text.slice(0, 100));
    }
  });

  test('content without a body is read (an envelope may carry other elements only)', () => {
    const r = parseEnvelope(`<envelope xmlns='urn:xmpp:sce:1'><content><x xmlns='jabber:x:oob'><url>u</url></x></content><from jid='${ROMEO}'/></envelope>`, expect);
    assert.ok(r.ok);
    assert.equal(r.value.body, undefined);
    assert.equal(r.value.content.getChild('x', 'jabber:x:oob')?.getChildText('url'), 'u');
  });
});
