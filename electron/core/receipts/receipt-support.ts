/**
 * Whether a contact's app confirms messages (XEP-0184), known before any receipt came: from the entity
 * capabilities in its presence (XEP-0115), whose disco#info lists `urn:xmpp:receipts` (XEP-0184 §6) or not.
 * A private message sent while this is unknown waits for a receipt like one to a confirming app (the
 * receiver may be killed before it decrypts it); one to an app known to confirm nothing does not.
 */
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../values/jid.js';
import { NS_CAPS } from '../xmpp/caps.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { NS_RECEIPTS } from './receipts.js';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const DISCO_TIMEOUT_MS = 10_000;

export interface ReceiptSupportHost {
  session(): XmppSession | null;
  /** Our own bare JID (our other devices are no contacts). */
  ownBare(): string | undefined;
  isContact(peer: string): boolean;
  /** A receipt came from `peer`'s app once (outbox-store.ts, kept over restarts). */
  confirmedOnce(peer: string): boolean;
}

/** Per available resource of a contact: its caps' node#ver, and what its disco#info said (undefined: not yet). */
interface ResourceCaps {
  caps: string | undefined;
  receipts: boolean | undefined;
}

export class ReceiptSupport {
  /** full JID → what it supports, for the stream `stream` (a new, not resumed, stream forgets all presence). */
  private readonly resources = new Map<string, ResourceCaps>();
  private stream: XmppSession | null = null;

  constructor(private readonly host: ReceiptSupportHost) {}

  /** A presence from someone (the incoming pipeline, before the roster takes it). */
  onPresence(stanza: Element): void {
    const from = stanza.attrs.from;
    const peer = bareJid(from);
    if (!from || !peer || from === peer || peer === this.host.ownBare() || !this.host.isContact(peer)) return;
    const type = stanza.attrs.type;
    if (type !== undefined && type !== 'unavailable') return;
    this.current();
    if (type === 'unavailable') {
      this.resources.delete(from);
      return;
    }
    const c = stanza.getChild('c', NS_CAPS);
    const node = c?.attrs.node;
    const ver = c?.attrs.ver;
    // No capabilities: nothing tells that the app confirms messages (only a receipt would).
    if (typeof node !== 'string' || typeof ver !== 'string' || !node || !ver) {
      this.resources.set(from, { caps: undefined, receipts: false });
      return;
    }
    const caps = `${node}#${ver}`;
    if (this.resources.get(from)?.caps === caps) return; // the same app as before: known, or being asked
    const known: ResourceCaps = { caps, receipts: undefined };
    this.resources.set(from, known);
    const session = this.stream;
    if (!session) return;
    void session.iq
      .request(xml('iq', { to: from, type: 'get' }, xml('query', { xmlns: NS_DISCO_INFO, node: caps })), DISCO_TIMEOUT_MS)
      .then(
        (answer: Element) => {
          const query = answer.name === 'query' ? answer : answer.getChild('query', NS_DISCO_INFO);
          return query?.getChildren('feature').some((f) => f.attrs.var === NS_RECEIPTS) ?? false;
        },
        () => false, // an app that cannot say what it supports is not known to confirm anything
      )
      .then((receipts) => {
        if (this.resources.get(from) === known) known.receipts = receipts;
      });
  }

  /**
   * Whether `peer`'s app confirms messages: true when one of its resources says so or a receipt came once,
   * false when every resource online says it does not, undefined while that is unknown (offline, still asking).
   */
  confirms(peer: string): boolean | undefined {
    this.current();
    const answers = [...this.resources].filter(([full]) => bareJid(full) === peer).map(([, r]) => r.receipts);
    if (answers.includes(true) || this.host.confirmedOnce(peer)) return true;
    if (answers.length > 0 && answers.every((r) => r === false)) return false;
    return undefined;
  }

  /** A new stream that is not the old one resumed: what was online then is told again by new presence. */
  private current(): void {
    const session = this.host.session();
    if (session === this.stream) return;
    if (!session?.resumed) this.resources.clear();
    this.stream = session;
  }
}
