/**
 * OMEMO device lists (electron/core/omemo/xmpp/device-list.ts), both versions: python-omemo's own
 * output (tests/unit/samples/omemo), what we build, and hostile lists.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import parse from '@xmpp/xml/lib/parse.js';
import { buildDeviceList, MAX_SHOWN_LABEL_CHARS, parseDeviceList, sanitizeDeviceLabel, withDevice } from '../../electron/core/omemo/xmpp/device-list.js';
import { MAX_DEVICES, NS_OMEMO_03, NS_OMEMO_2 } from '../../electron/core/omemo/xmpp/common.js';

const sample = (name: string) => parse(readFileSync(new URL(`./samples/omemo/${name}`, import.meta.url), 'utf8').trim());

function devicesXml(ns: string, name: string, entries: string[]): string {
  return `<${name} xmlns='${ns}'>${entries.join('')}</${name}>`;
}

describe('parseDeviceList', () => {
  test('reads the 0.3 list python-omemo (oldmemo) publishes', () => {
    const r = parseDeviceList(sample('devices-old.xml'));
    assert.ok(r.ok);
    assert.deepEqual(r.value, { version: 'oldmemo', devices: [{ id: 1234567 }, { id: 42 }], ignored: 0 });
  });

  test('reads the omemo:2 list python-omemo (twomemo) publishes, with its label', () => {
    const r = parseDeviceList(sample('devices-two.xml'));
    assert.ok(r.ok);
    assert.deepEqual(r.value, { version: 'twomemo', devices: [{ id: 1234567 }, { id: 42, label: 'Phone' }], ignored: 0 });
  });

  test('an empty list is a list without devices', () => {
    const r = parseDeviceList(parse(`<list xmlns='${NS_OMEMO_03}'/>`));
    assert.deepEqual(r, { ok: true, value: { version: 'oldmemo', devices: [], ignored: 0 } });
  });

  test('a list of 10,000 devices is refused as a whole with a clear error', () => {
    const entries = Array.from({ length: 10_000 }, (_, i) => `<device id='${i + 1}'/>`);
    for (const [ns, name] of [[NS_OMEMO_03, 'list'], [NS_OMEMO_2, 'devices']] as const) {
      const r = parseDeviceList(parse(devicesXml(ns, name, entries)));
      assert.equal(r.ok, false);
      assert.equal(!r.ok && r.error.code, 'too-large');
      assert.match(!r.ok ? r.error.message : '', /10000 devices refused \(at most 500\)/);
    }
  });

  test('exactly the limit is accepted, one more is refused', () => {
    const at = Array.from({ length: MAX_DEVICES }, (_, i) => `<device id='${i + 1}'/>`);
    assert.equal(parseDeviceList(parse(devicesXml(NS_OMEMO_2, 'devices', at))).ok, true);
    assert.equal(parseDeviceList(parse(devicesXml(NS_OMEMO_2, 'devices', [...at, `<device id='99999'/>`]))).ok, false);
  });

  test('entries with ids outside 1..2^31-1, non-decimal ids, missing ids and repeats are left out and counted', () => {
    const r = parseDeviceList(
      parse(
        devicesXml(NS_OMEMO_03, 'list', [
          `<device id='0'/>`,
          `<device id='1'/>`,
          `<device id='2147483647'/>`,
          `<device id='2147483648'/>`,
          `<device id='-5'/>`,
          `<device id='+5'/>`,
          `<device id='0x10'/>`,
          `<device id='1e3'/>`,
          `<device id='12345678901234567890'/>`,
          `<device id=''/>`,
          `<device/>`,
          `<device id='1'/>`,
          `<device id=' 77 '/>`,
        ]),
      ),
    );
    assert.ok(r.ok);
    assert.deepEqual(r.value.devices, [{ id: 1 }, { id: 2147483647 }, { id: 77 }]);
    assert.equal(r.value.ignored, 10);
  });

  test('device elements of another namespace are not devices', () => {
    const r = parseDeviceList(parse(`<devices xmlns='${NS_OMEMO_2}'><device xmlns='urn:other' id='5'/><device id='6'/></devices>`));
    assert.ok(r.ok);
    assert.deepEqual(r.value.devices, [{ id: 6 }]);
  });

  test('0.3 has no labels; an overlong omemo:2 label is dropped, the device kept', () => {
    const old = parseDeviceList(parse(`<list xmlns='${NS_OMEMO_03}'><device id='5' label='x'/></list>`));
    assert.deepEqual(old.ok && old.value.devices, [{ id: 5 }]);
    const two = parseDeviceList(parse(`<devices xmlns='${NS_OMEMO_2}'><device id='5' label='${'x'.repeat(10_000)}'/></devices>`));
    assert.deepEqual(two.ok && two.value.devices, [{ id: 5 }]);
  });

  test('the wrong element or a mixed-up version is refused', () => {
    for (const text of [
      `<devices xmlns='${NS_OMEMO_03}'><device id='1'/></devices>`,
      `<list xmlns='${NS_OMEMO_2}'><device id='1'/></list>`,
      `<list xmlns='urn:other'><device id='1'/></list>`,
      `<bundle xmlns='${NS_OMEMO_2}'/>`,
      `<list><device id='1'/></list>`,
    ]) {
      const r = parseDeviceList(parse(text));
      assert.equal(!r.ok && r.error.code, 'wrong-element', text);
    }
  });
});

describe('buildDeviceList', () => {
  test('0.3 and omemo:2 lists as the XEP shows them', () => {
    assert.equal(
      buildDeviceList('oldmemo', [{ id: 12345 }, { id: 4223, label: 'ignored in 0.3' }]).toString(),
      `<list xmlns="${NS_OMEMO_03}"><device id="12345"/><device id="4223"/></list>`,
    );
    assert.equal(
      buildDeviceList('twomemo', [{ id: 12345, label: 'Klatsch <desktop>' }, { id: 4223 }]).toString(),
      `<devices xmlns="${NS_OMEMO_2}"><device id="12345" label="Klatsch &lt;desktop&gt;"/><device id="4223"/></devices>`,
    );
  });

  test('what we build parses back to the same devices', () => {
    const devices = [{ id: 1 }, { id: 2 ** 31 - 1, label: 'Laptop' }];
    const r = parseDeviceList(parse(buildDeviceList('twomemo', devices).toString()));
    assert.deepEqual(r.ok && r.value.devices, devices);
  });

  test('refuses ids out of range, repeats and too many devices (our own bug, not input)', () => {
    assert.throws(() => buildDeviceList('twomemo', [{ id: 0 }]), RangeError);
    assert.throws(() => buildDeviceList('twomemo', [{ id: 2 ** 31 }]), RangeError);
    assert.throws(() => buildDeviceList('twomemo', [{ id: 1.5 }]), RangeError);
    assert.throws(() => buildDeviceList('oldmemo', [{ id: 7 }, { id: 7 }]), RangeError);
    assert.throws(() => buildDeviceList('oldmemo', Array.from({ length: MAX_DEVICES + 1 }, (_, i) => ({ id: i + 1 }))), RangeError);
  });

  test('withDevice adds our device once and keeps the others as they are', () => {
    assert.deepEqual(withDevice([{ id: 5 }], { id: 9 }), [{ id: 5 }, { id: 9 }]);
    assert.deepEqual(withDevice([{ id: 5 }, { id: 9, label: 'old' }], { id: 9, label: 'new' }), [{ id: 5 }, { id: 9, label: 'new' }]);
  });
});

describe('device labels from the network are untrusted text (sanitizeDeviceLabel)', () => {
  test('control, bidi and invisible characters are removed, white space collapsed, the length bounded', () => {
    assert.equal(sanitizeDeviceLabel('Phone'), 'Phone');
    assert.equal(sanitizeDeviceLabel('Ph\u0000o\u0007ne\u001b[31m'), 'Ph o ne [31m', 'C0 controls (an escape sequence loses its ESC)');
    assert.equal(sanitizeDeviceLabel('\u202Eenohp\u202C'), 'enohp', 'a right-to-left override cannot reorder what follows');
    assert.equal(sanitizeDeviceLabel('a\u2066b\u2069c\u200Fd\u061Ce'), 'a b c d e', 'isolates and marks');
    assert.equal(sanitizeDeviceLabel('zero\u200Bwidth\uFEFF'), 'zero width', 'zero-width space and BOM');
    assert.equal(sanitizeDeviceLabel('two\nlines\u2028here\u0085'), 'two lines here', 'no line breaks of any kind');
    assert.equal(sanitizeDeviceLabel('  \u200B\u202E  '), undefined, 'nothing left: no label');
    assert.equal(sanitizeDeviceLabel('<b>bold</b> & "x"'), '<b>bold</b> & "x"', 'markup stays text (the UI never renders it as HTML)');
    const long = sanitizeDeviceLabel('x'.repeat(100))!;
    assert.equal([...long].length, MAX_SHOWN_LABEL_CHARS);
    assert.ok(long.endsWith('…'));
    assert.equal([...sanitizeDeviceLabel('😀'.repeat(80))!].length, MAX_SHOWN_LABEL_CHARS, 'counted in characters, never cutting a surrogate pair');
  });

  test('the parser hands out only sanitised labels', () => {
    const r = parseDeviceList(parse(`<devices xmlns='${NS_OMEMO_2}'><device id='7' label='&#x202E;enohP'/><device id='8' label='&#x200B;'/></devices>`));
    assert.ok(r.ok);
    assert.deepEqual(r.value.devices, [{ id: 7, label: 'enohP' }, { id: 8 }]);
  });
});
