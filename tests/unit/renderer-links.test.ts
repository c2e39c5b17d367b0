/** Links in message text: found as text spans, described by the URL parser, hostile strings never clickable or opened. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canOpen, describeLink, splitLinks } from '../../renderer/links.js';

const links = (text: string) => splitLinks(text).filter((s) => s.kind === 'link').map((s) => s.text);

describe('splitLinks', () => {
  test('finds https, http, mailto and xmpp links; the segments give back the text exactly', () => {
    const text = 'Docs: https://example.com/a?b=1#c, mail mailto:info@example.com or chat xmpp:bob@example.com?message! Old: http://old.example.';
    assert.deepEqual(links(text), ['https://example.com/a?b=1#c', 'mailto:info@example.com', 'xmpp:bob@example.com?message', 'http://old.example']);
    assert.equal(splitLinks(text).map((s) => s.text).join(''), text);
  });

  test('sentence punctuation and unbalanced brackets stay outside; balanced ones stay in', () => {
    assert.deepEqual(links('(see https://en.example.org/wiki/Foo_(bar))'), ['https://en.example.org/wiki/Foo_(bar)']);
    assert.deepEqual(links('„https://example.com/x“ and https://example.com/y.'), ['https://example.com/x', 'https://example.com/y']);
    assert.deepEqual(links('[https://example.com/z]'), ['https://example.com/z']);
  });

  test('hostile and broken strings are text, never links', () => {
    for (const text of [
      'javascript:alert(1)',
      'JaVaScRiPt:alert(document.cookie)',
      'data:text/html,<script>alert(1)</script>',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'xhttps://glued.example',
      'https://',
      'mailto:',
      '<a href="https://evil.example">bank</a>'.replace(/https:\/\/evil\.example/, 'javascript:void(0)'),
    ]) {
      assert.deepEqual(links(text), [], text);
      assert.equal(splitLinks(text).map((s) => s.text).join(''), text);
    }
  });

  test('markup around a link is text; the link ends at a quote or angle bracket', () => {
    assert.deepEqual(links('<a href="https://evil.example/x">https://bank.example</a>'), ['https://evil.example/x', 'https://bank.example']);
  });

  test('invisible direction marks end a link, so the shown text cannot be reordered', () => {
    assert.deepEqual(links('https://example.com/\u202Egnp.exe'), ['https://example.com/']);
  });

  test('a huge text is scanned without trouble', () => {
    const text = `${'a'.repeat(60_000)} https://example.com ${'b'.repeat(5_000)}`;
    assert.deepEqual(links(text), ['https://example.com']);
    assert.deepEqual(links(`https://example.com/${'x'.repeat(9_000)}`), [], 'over 8 KiB stays text');
  });
});

describe('describeLink', () => {
  test('a user name before @ is shown as such and the link is not opened: https://evil.com@bank.com goes to bank.com', () => {
    const info = describeLink('https://evil.com@bank.com');
    assert.equal(info.host, 'bank.com');
    assert.equal(info.userInfo, 'evil.com');
    assert.equal(info.problem, 'credentials');
    assert.equal(canOpen(info), false);
    assert.equal(describeLink('https://user:pw@bank.com/').userInfo, 'user:…', 'a password is never shown');
  });

  test('international domains are shown in ASCII: a Cyrillic lookalike is visible', () => {
    const fake = describeLink('https://pаypal.com/login'); // Cyrillic а
    assert.equal(fake.host, 'xn--pypal-4ve.com');
    assert.equal(fake.writtenHost, 'pаypal.com');
    assert.equal(fake.international, true);
    assert.equal(fake.href, 'https://xn--pypal-4ve.com/login');
    assert.equal(canOpen(fake), true, 'opened only after the user saw the real address');
    const real = describeLink('https://paypal.com/login');
    assert.equal(real.international, false);
    assert.equal(real.writtenHost, undefined);
    assert.equal(describeLink('https://EXAMPLE.com').writtenHost, undefined, 'case alone is no difference');
  });

  test('http is shown but not opened; mailto and xmpp are', () => {
    assert.equal(describeLink('http://example.com').problem, 'insecure');
    assert.equal(canOpen(describeLink('http://example.com')), false);
    assert.equal(canOpen(describeLink('mailto:a@example.com')), true);
    assert.equal(describeLink('xmpp:bob@example.com').scheme, 'xmpp');
    assert.equal(describeLink('mailto:a@bücher.example').international, true);
  });

  test('a mailto: link is shown as main opens it: recipients, subject and body only', () => {
    const info = describeLink('mailto:a@b?cc=x&bcc=y&attach=/etc/passwd&body=hi');
    assert.equal(info.href, 'mailto:a@b?body=hi');
    assert.equal(canOpen(info), true);
    assert.equal(describeLink('mailto:a@example.com?subject=Hi%20there').href, 'mailto:a@example.com?subject=Hi%20there');
  });

  test('anything else is unsupported', () => {
    for (const raw of ['javascript:alert(1)', 'ftp://example.com', 'not a url', 'data:,x']) {
      assert.equal(describeLink(raw).problem, 'unsupported', raw);
      assert.equal(canOpen(describeLink(raw)), false, raw);
    }
  });
});
