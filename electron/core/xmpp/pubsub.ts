/**
 * Publishing to our own PubSub nodes (XEP-0060, on PEP: XEP-0163) with the node settings the item needs:
 * publish-options with the publish (§7.1.5), or the node configured first (§8.2.4). OMEMO's device lists
 * and bundles (omemo/xmpp/pep.ts) and the room bookmarks (muc/bookmarks.ts) go out this way.
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_PUBSUB_OWNER = 'http://jabber.org/protocol/pubsub#owner';
const NS_DATA_FORMS = 'jabber:x:data';
const FORM_PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
const FORM_NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

/** Node settings by field name (`pubsub#access_model` → `open`, …). */
export type NodeOptions = Record<string, string>;

function form(formType: string, options: NodeOptions): Element {
  return xml(
    'x',
    { xmlns: NS_DATA_FORMS, type: 'submit' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, formType)),
    ...Object.entries(options).map(([name, value]) => xml('field', { var: name }, xml('value', {}, value))),
  );
}

/** `<iq type='set'>` publishing `payload` as item `itemId` of our own `node`, with publish-options. */
export function buildPublish(node: string, itemId: string, payload: Element, options: NodeOptions): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'pubsub',
      { xmlns: NS_PUBSUB },
      xml('publish', { node }, xml('item', { id: itemId }, payload)),
      xml('publish-options', {}, form(FORM_PUBLISH_OPTIONS, options)),
    ),
  );
}

/** `<iq type='set'>` configuring our own `node` (XEP-0060 §8.2.4) with these settings. */
export function buildConfigureNode(node: string, options: NodeOptions): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml('pubsub', { xmlns: NS_PUBSUB_OWNER }, xml('configure', { node }, form(FORM_NODE_CONFIG, options))),
  );
}
