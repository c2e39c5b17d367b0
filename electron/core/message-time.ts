/**
 * Where a received message goes in its chat: at the time its sender wrote it, however it arrived.
 *
 * Klatsch stamps every message it sends with the time the user wrote it (XEP-0203 `<delay>`, set on
 * every copy: the first send, one from the outbox after a restart, one offered again in a new private
 * conversation), so a message that waited or came again takes its place among the others in the order
 * its sender wrote them, and stays there after a restart (the stamp is the message's `timestamp`, which
 * the history stores and sorts by). Messages of one chat with equal times keep the order they arrived
 * in, in memory and in the history (its row number), so a notice about a message (e.g. "the message
 * above was not encrypted", given that message's time) stays below it.
 *
 * The stamp sits outside any end-to-end encryption (an OTR body carries no time) and any sender or
 * server on the way can write it: it is believed for the placement only, never for content, and only
 * within bounds. Never after the message arrived (a time in the future, or a sender's clock ahead, is
 * the arrival), and never more than `MAX_BACKDATE_MS` before it: the longest a Klatsch sender keeps a
 * message waiting (PRIVATE_WAIT_MS), so that no sender can hide a message deep in the history. A stamp
 * beyond that (a message that waited longer in the server's offline storage, or a forged one) places
 * the message at that bound; several such keep their order of arrival.
 */
import { PRIVATE_WAIT_MS } from '../../shared/private-wait.js';

/** How long before its arrival a received message may be placed. */
export const MAX_BACKDATE_MS = PRIVATE_WAIT_MS;

/** A received message's time in its chat: the sender's stamp, kept within [arrivedAt − MAX_BACKDATE_MS, arrivedAt]. */
export function placeIncoming(stampedAt: number | undefined, arrivedAt: number): number {
  if (stampedAt === undefined || !Number.isFinite(stampedAt)) return arrivedAt;
  return Math.min(arrivedAt, Math.max(stampedAt, arrivedAt - MAX_BACKDATE_MS));
}
