/**
 * OMEMO over PEP (electron/core/omemo/xmpp/pep.ts): the publish, configure and fetch IQs, reading
 * results and notifications, and the fallback when a server refuses publish-options.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import parse from '@xmpp/xml/lib/parse.js';
import {
  fetchBundle,
  fetchDeviceList,
  fetchFailureMeaning,
  itemsOf,
  omemoNodeOptions,
  publishBundle,
  publishDeviceList,
  publishFailureAction,
} from '../../electron/core/omemo/xmpp/pep.js';
import { bundleLocation, NS_OMEMO_2 } from '../../electron/core/omemo/xmpp/common.js';

const formFields = (x: ReturnType<typeof parse> | undefined) =>
  Object.fromEntries((x?.getChildren('field') ?? []).map((f) => [f.attrs.var, f.getChildText('value')]));

describe('publishing', () => {
  test('device list: item current, publish-options access_model open; configure carries the same', () => {
    const { publish, configure } = publishDeviceList('twomemo', [{ id: 4711, label: 'Klatsch' }]);
    assert.equal(publish.attrs.type, 'set');
    const pubsub = publish.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!;
    const pub = pubsub.getChild('publish')!;
    assert.equal(pub.attrs.node, 'urn:xmpp:omemo:2:devices');
    assert.equal(pub.getChild('item')?.attrs.id, 'current');
    assert.equal(pub.getChild('item')?.getChild('devices', NS_OMEMO_2)?.getChild('device')?.attrs.id, '4711');
    assert.deepEqual(formFields(pubsub.getChild('publish-options')?.getChild('x', 'jabber:x:data')), {
      FORM_TYPE: 'http://jabber.org/protocol/pubsub#publish-options',
      'pubsub#access_model': 'open',
    });
    const conf = configure.getChild('pubsub', 'http://jabber.org/protocol/pubsub#owner')!.getChild('configure')!;
    assert.equal(conf.attrs.node, 'urn:xmpp:omemo:2:devices');
    assert.deepEqual(formFields(conf.getChild('x', 'jabber:x:data')), {
      FORM_TYPE: 'http://jabber.org/protocol/pubsub#node_config',
      'pubsub#access_model': 'open',
    });
  });

  test('0.3 device list on its own node', () => {
    const pub = publishDeviceList('oldmemo', [{ id: 5 }]).publish.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!.getChild('publish')!;
    assert.equal(pub.attrs.node, 'eu.siacs.conversations.axolotl.devicelist');
    assert.equal(pub.toString().includes('<list xmlns="eu.siacs.conversations.axolotl"><device id="5"/></list>'), true);
  });

  test('bundles: 0.3 a node per device (item current), omemo:2 one node with max_items max (item = device id)', () => {
    assert.deepEqual(bundleLocation('oldmemo', 42), { node: 'eu.siacs.conversations.axolotl.bundles:42', item: 'current' });
    assert.deepEqual(bundleLocation('twomemo', 42), { node: 'urn:xmpp:omemo:2:bundles', item: '42' });
    assert.throws(() => bundleLocation('twomemo', 0), RangeError);
    assert.deepEqual(omemoNodeOptions('bundle', 'twomemo'), { 'pubsub#access_model': 'open', 'pubsub#max_items': 'max' });
    assert.deepEqual(omemoNodeOptions('bundle', 'oldmemo'), { 'pubsub#access_model': 'open' });
    const key = new Uint8Array(32).fill(1);
    const { publish } = publishBundle(42, {
      version: 'twomemo',
      identityKey: key,
      signedPreKeyId: 1,
      signedPreKey: key,
      signedPreKeySignature: new Uint8Array(64),
      preKeys: [{ id: 1, key }],
    });
    const pubsub = publish.getChild('pubsub', 'http://jabber.org/protocol/pubsub')!;
    assert.equal(pubsub.getChild('publish')?.attrs.node, 'urn:xmpp:omemo:2:bundles');
    assert.equal(pubsub.getChild('publish')?.getChild('item')?.attrs.id, '42');
    assert.equal(formFields(pubsub.getChild('publish-options')?.getChild('x', 'jabber:x:data'))['pubsub#max_items'], 'max');
  });

  test("publish-options refused (Prosody: conflict + precondition-not-met) → configure, then publish again", () => {
    const prosody = parse(
      `<iq type='error' id='p1'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>Field does not match: access_model</text></error></iq>`,
    );
    assert.equal(publishFailureAction(prosody), 'configure-then-publish');
    const xep = parse(`<iq type='error' id='p1'><error type='modify'><not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><precondition-not-met xmlns='http://jabber.org/protocol/pubsub#errors'/></error></iq>`);
    assert.equal(publishFailureAction(xep), 'configure-then-publish');
    assert.equal(publishFailureAction(parse(`<iq type='result' id='p1'/>`)), 'done');
    assert.equal(publishFailureAction(parse(`<iq type='error' id='p1'><error type='cancel'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)), 'failed');
    assert.equal(publishFailureAction(parse(`<iq type='error' id='p1'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`)), 'failed');
    assert.equal(publishFailureAction(parse(`<message type='error'/>`)), 'failed');
    // Other pubsub errors are no reason to reconfigure the node.
    const unsupported = parse(
      `<iq type='error' id='p1'><error type='cancel'><feature-not-implemented xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><unsupported xmlns='http://jabber.org/protocol/pubsub#errors' feature='publish-options'/></error></iq>`,
    );
    assert.equal(publishFailureAction(unsupported), 'failed');
  });
});

describe('fetching', () => {
  test('device list: latest item of the node at the contact; omemo:2 bundle by item id, 0.3 by node', () => {
    assert.equal(
      fetchDeviceList('oldmemo', 'bob@example.com').toString(),
      '<iq type="get" to="bob@example.com"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="eu.siacs.conversations.axolotl.devicelist" max_items="1"/></pubsub></iq>',
    );
    assert.equal(
      fetchBundle('twomemo', 'bob@example.com', 7).toString(),
      '<iq type="get" to="bob@example.com"><pubsub xmlns="http://jabber.org/protocol/pubsub"><items node="urn:xmpp:omemo:2:bundles"><item id="7"/></items></pubsub></iq>',
    );
    assert.match(fetchBundle('oldmemo', 'bob@example.com', 7).toString(), /node="eu\.siacs\.conversations\.axolotl\.bundles:7" max_items="1"/);
  });

  test('missing or hidden node: no data; anything else: failed', () => {
    const err = (cond: string) => parse(`<iq type='error'><error type='cancel'><${cond} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`);
    assert.equal(fetchFailureMeaning(err('item-not-found')), 'none');
    assert.equal(fetchFailureMeaning(err('forbidden')), 'none');
    assert.equal(fetchFailureMeaning(err('remote-server-not-found')), 'failed');
    assert.equal(fetchFailureMeaning(err('internal-server-error')), 'failed');
  });

  test('items of the node asked for, from a result or a notification; other nodes are not looked at', () => {
    const result = parse(
      `<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='urn:xmpp:omemo:2:devices'><item id='current'><devices xmlns='urn:xmpp:omemo:2'><device id='1'/></devices></item></items></pubsub></iq>`,
    );
    const r = itemsOf(result, 'urn:xmpp:omemo:2:devices');
    assert.ok(r.ok);
    assert.equal(r.value[0]!.id, 'current');
    assert.equal(r.value[0]!.payload?.name, 'devices');
    const other = itemsOf(result, 'eu.siacs.conversations.axolotl.devicelist');
    assert.equal(!other.ok && other.error.code, 'missing');

    const event = parse(
      `<message from='bob@example.com'><event xmlns='http://jabber.org/protocol/pubsub#event'><items node='eu.siacs.conversations.axolotl.devicelist'><item><list xmlns='eu.siacs.conversations.axolotl'/></item></items></event></message>`,
    );
    const e = itemsOf(event, 'eu.siacs.conversations.axolotl.devicelist');
    assert.ok(e.ok);
    assert.equal(e.value[0]!.id, undefined);
    assert.equal(e.value[0]!.payload?.name, 'list');
    const empty = itemsOf(parse(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'><item id='x'/></items></pubsub></iq>`), 'n');
    assert.deepEqual(empty.ok && empty.value, [{ id: 'x' }]);
  });

  test('a result with 10,000 items or two <items> for the node is refused', () => {
    const many = `<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'>${"<item id='x'/>".repeat(10_000)}</items></pubsub></iq>`;
    const r = itemsOf(parse(many), 'n');
    assert.equal(!r.ok && r.error.code, 'too-large');
    const twice = itemsOf(parse(`<iq type='result'><pubsub xmlns='http://jabber.org/protocol/pubsub'><items node='n'/><items node='n'/></pubsub></iq>`), 'n');
    assert.equal(!twice.ok && twice.error.code, 'missing');
    assert.equal(itemsOf(parse(`<presence/>`), 'n').ok, false);
  });
});
