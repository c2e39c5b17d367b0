/**
 * One account's use of its server's message archive (XEP-0313): after each sign-in it fetches
 * what arrived since the last archive id it saw (remembered with the history), and on request
 * one older page of one chat (the user scrolled to the top).
 *
 * End-to-end encrypted messages found in the archive go to the encryption provider that claims them
 * (e2ee/router.ts): a scheme whose copies can be decrypted (OMEMO) gives their text; the others (OTR:
 * the keys are gone, by design) are never shown, and one notice says one was there.
 * Archived messages keep their server timestamp and go into the chat in time order; no receipt
 * is sent for them (the sender's app got one, or not, when it mattered). The contact's receipts found
 * there confirm our messages, as live ones do.
 */
import { randomUUID } from 'node:crypto';
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../shared/contract.js';
import type { CopyReading } from '../e2ee/router.js';
import type { EncryptedCopy } from '../e2ee/provider.js';
import { checkMamResult, mamQuery, parseFin, type ArchivedMessage, type MamFin, type MamQuery } from './mam.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import { archiveDuplicate } from './archive-dedup.js';
import { KlatschError } from '../errors.js';
import { receiptFor } from '../receipts/receipts.js';

/** Messages per page (XEP-0313 servers cap this themselves too). */
export const PAGE_SIZE = 50;
/** Pages fetched per catch-up; the rest follows at the next sign-in (the mark moves page by page). */
const MAX_CATCH_UP_PAGES = 40;
const QUERY_TIMEOUT_MS = 30_000;
/** Results kept per query: a server that floods one page with more than asked gets the rest ignored. */
const MAX_RESULTS_PER_QUERY = 4 * PAGE_SIZE;
/** Live archived messages on their way to the history at one time that the mark waits for (see liveSettled). */
const MAX_LIVE_IN_FLIGHT = 10_000;

/** How much earlier than a start time a catch-up by time asks from (the server's clock and ours differ). */
const START_MARGIN_MS = 5 * 60_000;
/**
 * A stored mark is an archive id, or (no archived message to name yet: an empty archive, only private traffic,
 * which is not archived) this prefix and a time. U+0001 cannot occur in XML 1.0, so no archive id starts with it.
 */
const TIME_MARK = '\u0001since:';

/** Where a catch-up starts: after an archive id, or from a time (epoch ms). */
type Start = { after: string } | { since: number };

function timeMark(since: number): string {
  return `${TIME_MARK}${since}`;
}

function readMark(stored: string | undefined): Start | undefined {
  if (stored === undefined) return undefined;
  if (!stored.startsWith(TIME_MARK)) return { after: stored };
  const since = Number(stored.slice(TIME_MARK.length));
  return Number.isFinite(since) ? { since } : undefined;
}

export const ARCHIVE_PRIVATE_NOTICE = 'A private message from the archive cannot be read: private messages can be read only while the conversation lasts.';

export interface MessageArchiveDeps {
  session: () => XmppSession | undefined;
  /** Our lowercase bare JID. */
  ownBare: () => string;
  /** The peers of the one-to-one chats here. */
  peers: () => readonly string[];
  /** The chat with `peer`, oldest first. */
  list: (peer: string) => readonly ChatMessage[];
  /** Whether this chat has a message with this id in this direction. */
  has: (peer: string, id: string, direction: ChatMessage['direction']) => boolean;
  /** Puts a message into the chat (and history, and UI); `unread`: the user has not seen it yet. */
  put: (message: ChatMessage, unread: boolean) => void;
  /** Whether messages with `peer` may be shown (the administrator's deny list). */
  accepts: (peer: string) => boolean;
  /** Where the next catch-up starts (per account; see readMark), and storing a newer one. */
  mark: () => string | undefined;
  setMark: (archiveId: string | undefined) => void;
  now: () => number;
  /** What an archived message shows: plaintext, decrypted by the scheme that claims it, or unreadable (e2ee/router.ts). */
  readCopy: (copy: EncryptedCopy, body: string | undefined) => Promise<CopyReading>;
  /**
   * The contact's app confirmed our message `id` (a receipt found in the archive). The server archives a receipt that
   * came to a stream of ours that died, and delivers it nowhere else: unread, the message would go again in every
   * private conversation.
   */
  receiptArrived?: (peer: string, id: string) => void;
}

/** An archived message and what it shows here. */
type ReadMessage = ArchivedMessage & { reading: CopyReading };

/** A query that refers to an archive id the server does not know (any more). */
function unknownId(error: unknown): boolean {
  return (error as { condition?: string } | undefined)?.condition === 'item-not-found';
}

export class MessageArchive {
  /** Open queries by our query id → what arrived for them so far. */
  private readonly open = new Map<string, ArchivedMessage[]>();
  /** This session's server answered a query: it has an archive (and so strips forged stanza ids). */
  private answered = false;
  /** This session caught up completely: from now on, live messages move the mark (nothing before them is missing). */
  private caughtUp = false;
  /**
   * This session's live archived messages since it caught up, in the order they arrived, until each is shown (or
   * dropped). The mark moves only past a run of settled ones: a message still on its way to the history when the app
   * is killed is dropped by the server as "in the archive" (mod_smacks), so the next catch-up must start before it.
   */
  private readonly liveInOrder: { archiveId: string; settled: boolean }[] = [];

  constructor(private readonly deps: MessageArchiveDeps) {}

  /** A new session: nothing is known of its server yet. */
  sessionStarted(): void {
    this.answered = false;
    this.caughtUp = false;
    this.liveInOrder.length = 0;
  }

  /**
   * A live message our server archived as `archiveId` arrived (not yet shown). Once this session caught up, the mark
   * follows it once it and every live message before it are settled (liveSettled), so that the next sign-in neither
   * fetches the whole session again nor starts after a message that never reached the history.
   */
  sawLive(archiveId: string): void {
    // Also before the catch-up ended: one that arrived just after the archive's last answer (outside it) and is
    // still on its way when the catch-up ends holds the mark back too. Beyond the bound (messages that never
    // settle) the mark just stays: the next catch-up fetches more, never less.
    if (this.liveInOrder.length < MAX_LIVE_IN_FLIGHT) this.liveInOrder.push({ archiveId, settled: false });
  }

  /** The live message `archiveId` is in the history (on disk), or was dropped (a duplicate, nothing to show). */
  liveSettled(archiveId: string): void {
    const entry = this.liveInOrder.find((e) => e.archiveId === archiveId && !e.settled);
    if (!entry) return;
    entry.settled = true;
    let last: string | undefined;
    while (this.liveInOrder[0]?.settled) last = this.liveInOrder.shift()!.archiveId;
    // Before the catch-up ended, a live id says nothing of what came before it: the catch-up moves the mark.
    if (last !== undefined && this.caughtUp) this.deps.setMark(last);
  }

  /** Whether live messages' `<stanza-id/>` can be believed (the server keeps an archive, XEP-0359 §7). */
  get available(): boolean {
    return this.answered;
  }

  /**
   * Takes a `<message/>` if it is (or claims to be) an archive result: true when it was one, kept
   * for its query or refused (a result not from our own archive, or for a query we did not make).
   */
  onStanza(stanza: Element): boolean {
    const check = checkMamResult(stanza, this.deps.ownBare(), (id) => this.open.has(id));
    if (check.kind === 'none') return false;
    const kept = check.kind === 'result' ? this.open.get(check.queryId)! : undefined;
    if (check.kind === 'result' && check.message && kept!.length < MAX_RESULTS_PER_QUERY) kept!.push(check.message);
    return true;
  }

  /**
   * Fetches what arrived since the last mark; returns how many messages are new here. Without a mark, from the newest
   * message here that came through our server, and with nothing here at all (a new profile) the newest page.
   */
  async catchUp(): Promise<number> {
    const startedAt = this.deps.now();
    const start = readMark(this.deps.mark()) ?? this.newestStored();
    if (start === undefined) return this.firstCatchUp(startedAt);
    // Stored at once: a kill before this catch-up ends must not leave the next one without a starting point.
    if ('since' in start) this.deps.setMark(timeMark(start.since));
    return this.catchUpFrom(start, true);
  }

  /** A profile with nothing to continue from: the newest page (older ones on request). */
  private async firstCatchUp(startedAt: number): Promise<number> {
    const { added, last } = await this.newestPage();
    // An empty archive: the next catch-up starts from now (an offline stretch before the first archived message
    // would otherwise fetch only the newest page of what it missed).
    if (last === undefined) this.deps.setMark(timeMark(startedAt));
    this.caughtUp = true;
    return added;
  }

  private async catchUpFrom(start: Start, mayRestart: boolean): Promise<number> {
    // Stamps are the server's clock, a start time ours or a sender's: from a little earlier (copies are recognized by id).
    const since = 'since' in start ? start.since - START_MARGIN_MS : undefined;
    let after = 'after' in start ? start.after : undefined;
    let added = 0;
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      let fetched: { fin: MamFin; messages: ArchivedMessage[] };
      try {
        fetched = await this.query({ ...(since === undefined ? {} : { start: since }), ...(after === undefined ? {} : { after }), max: PAGE_SIZE });
      } catch (error) {
        if (!unknownId(error) || after === undefined || !mayRestart) throw error;
        // The archive no longer has our mark (expired, or a new server): from the newest message here instead.
        this.deps.setMark(undefined);
        const newest = this.newestStored();
        if (newest === undefined) return added + (await this.firstCatchUp(this.deps.now()));
        this.deps.setMark(timeMark(newest.since));
        return added + (await this.catchUpFrom(newest, false));
      }
      added += this.take(await this.read(fetched.messages), true);
      if (fetched.fin.last) {
        this.deps.setMark(fetched.fin.last);
        after = fetched.fin.last;
      }
      if (fetched.fin.complete || !fetched.fin.last) {
        this.caughtUp = true;
        break;
      }
    }
    return added;
  }

  /** The time of the newest message here that came through our server (received, or fetched from the archive). */
  private newestStored(): { since: number } | undefined {
    let newest: number | undefined;
    for (const peer of this.deps.peers()) {
      const list = this.deps.list(peer);
      for (let i = list.length - 1; i >= 0; i--) {
        const m = list[i]!;
        // Not ours written here (it may still wait in the outbox, newer than what we missed), not notices.
        if (m.direction !== 'in' && m.archiveId === undefined) continue;
        if (newest === undefined || m.timestamp > newest) newest = m.timestamp;
        break;
      }
    }
    return newest === undefined ? undefined : { since: newest };
  }

  /** One page of `peer`'s chat older than the oldest message we have. */
  async loadOlder(peer: string): Promise<{ added: number; complete: boolean }> {
    const list = this.deps.list(peer);
    const oldestArchived = list.find((m) => m.archiveId !== undefined);
    const oldest = list[0];
    const range: Pick<MamQuery, 'before' | 'end'> = oldestArchived
      ? { before: oldestArchived.archiveId! }
      : oldest
        ? { before: '', end: oldest.timestamp }
        : { before: '' };
    const { fin, messages } = await this.query({ with: peer, ...range, max: PAGE_SIZE });
    const added = this.take(await this.read(messages), false, (oldestArchived ?? oldest)?.timestamp);
    return { added, complete: fin.complete || messages.length === 0 };
  }

  private async newestPage(): Promise<{ added: number; last: string | undefined }> {
    const { fin, messages } = await this.query({ before: '', max: PAGE_SIZE });
    const added = this.take(await this.read(messages), true);
    if (fin.last) this.deps.setMark(fin.last);
    return { added, last: fin.last };
  }

  /** Runs one query; the results are those that arrived for its id before the answer. */
  private async query(q: Omit<MamQuery, 'queryId'>): Promise<{ fin: MamFin; messages: ArchivedMessage[] }> {
    const session = this.deps.session();
    if (!session) throw new KlatschError('not-connected', 'You are not connected.', { reason: 'archive-offline' });
    const queryId = randomUUID();
    this.open.set(queryId, []);
    try {
      const answer = await session.iq.request(mamQuery({ ...q, queryId }), QUERY_TIMEOUT_MS);
      const fin = parseFin(answer);
      if (!fin) throw new KlatschError('server-error', 'The server answered the archive query with something else.', { reason: 'archive-bad-answer' });
      this.answered = true;
      return { fin, messages: this.open.get(queryId) ?? [] };
    } finally {
      this.open.delete(queryId); // later results for it are refused
    }
  }

  /**
   * Puts a page's messages (oldest first) into their chats; returns how many are new. `before`: an
   * older page, which must end before that time (archive stamps have whole seconds; equal times
   * would otherwise sort the older page after the messages it precedes).
   */
  /** What each message shows here (the encryption providers decide for those they claim), in the page's order. */
  private read(messages: readonly ArchivedMessage[]): Promise<ReadMessage[]> {
    return Promise.all(
      messages.map(async (m) => {
        const reading = await this.deps.readCopy({ peer: m.peer, direction: m.direction, message: m.message }, m.body);
        // Labelled encrypted by a scheme no provider here claims: never shown as text.
        return { ...m, reading: reading.kind === 'plaintext' && m.encrypted ? { kind: 'unreadable', scheme: 'unknown' } : reading };
      }),
    );
  }

  private take(messages: readonly ReadMessage[], unread: boolean, before?: number): number {
    let added = 0;
    const noticed = new Set<string>();
    const times = this.timesOf(messages, before);
    for (const [index, m] of messages.entries()) {
      const reading = m.reading;
      const confirmed = m.direction === 'in' ? receiptFor(m.message) : undefined;
      if (confirmed !== undefined && this.deps.accepts(m.peer)) this.deps.receiptArrived?.(m.peer, confirmed);
      if (reading.kind === 'nothing' || (reading.kind === 'plaintext' && m.body === undefined) || !this.deps.accepts(m.peer)) continue; // chat states, receipts; denied addresses
      const timestamp = times[index]!;
      if (reading.kind === 'unreadable') {
        // One notice per chat and page, never the ciphertext; the same page fetched again adds none.
        const id = `archive-private-${m.archiveId}`;
        if (noticed.has(m.peer)) continue;
        noticed.add(m.peer);
        if (this.deps.has(m.peer, id, 'notice')) continue;
        this.deps.put({ id, peer: m.peer, direction: 'notice', body: ARCHIVE_PRIVATE_NOTICE, timestamp, state: 'received', notice: { kind: 'archive-private' } }, false);
        continue;
      }
      const list = this.deps.list(m.peer);
      const known = archiveDuplicate(list, m);
      if (known) {
        if (known.archiveId === undefined) this.deps.put({ ...known, archiveId: m.archiveId }, false);
        continue;
      }
      const body = reading.text;
      const decrypted = reading.kind === 'decrypted';
      if (m.replaces !== undefined && !decrypted) {
        // A correction of a message we have (same sender, plaintext): its text is the corrected one.
        const target = [...list].reverse().find((x) => x.id === m.replaces && x.direction === m.direction && !x.encrypted);
        if (target) {
          if (target.body !== body) this.deps.put({ ...target, body, edited: true }, false);
          continue;
        }
      }
      // Ids stay unique within a chat: a sender's id that names a message of the other direction is not reused.
      const given = m.messageId;
      const id = given && !this.deps.has(m.peer, given, m.direction === 'in' ? 'out' : 'in') ? given : randomUUID();
      const message: ChatMessage = {
        id,
        peer: m.peer,
        direction: m.direction,
        body,
        timestamp,
        state: m.direction === 'in' ? 'received' : 'sent',
        archiveId: m.archiveId,
        ...(decrypted ? { encrypted: true } : {}),
      };
      this.deps.put(message, unread && m.direction === 'in');
      added++;
    }
    return added;
  }

  /** Each message's time: its stamp (never in the future); with `before`, strictly increasing up to before that. */
  private timesOf(messages: readonly ArchivedMessage[], before: number | undefined): number[] {
    const now = this.deps.now();
    const times = messages.map((m) => Math.min(m.stampedAt ?? now, now));
    if (before === undefined) return times;
    let next = before;
    for (let i = times.length - 1; i >= 0; i--) {
      times[i] = Math.min(times[i]!, next - 1);
      next = times[i]!;
    }
    return times;
  }
}
