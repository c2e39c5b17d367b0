/**
 * One account's streams coming and going: what a drop takes along (presences, typing, private conversations,
 * room occupancy) or keeps while the stream may be resumed (XEP-0198), and what a new stream starts with
 * (roster, carbons, presence, rooms, the archive's catch-up, the outbox).
 */
import type { Element } from '@xmpp/xml';
import type { Contact, OwnShow } from '../../../shared/contract.js';
import type { MessageArchive } from '../archive/message-archive.js';
import type { Avatars } from '../avatars/avatars.js';
import { enableCarbons } from '../carbons/carbons.js';
import type { OutgoingChatStates } from '../chat-states/chat-states.js';
import type { ContactTyping } from '../chat-states/contact-typing.js';
import type { Delivery } from '../delivery/delivery.js';
import type { E2eeRouter } from '../e2ee/router.js';
import type { IncomingStanza, Pipeline } from '../incoming/pipeline.js';
import type { Rooms } from '../muc/rooms.js';
import type { ContactManager } from '../roster/contacts.js';
import { Roster } from '../roster/roster.js';
import { isRosterPushFrom } from '../roster/roster-stanzas.js';
import { withCaps } from '../xmpp/caps.js';
import type { ConnectionManager } from '../xmpp/connection-manager.js';
import { NS_ROSTER, parseRosterItems, parseRosterItemsInTurns, presenceStanza, rosterGet, type RosterItem } from '../xmpp/stanzas.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';

export interface StreamHost {
  connection: ConnectionManager;
  roster: Roster;
  avatars: Pick<Avatars, 'forget'>;
  contactManager: Pick<ContactManager, 'rosterChanged'>;
  rooms: Pick<Rooms, 'offline' | 'sessionStarted'>;
  e2ee: Pick<E2eeRouter, 'streamLost' | 'sessionStarted'>;
  archive: Pick<MessageArchive, 'sessionStarted' | 'catchUp'>;
  delivery: Pick<Delivery, 'newStream' | 'flush'>;
  chatStates: Pick<OutgoingChatStates, 'reset'>;
  typing: Pick<ContactTyping, 'clear'>;
  /** Every stanza of a stream goes through it (account.ts). */
  incoming: Pipeline<IncomingStanza>;
  ownBare(): string;
  ownPresence(): { show: OwnShow; status: string };
  /** The UI: the account's view, the whole roster, one contact (or one removed). */
  emitView(): void;
  emitRoster(): void;
  emitContact(jid: string): void;
  emitRemoved(contact: Contact): void;
  now(): number;
}

export class StreamLifecycle {
  /** When the current (not resumed) session began: archive results stamped later were live messages. */
  private since: number | undefined;
  /** The archive's catch-up of the current (not resumed) stream, settled when it is done or failed (delivery.ts waits for it). */
  catchingUp: Promise<void> = Promise.resolve();
  /** The stream dropped and may be resumed: presences and private conversations wait to see if it is. */
  private streamInDoubt = false;
  private presencesInDoubt: ReturnType<Roster['takePresences']> | undefined;
  /** While the sign-in's roster is parsed (startSession): the pushes that came meanwhile, applied after it. */
  private pushesDuringRosterLoad: RosterItem[] | undefined;
  /** Ending the private conversations of a lost stream: what fails meanwhile fails for that, and goes out again. */
  private losing: Promise<void> | undefined;

  constructor(private readonly host: StreamHost) {
    const { connection } = host;
    connection.on('state', () => this.onState());
    connection.on('session', (session: XmppSession) => this.onSession(session));
  }

  get onlineSince(): number | undefined {
    return this.since;
  }

  /** Set while the private conversations of a lost stream end (see streamLost). */
  get losingStream(): Promise<void> | undefined {
    return this.losing;
  }

  private onState(): void {
    const { connection, roster } = this.host;
    const kind = connection.state.kind;
    if (kind !== 'online') {
      this.host.chatStates.reset();
      this.host.typing.clear();
      // A stream that may be resumed keeps its private conversations, and gets its presences back (XEP-0198): decided on the next session.
      const resumable = connection.canResume && (kind === 'reconnecting' || kind === 'connecting');
      const presences = roster.takePresences();
      if (roster.jids().length > 0) this.host.emitRoster();
      if (resumable) {
        // Taken once, at the drop: later attempts (reconnecting again) find nothing new to keep.
        if (!this.streamInDoubt) this.presencesInDoubt = presences;
        this.streamInDoubt = true;
      } else {
        this.streamInDoubt = false;
        this.presencesInDoubt = undefined;
        this.streamLost();
      }
    }
    this.host.emitView();
  }

  private onSession(session: XmppSession): void {
    const { roster } = this.host;
    if (!session.resumed) this.host.archive.sessionStarted(); // a resumed stream (XEP-0198) has caught up already
    session.callee.set(NS_ROSTER, 'query', (ctx) => {
      // RFC 6121 §2.1.6: a push from anyone but our own server is ignored (and answered with an error).
      if (!isRosterPushFrom(ctx.stanza.attrs.from, this.host.ownBare())) return undefined as never;
      if (this.pushesDuringRosterLoad) {
        this.pushesDuringRosterLoad.push(...parseRosterItems(ctx.element));
        return {};
      }
      for (const jid of roster.push(parseRosterItems(ctx.element))) {
        if (roster.has(jid)) this.host.emitContact(jid);
        else {
          this.host.avatars.forget(jid);
          this.host.emitRemoved(Roster.removed(jid));
        }
      }
      this.host.contactManager.rosterChanged();
      return {};
    });
    session.on('stanza', (stanza: Element) => {
      try {
        this.host.incoming.run({ stanza });
      } catch {
        // A stanza we cannot make sense of is dropped; the stream goes on.
      }
    });
    const doubted = this.streamInDoubt;
    const presences = this.presencesInDoubt;
    this.streamInDoubt = false;
    this.presencesInDoubt = undefined;
    if (session.resumed) {
      // The same stream goes on (XEP-0198): roster, presences, private conversations carried over.
      if (presences && presences.size > 0) {
        roster.restorePresences(presences);
        this.host.emitRoster();
      }
      void this.host.delivery.flush(session);
      return;
    }
    if (doubted) this.streamLost();
    this.since = this.host.now();
    // The old stream is gone, and with it what it had not acknowledged: the outbox sends all of that again.
    this.host.delivery.newStream();
    void this.startSession(session).then(() => this.host.delivery.flush(session));
  }

  /** Roster first, then initial presence (RFC 6121 §2.2: so that presence reaches the roster). */
  private async startSession(session: XmppSession): Promise<void> {
    const { roster } = this.host;
    let caughtUp = () => {};
    this.catchingUp = new Promise<void>((resolve) => (caughtUp = resolve));
    try {
      const result = await session.iq.request(rosterGet());
      // Parsed over several turns: pushes that arrive meanwhile are newer than the result, so they go on top.
      this.pushesDuringRosterLoad = [];
      const items = await parseRosterItemsInTurns(result.getChild('query', NS_ROSTER));
      roster.replace(items);
      for (const jid of roster.push(this.pushesDuringRosterLoad)) if (!roster.has(jid)) this.host.avatars.forget(jid);
      this.pushesDuringRosterLoad = undefined;
      this.host.emitRoster();
      // Carbons before presence, so that no copy is missed; a server without them just answers an error.
      await session.iq.request(enableCarbons()).catch(() => undefined);
      this.host.contactManager.rosterChanged();
      const { show, status } = this.host.ownPresence();
      await session.send(withCaps(presenceStanza(show, status)));
      this.host.rooms.sessionStarted(session); // after our presence: rooms are entered by presence too
      void this.host.e2ee.sessionStarted();
    } catch {
      // The session ended meanwhile; the connection manager reports that.
      caughtUp();
      return;
    }
    // What arrived while we were away (offline storage may deliver some of it too: de-duplicated). Not awaited:
    // the outbox goes out meanwhile, and messages written now wait for the outbox, not for the archive.
    void this.host.archive
      .catchUp()
      .catch(() => undefined)
      .finally(caughtUp);
  }

  /** Our stream is gone for good (not resumed): presences, private conversations and room occupancy with it. */
  private streamLost(): void {
    this.host.rooms.offline();
    const losing = this.host.e2ee.streamLost().finally(() => {
      if (this.losing === losing) this.losing = undefined;
    });
    this.losing = losing;
  }
}
