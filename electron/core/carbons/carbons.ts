/**
 * Message Carbons (XEP-0280): copies of the one-to-one messages our other
 * devices send and receive. The server wraps each copy in `<sent/>` or
 * `<received/>` (with an XEP-0297 `<forwarded/>` inside), addressed from our
 * own bare JID. Anyone can send us a message with such a wrapper, so the
 * wrapper is only believed when the outer `from` is exactly our bare JID
 * (XEP-0280 §11: anything else is a spoofing attempt and is dropped).
 */
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../values/jid.js';
import { parseChatState, type ChatState } from '../chat-states/chat-states.js';
import { parseReplace } from '../correction/correction.js';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';

/** Turns carbons on for this session (XEP-0280 §4). */
export function enableCarbons(): Element {
  return xml('iq', { type: 'set' }, xml('enable', { xmlns: NS_CARBONS }));
}

export type CarbonCheck =
  /** An ordinary message: handle it as it is. */
  | { kind: 'none' }
  /** A carbon wrapper not from our own server (or malformed): drop the whole stanza. */
  | { kind: 'rejected'; reason: string }
  /** A genuine copy; `message` is the forwarded stanza, `direction` who sent it. */
  | { kind: 'carbon'; direction: 'sent' | 'received'; message: Element; forwarded: Element };

/**
 * Looks for a carbon wrapper on `stanza` and checks it. `ownBare` is our
 * lowercase bare JID. The forwarded message must also be one of ours: a sent
 * copy from one of our resources, a received copy to one of them.
 */
export function checkCarbon(stanza: Element, ownBare: string): CarbonCheck {
  if (stanza.name !== 'message') return { kind: 'none' };
  const wrappers = stanza.getChildElements().filter((c) => c.attrs.xmlns === NS_CARBONS && (c.name === 'sent' || c.name === 'received'));
  if (wrappers.length === 0) return { kind: 'none' };
  if (wrappers.length > 1) return { kind: 'rejected', reason: 'more than one carbon wrapper' };
  // Exactly our bare JID: not a full JID of ours, not another user, not a missing `from`.
  const from = stanza.attrs.from;
  if (typeof from !== 'string' || from.includes('/') || bareJid(from) !== ownBare) {
    return { kind: 'rejected', reason: 'carbon not from our own account' };
  }
  const wrapper = wrappers[0]!;
  const forwarded = wrapper.getChild('forwarded', NS_FORWARD);
  const inner = forwarded?.getChildElements().filter((c) => c.name === 'message');
  if (!inner || inner.length !== 1) return { kind: 'rejected', reason: 'carbon without exactly one forwarded message' };
  const message = inner[0]!;
  const direction = wrapper.name as 'sent' | 'received';
  // The copy of what we sent comes from one of our resources; the copy of what we received goes to one.
  const ours = direction === 'sent' ? message.attrs.from : message.attrs.to;
  if (bareJid(ours) !== ownBare) return { kind: 'rejected', reason: 'forwarded message not of our account' };
  return { kind: 'carbon', direction, message, forwarded: forwarded! };
}

/** What a checked carbon copy means for our chats. */
export interface CarbonCopy {
  /** Our own outgoing message from another device ('sent') or a message a peer sent to another device ('received'). */
  direction: 'out' | 'in';
  /** The contact's bare JID. */
  peer: string;
  id: string | undefined;
  /** Absent: a message without a body that an encryption scheme claims (its payload is elsewhere in `message`). */
  body: string | undefined;
  /** The copied message itself: an end-to-end encryption scheme may claim it (e2ee/router.ts), never read here. */
  message: Element;
  stampedAt: number | undefined;
  /** XEP-0308: the copy corrects this message (ours from another device, or the peer's). */
  replaces?: string;
}

/**
 * The chat message inside a genuine carbon, or undefined when there is none (chat states, receipts, errors).
 * `encrypted`: whether an end-to-end encryption scheme claims the message (it may carry no body).
 */
export function carbonCopy(carbon: Extract<CarbonCheck, { kind: 'carbon' }>, ownBare: string, encrypted: (message: Element) => boolean = () => false): CarbonCopy | undefined {
  const message = carbon.message;
  const type = message.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return undefined;
  const text = message.getChildText('body');
  const body = text === null || text === '' ? undefined : text;
  if (body === undefined && !encrypted(message)) return undefined;
  const peer = bareJid(carbon.direction === 'sent' ? message.attrs.to : message.attrs.from);
  // Traffic between two of our own devices is no chat with a contact.
  if (!peer || peer === ownBare) return undefined;
  const stamp = carbon.forwarded.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp ?? message.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp;
  const stampedAt = stamp ? Date.parse(stamp) : Number.NaN;
  return {
    direction: carbon.direction === 'sent' ? 'out' : 'in',
    peer,
    id: typeof message.attrs.id === 'string' && message.attrs.id.length <= 256 ? message.attrs.id : undefined,
    body,
    message,
    stampedAt: Number.isFinite(stampedAt) ? stampedAt : undefined,
    ...withReplaces(parseReplace(message)),
  };
}

function withReplaces(replaces: string | undefined): { replaces?: string } {
  return replaces === undefined ? {} : { replaces };
}

/** A chat state (XEP-0085) in a genuine carbon: the peer's to another device of ours, or ours from another device. */
export interface CarbonChatState {
  direction: 'out' | 'in';
  peer: string;
  state: ChatState;
}

export function carbonChatState(carbon: Extract<CarbonCheck, { kind: 'carbon' }>, ownBare: string): CarbonChatState | undefined {
  const message = carbon.message;
  const state = parseChatState(message);
  if (state === undefined) return undefined;
  const peer = bareJid(carbon.direction === 'sent' ? message.attrs.to : message.attrs.from);
  if (!peer || peer === ownBare) return undefined;
  return { direction: carbon.direction === 'sent' ? 'out' : 'in', peer, state };
}
