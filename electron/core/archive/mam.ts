/**
 * Message Archive Management (XEP-0313, urn:xmpp:mam:2) with Result Set Management paging
 * (XEP-0059) and the archive's stanza ids (XEP-0359).
 *
 * A query goes to our own account (no `to`): the server answers with one `<message/>` per archived
 * message, each holding `<result queryid=… id=…>` with the message forwarded (XEP-0297), then the
 * IQ result with `<fin/>` (complete or not, first and last id of the page). Anyone can send us a
 * message that looks like a result, so a result is only believed when it comes from our own bare
 * JID (or has no `from`: our server speaking for us) and names a query id we chose. Parsers take
 * untrusted elements and return plain values or undefined; they never throw.
 */
import { PRIVATE_WAIT_MS } from '../../../shared/private-wait.js';
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../values/jid.js';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_SID = 'urn:xmpp:sid:0';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_DELAY = 'urn:xmpp:delay';
const NS_DATA = 'jabber:x:data';
const NS_CORRECT = 'urn:xmpp:message-correct:0';
const NS_EME = 'urn:xmpp:eme:0';

/** Ids we accept from the archive or from senders (bounded like our own message ids). */
const MAX_ID = 256;

export interface MamQuery {
  /** Our query id: results naming any other are refused. */
  queryId: string;
  /** Only the chat with this bare JID. */
  with?: string;
  /** Only messages after this archive id (catching up, oldest first). */
  after?: string;
  /** Only messages before this archive id; '' for the newest page (going back in time). */
  before?: string;
  /** Only messages stamped at or after this time (epoch ms). */
  start?: number;
  /** Only messages stamped at or before this time (epoch ms). */
  end?: number;
  /** Page size. */
  max: number;
}

/** The query IQ (XEP-0313 §4, with a data form for the filters and RSM for the page). */
export function mamQuery(q: MamQuery): Element {
  const fields: Element[] = [xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_MAM))];
  if (q.with !== undefined) fields.push(xml('field', { var: 'with' }, xml('value', {}, q.with)));
  if (q.start !== undefined) fields.push(xml('field', { var: 'start' }, xml('value', {}, new Date(q.start).toISOString())));
  if (q.end !== undefined) fields.push(xml('field', { var: 'end' }, xml('value', {}, new Date(q.end).toISOString())));
  const set = xml(
    'set',
    { xmlns: NS_RSM },
    xml('max', {}, String(q.max)),
    q.after !== undefined ? xml('after', {}, q.after) : undefined,
    q.before !== undefined ? xml('before', {}, q.before) : undefined,
  );
  return xml(
    'iq',
    { type: 'set' },
    xml('query', { xmlns: NS_MAM, queryid: q.queryId }, xml('x', { xmlns: NS_DATA, type: 'submit' }, ...fields), set),
  );
}

/** One archived one-to-one message as our chats see it. */
export interface ArchivedMessage {
  /** The archive's id of it (XEP-0359 stanza-id, by our account). */
  archiveId: string;
  /** Ours (sent from any of our devices) or the contact's. */
  direction: 'in' | 'out';
  /** The contact's bare JID. */
  peer: string;
  /** The sender's message id (origin-id first, XEP-0359), if any. */
  messageId: string | undefined;
  /** Absent: a message without text (a chat state, a receipt): nothing to show. */
  body: string | undefined;
  /**
   * Labelled as end-to-end encrypted (XEP-0380), whatever the scheme: never shown as text. Which scheme's
   * traffic it is, and whether it can be decrypted here, the encryption providers say (e2ee/router.ts).
   */
  encrypted: boolean;
  /** The archived message itself, for the encryption providers to claim. */
  message: Element;
  /** When the server archived it (XEP-0203 delay on the forwarded message), epoch ms. */
  stampedAt: number | undefined;
  /** XEP-0308: the id of the message this one corrects. */
  replaces: string | undefined;
}

export type ResultCheck =
  /** Not an archive result at all: handle the stanza as usual. */
  | { kind: 'none' }
  /** Looks like an archive result but is not from our archive or not for our query: drop the whole stanza. */
  | { kind: 'rejected'; reason: string }
  /** A genuine result for `queryId`; `message` undefined when it holds nothing for our chats (groupchat, malformed item). */
  | { kind: 'result'; queryId: string; message: ArchivedMessage | undefined };

/**
 * Checks a `<message/>` for an archive result. `ownBare` is our lowercase bare JID, `ours` says
 * whether a query id is one of our open queries.
 */
export function checkMamResult(stanza: Element, ownBare: string, ours: (queryId: string) => boolean): ResultCheck {
  if (stanza.name !== 'message') return { kind: 'none' };
  const results = stanza.getChildElements().filter((c) => c.name === 'result' && c.attrs.xmlns === NS_MAM);
  if (results.length === 0) return { kind: 'none' };
  if (results.length > 1) return { kind: 'rejected', reason: 'more than one archive result' };
  const from = stanza.attrs.from;
  // Our own archive: no `from`, or exactly our bare JID (not a resource of ours, not anyone else).
  if (from !== undefined && (typeof from !== 'string' || from.includes('/') || bareJid(from) !== ownBare)) {
    return { kind: 'rejected', reason: 'archive result not from our own account' };
  }
  const result = results[0]!;
  const queryId = result.attrs.queryid;
  if (typeof queryId !== 'string' || !ours(queryId)) return { kind: 'rejected', reason: 'archive result for a query we did not make' };
  return { kind: 'result', queryId, message: parseResultItem(result, ownBare) };
}

function boundedId(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID ? value : undefined;
}

/** The forwarded message of one result, if it is a one-to-one message between us and someone else. */
function parseResultItem(result: Element, ownBare: string): ArchivedMessage | undefined {
  const archiveId = boundedId(result.attrs.id);
  if (!archiveId) return undefined;
  const forwarded = result.getChild('forwarded', NS_FORWARD);
  const inner = forwarded?.getChildElements().filter((c) => c.name === 'message');
  if (!forwarded || !inner || inner.length !== 1) return undefined;
  const message = inner[0]!;
  const type = message.attrs.type ?? 'normal';
  if (type !== 'chat' && type !== 'normal') return undefined; // groupchat, headline, errors
  const fromBare = bareJid(message.attrs.from);
  const toBare = bareJid(message.attrs.to);
  let direction: 'in' | 'out';
  let peer: string | undefined;
  if (fromBare === ownBare && toBare !== ownBare) [direction, peer] = ['out', toBare];
  else if (toBare === ownBare && fromBare !== ownBare) [direction, peer] = ['in', fromBare];
  else return undefined; // between two of our devices, or not ours at all
  if (!peer) return undefined;
  const stamp = forwarded.getChild('delay', NS_DELAY)?.attrs.stamp;
  const archivedAt = typeof stamp === 'string' ? Date.parse(stamp) : Number.NaN;
  // The sender's time of writing (its own XEP-0203 stamp, in milliseconds) orders the copy among live messages
  // as the live one would be; the archive's has whole seconds. Believed only up to the archive's time (and its
  // rounding), and not from longer before it than any message may wait.
  const written = message.getChildren('delay', NS_DELAY).find((d) => bareJid(d.attrs.from) === fromBare)?.attrs.stamp;
  const writtenAt = typeof written === 'string' ? Date.parse(written) : Number.NaN;
  const stampedAt =
    Number.isFinite(writtenAt) && Number.isFinite(archivedAt) && writtenAt < archivedAt + 1_000 && writtenAt >= archivedAt - PRIVATE_WAIT_MS ? writtenAt : archivedAt;
  const body = message.getChildText('body') ?? undefined;
  const origin = message.getChildren('origin-id', NS_SID).map((o) => boundedId(o.attrs.id));
  const replace = message.getChildren('replace', NS_CORRECT);
  return {
    archiveId,
    direction,
    peer,
    messageId: (origin.length === 1 ? origin[0] : undefined) ?? boundedId(message.attrs.id),
    body: body === '' ? undefined : body,
    encrypted: message.getChild('encryption', NS_EME) !== undefined,
    message,
    stampedAt: Number.isFinite(stampedAt) ? stampedAt : undefined,
    replaces: replace.length === 1 ? boundedId(replace[0]!.attrs.id) : undefined,
  };
}

export interface MamFin {
  /** The server says this was the last page in the direction asked. */
  complete: boolean;
  /** The first and last archive id of this page (for the next page: `before` first, `after` last). */
  first: string | undefined;
  last: string | undefined;
}

/** The `<fin/>` of a query's IQ result; undefined when the answer is not one. */
export function parseFin(iq: Element): MamFin | undefined {
  const fin = iq.getChild('fin', NS_MAM);
  if (!fin) return undefined;
  const set = fin.getChild('set', NS_RSM);
  return {
    complete: fin.attrs.complete === 'true' || fin.attrs.complete === '1',
    first: boundedId(set?.getChildText('first')),
    last: boundedId(set?.getChildText('last')),
  };
}

/** The archive id our server gave a live message (XEP-0359 `<stanza-id by=our bare JID>`), if any. */
export function ownStanzaId(stanza: Element, ownBare: string): string | undefined {
  const ids = stanza.getChildren('stanza-id', NS_SID).filter((s) => bareJid(s.attrs.by) === ownBare && !String(s.attrs.by).includes('/'));
  return ids.length === 1 ? boundedId(ids[0]!.attrs.id) : undefined;
}
