/**
 * Rooms that follow the user to every device: bookmarks in the user's own account.
 *
 * XEP-0402 (PEP native bookmarks, node `urn:xmpp:bookmarks:1`, one item per room, `autojoin`) where the
 * server says it keeps them in step with the older form (`urn:xmpp:bookmarks:1#compat` on the account,
 * as Prosody 0.12's mod_bookmarks does); otherwise XEP-0048 in private XML storage (XEP-0049), which
 * every server has. Changes other devices make arrive as PEP notifications (`+notify` in our caps).
 *
 * Only our own account's PEP service is believed: a notification from any other address is dropped.
 * Passwords are never written into bookmarks.
 */
import xml, { type Element } from '@xmpp/xml';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { buildPublish, NS_PUBSUB } from '../xmpp/pubsub.js';
import { xmlSafe } from '../xmpp/stanzas.js';
import { bareJid } from '../values/jid.js';
import { cleanNick, NS_DISCO_INFO, roomAddress } from './muc-stanzas.js';

export const NS_BOOKMARKS2 = 'urn:xmpp:bookmarks:1';
export const NS_BOOKMARKS2_COMPAT = 'urn:xmpp:bookmarks:1#compat';
export const NS_BOOKMARKS_LEGACY = 'storage:bookmarks';
const NS_PRIVATE = 'jabber:iq:private';
const NS_PUBSUB_EVENT = 'http://jabber.org/protocol/pubsub#event';
/** Bookmarks we read; a bigger list is cut (a hostile server cannot make us enter thousands of rooms). */
export const MAX_BOOKMARKS = 200;
const MAX_NAME = 256;
const TIMEOUT_MS = 10_000;

export interface Bookmark {
  jid: string;
  name?: string;
  autojoin: boolean;
  nick?: string;
}

/** A change another device made (or our own, echoed back): a bookmark set, or removed. */
export type BookmarkChange = { kind: 'set'; bookmark: Bookmark } | { kind: 'removed'; jid: string };

const isTrue = (value: unknown) => value === 'true' || value === '1';

function cleanName(name: unknown): string | undefined {
  if (typeof name !== 'string') return undefined;
  const trimmed = name.trim();
  return trimmed ? [...trimmed].slice(0, MAX_NAME).join('') : undefined;
}

/** A XEP-0402 item (`<item id=room><conference …/></item>`); undefined when malformed. */
export function parseBookmarkItem(item: Element): Bookmark | undefined {
  const conference = item.getChild('conference', NS_BOOKMARKS2);
  const jid = typeof item.attrs.id === 'string' ? roomAddress(item.attrs.id) : undefined;
  if (!conference || !jid) return undefined;
  const name = cleanName(conference.attrs.name);
  const nick = cleanNick(conference.getChildText('nick') ?? '');
  return { jid, ...(name ? { name } : {}), autojoin: isTrue(conference.attrs.autojoin), ...(nick ? { nick } : {}) };
}

/** XEP-0048 `<storage>`'s conferences; malformed ones skipped, at most MAX_BOOKMARKS. */
export function parseLegacyStorage(storage: Element | undefined): Bookmark[] {
  const list: Bookmark[] = [];
  for (const c of storage?.getChildren('conference') ?? []) {
    if (list.length >= MAX_BOOKMARKS) break;
    const jid = typeof c.attrs.jid === 'string' ? roomAddress(c.attrs.jid) : undefined;
    if (!jid || list.some((b) => b.jid === jid)) continue;
    const name = cleanName(c.attrs.name);
    const nick = cleanNick(c.getChildText('nick') ?? '');
    list.push({ jid, ...(name ? { name } : {}), autojoin: isTrue(c.attrs.autojoin), ...(nick ? { nick } : {}) });
  }
  return list;
}

export function fetchBookmarksIq(): Element {
  return xml('iq', { type: 'get' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NS_BOOKMARKS2 })));
}

/** Publishes one bookmark (XEP-0402 §3.2) with the node settings the XEP requires (private, all items kept). */
export function publishBookmarkIq(b: Bookmark): Element {
  const conference = xml(
    'conference',
    { xmlns: NS_BOOKMARKS2, ...(b.name ? { name: xmlSafe(b.name) } : {}), ...(b.autojoin ? { autojoin: 'true' } : {}) },
    b.nick ? xml('nick', {}, xmlSafe(b.nick)) : undefined,
  );
  return buildPublish(NS_BOOKMARKS2, b.jid, conference, {
    'pubsub#persist_items': 'true',
    'pubsub#max_items': 'max',
    'pubsub#send_last_published_item': 'never',
    'pubsub#access_model': 'whitelist',
  });
}

export function retractBookmarkIq(jid: string): Element {
  return xml('iq', { type: 'set' }, xml('pubsub', { xmlns: NS_PUBSUB }, xml('retract', { node: NS_BOOKMARKS2, notify: 'true' }, xml('item', { id: jid }))));
}

export function fetchLegacyIq(): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_PRIVATE }, xml('storage', { xmlns: NS_BOOKMARKS_LEGACY })));
}

export function storeLegacyIq(list: readonly Bookmark[]): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'query',
      { xmlns: NS_PRIVATE },
      xml(
        'storage',
        { xmlns: NS_BOOKMARKS_LEGACY },
        ...list.map((b) =>
          xml(
            'conference',
            { jid: b.jid, autojoin: b.autojoin ? 'true' : 'false', ...(b.name ? { name: xmlSafe(b.name) } : {}) },
            b.nick ? xml('nick', {}, xmlSafe(b.nick)) : undefined,
          ),
        ),
      ),
    ),
  );
}

/**
 * A bookmark notification (XEP-0402 §3.3) from our own account; undefined for anything else,
 * including the same notification from any other address (forged).
 */
export function parseBookmarkEvent(stanza: Element, ownBare: string): BookmarkChange[] | undefined {
  if (stanza.name !== 'message') return undefined;
  const items = stanza.getChild('event', NS_PUBSUB_EVENT)?.getChild('items');
  if (!items || items.attrs.node !== NS_BOOKMARKS2) return undefined;
  // From our account's PEP service: its bare address (or none: our own server on our behalf), never a resource.
  const fromAttr = stanza.attrs.from === undefined ? ownBare : String(stanza.attrs.from);
  if (fromAttr.includes('/') || bareJid(fromAttr) !== ownBare) return [];
  const changes: BookmarkChange[] = [];
  for (const child of items.getChildElements().slice(0, MAX_BOOKMARKS)) {
    if (child.name === 'item') {
      const bookmark = parseBookmarkItem(child);
      if (bookmark) changes.push({ kind: 'set', bookmark });
    } else if (child.name === 'retract') {
      const jid = typeof child.attrs.id === 'string' ? roomAddress(child.attrs.id) : undefined;
      if (jid) changes.push({ kind: 'removed', jid });
    }
  }
  return changes;
}

/** The child `name` of an iq answer (xmpp.js hands either the iq or its payload). */
function payload(answer: Element | undefined, name: string, xmlns: string): Element | undefined {
  if (!answer) return undefined;
  if (answer.name === name && answer.attrs.xmlns === xmlns) return answer;
  return answer.getChild(name, xmlns);
}

/** The bookmarks of one account, in whichever store its server offers. */
export class Bookmarks {
  private mode: 'pep' | 'private' | undefined;
  private readonly known = new Map<string, Bookmark>();
  /** Writes one after the other (private storage is rewritten whole). */
  private queue: Promise<void> = Promise.resolve();
  /** The read of a new session: writes wait for it, so that what they change is not lost to it. */
  private loading: Promise<unknown> = Promise.resolve();

  constructor(private readonly session: () => XmppSession | undefined) {}

  /** Finds the store and reads every bookmark (a new session; bookmarks may have changed meanwhile). */
  load(session: XmppSession, ownBare: string): Promise<Bookmark[]> {
    const loading = this.read(session, ownBare);
    this.loading = loading.catch(() => undefined);
    return loading;
  }

  private async read(session: XmppSession, ownBare: string): Promise<Bookmark[]> {
    this.mode = undefined;
    this.known.clear();
    const info = await session.iq.request(xml('iq', { type: 'get', to: ownBare }, xml('query', { xmlns: NS_DISCO_INFO })), TIMEOUT_MS).catch(() => undefined);
    const features = payload(info, 'query', NS_DISCO_INFO)?.getChildren('feature').map((f) => f.attrs.var) ?? [];
    let list: Bookmark[];
    let mode: 'pep' | 'private';
    if (features.includes(NS_BOOKMARKS2_COMPAT)) {
      mode = 'pep';
      const answer = await session.iq.request(fetchBookmarksIq(), TIMEOUT_MS).catch((error: { condition?: string }) => {
        if (error?.condition === 'item-not-found') return undefined; // no bookmarks yet
        throw error;
      });
      list = [];
      for (const item of payload(answer, 'pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? []) {
        if (list.length >= MAX_BOOKMARKS) break;
        const bookmark = parseBookmarkItem(item);
        if (bookmark && !list.some((b) => b.jid === bookmark.jid)) list.push(bookmark);
      }
    } else {
      mode = 'private';
      const answer = await session.iq.request(fetchLegacyIq(), TIMEOUT_MS);
      list = parseLegacyStorage(payload(answer, 'query', NS_PRIVATE)?.getChild('storage', NS_BOOKMARKS_LEGACY));
    }
    // Written to only once read: a server without either store (or a failed read) gets no writes.
    this.mode = mode;
    for (const b of list) this.known.set(b.jid, b);
    return list;
  }

  get(jid: string): Bookmark | undefined {
    return this.known.get(jid);
  }

  /** Adds or changes a bookmark (nothing is written when it is already so). */
  set(bookmark: Bookmark): Promise<void> {
    return this.write(() => {
      const old = this.known.get(bookmark.jid);
      const merged: Bookmark = { ...bookmark, ...(bookmark.name === undefined && old?.name ? { name: old.name } : {}) };
      if (old && old.autojoin === merged.autojoin && old.nick === merged.nick && old.name === merged.name) return undefined;
      this.known.set(bookmark.jid, merged);
      return this.mode === 'pep' ? publishBookmarkIq(merged) : storeLegacyIq([...this.known.values()]);
    });
  }

  remove(jid: string): Promise<void> {
    return this.write(() => {
      if (!this.known.delete(jid)) return undefined;
      return this.mode === 'pep' ? retractBookmarkIq(jid) : storeLegacyIq([...this.known.values()]);
    });
  }

  /** A notification: what changed, as far as it is news to us. */
  applied(changes: BookmarkChange[]): BookmarkChange[] {
    const news: BookmarkChange[] = [];
    for (const change of changes) {
      if (change.kind === 'set') {
        const old = this.known.get(change.bookmark.jid);
        this.known.set(change.bookmark.jid, change.bookmark);
        if (!old || old.autojoin !== change.bookmark.autojoin || old.nick !== change.bookmark.nick) news.push(change);
      } else if (this.known.delete(change.jid)) news.push(change);
    }
    return news;
  }

  /** `change` runs once the bookmarks are read, and says what to send (undefined: nothing changes). */
  private write(change: () => Element | undefined): Promise<void> {
    const next = this.queue.then(async () => {
      await this.loading;
      const session = this.session();
      if (!session || !this.mode) return; // read again (and merged) with the next session
      const stanza = change();
      if (stanza) await session.iq.request(stanza, TIMEOUT_MS);
    });
    this.queue = next.catch(() => undefined);
    return next;
  }
}
