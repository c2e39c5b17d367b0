/**
 * OMEMO over PEP (XEP-0163 on XEP-0060): the IQs that publish our device list and bundle and fetch a
 * contact's, reading their answers, and what to do when the server refuses our publish-options.
 *
 * Both versions publish with `pubsub#access_model = open` (contacts who have not subscribed to our
 * presence must still be able to start a session), omemo:2 bundles also with `pubsub#max_items = max`
 * (one item per device on one node). A server whose node already exists with other settings answers
 * the publish with `precondition-not-met` (Prosody 0.12: `<conflict/>` + pubsub#errors
 * `<precondition-not-met/>`): then configure the node with the same values and publish again
 * (`publishFailureAction`).
 *
 * @example
 *   const { publish, configure } = publishDeviceList('twomemo', [{ id: 4711 }]);
 *   const reply = await iqCaller.request(publish).catch((e) => e.stanza);
 *   if (publishFailureAction(reply) === 'configure-then-publish') { await request(configure); await request(publish); }
 */
import xml, { type Element } from '@xmpp/xml';
import { buildBundle, type Bundle } from './bundle.js';
import {
  bundleLocation,
  DEVICE_LIST_ITEM,
  DEVICE_LIST_NODE,
  fail,
  NS_PUBSUB,
  NS_PUBSUB_ERRORS,
  NS_PUBSUB_EVENT,
  ok,
  type OmemoVersion,
  type Parsed,
} from './common.js';
import { buildDeviceList, type OmemoDevice } from './device-list.js';
import { buildConfigureNode, buildPublish, type NodeOptions } from '../../xmpp/pubsub.js';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
/** Items in one answer we look at: a device list or bundle fetch returns one. */
export const MAX_ITEMS = 64;


/** The node settings OMEMO needs for a version's device list or bundle. */
export function omemoNodeOptions(kind: 'device-list' | 'bundle', version: OmemoVersion): NodeOptions {
  const options: NodeOptions = { 'pubsub#access_model': 'open' };
  if (kind === 'bundle' && version === 'twomemo') options['pubsub#max_items'] = 'max';
  return options;
}

/** `<iq type='get'>` for `node` at `to` (a bare JID): one item by id, or the latest one. */
export function buildFetch(to: string, node: string, itemId?: string): Element {
  return xml(
    'iq',
    { type: 'get', to },
    xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      itemId === undefined ? xml('items', { node, max_items: '1' }) : xml('items', { node }, xml('item', { id: itemId })),
    ),
  );
}

export interface PublishRequest {
  publish: Element;
  /** Send this and then `publish` again when `publishFailureAction` says so. */
  configure: Element;
}

export function publishDeviceList(version: OmemoVersion, devices: readonly OmemoDevice[]): PublishRequest {
  const node = DEVICE_LIST_NODE[version];
  const options = omemoNodeOptions('device-list', version);
  return {
    publish: buildPublish(node, DEVICE_LIST_ITEM, buildDeviceList(version, devices), options),
    configure: buildConfigureNode(node, options),
  };
}

export function publishBundle(deviceId: number, bundle: Bundle): PublishRequest {
  const { node, item } = bundleLocation(bundle.version, deviceId);
  const options = omemoNodeOptions('bundle', bundle.version);
  return { publish: buildPublish(node, item, buildBundle(bundle), options), configure: buildConfigureNode(node, options) };
}

export function fetchDeviceList(version: OmemoVersion, jid: string): Element {
  return buildFetch(jid, DEVICE_LIST_NODE[version]);
}

export function fetchBundle(version: OmemoVersion, jid: string, deviceId: number): Element {
  const { node, item } = bundleLocation(version, deviceId);
  // 0.3: the node holds the one bundle (its item id is 'current' by convention, not everywhere); omemo:2: by item id.
  return version === 'oldmemo' ? buildFetch(jid, node) : buildFetch(jid, node, item);
}

/** The defined condition of an error stanza and its pubsub-specific one, if any. */
export function errorConditions(stanza: Element): { condition?: string; pubsub?: string } {
  const error = stanza.getChild('error');
  if (!error) return {};
  const result: { condition?: string; pubsub?: string } = {};
  for (const child of error.getChildElements()) {
    const ns = child.attrs.xmlns;
    if (ns === NS_STANZAS && child.name !== 'text') result.condition ??= child.name;
    else if (ns === NS_PUBSUB_ERRORS) result.pubsub ??= child.name;
  }
  return result;
}

/**
 * What to do after a publish got `reply`: 'done' (a result), 'configure-then-publish' (the node exists
 * with other settings: the server refused our publish-options), or 'failed'.
 */
export function publishFailureAction(reply: Element): 'done' | 'configure-then-publish' | 'failed' {
  if (reply.name === 'iq' && reply.attrs.type === 'result') return 'done';
  if (reply.name !== 'iq' || reply.attrs.type !== 'error') return 'failed';
  return errorConditions(reply).pubsub === 'precondition-not-met' ? 'configure-then-publish' : 'failed';
}

/**
 * What a failed fetch means: 'none' — the contact has no such node, or does not let us see it (Prosody
 * answers a stranger `forbidden` for a missing or presence-only node); 'failed' — anything else (try later).
 */
export function fetchFailureMeaning(reply: Element): 'none' | 'failed' {
  const { condition } = errorConditions(reply);
  return condition === 'item-not-found' || condition === 'forbidden' || condition === 'not-authorized' ||
    condition === 'presence-subscription-required' || condition === 'subscription-required'
    ? 'none'
    : 'failed';
}

export interface PepItem {
  id?: string;
  /** The item's payload element; undefined for an item without one (a retraction-like empty item). */
  payload?: Element;
}

/**
 * The items of `node` in a fetch result (`<iq type='result'><pubsub><items node>`) or a PEP
 * notification (`<message><event><items node>`). Items of any other node are not looked at.
 */
export function itemsOf(stanza: Element, node: string): Parsed<PepItem[]> {
  const container =
    stanza.name === 'iq' ? stanza.getChild('pubsub', NS_PUBSUB) : stanza.name === 'message' ? stanza.getChild('event', NS_PUBSUB_EVENT) : undefined;
  if (!container) return fail('wrong-element', 'neither a pubsub result nor a pubsub event');
  const items = container.getChildren('items').filter((i) => i.attrs.node === node);
  if (items.length !== 1) return fail('missing', `no items of node ${node}`);
  const list = items[0]!.getChildren('item');
  if (list.length > MAX_ITEMS) return fail('too-large', `${list.length} items refused (at most ${MAX_ITEMS})`);
  return ok(
    list.map((item) => {
      const children = item.getChildElements();
      const entry: PepItem = {};
      if (item.attrs.id !== undefined) entry.id = item.attrs.id;
      if (children.length > 0) entry.payload = children[0];
      return entry;
    }),
  );
}
