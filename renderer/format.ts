/** Pure formatting helpers for the views (no DOM; locale from the runtime). */
import type { PresenceShow } from '../shared/contract';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const fullFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'medium' });
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** "14:05" */
export function formatTime(epochMs: number): string {
  return timeFormat.format(epochMs);
}

/** "Tuesday, 25 November 2025 at 14:05:09" (locale dependent), for tooltips. */
export function formatFullDate(epochMs: number): string {
  return fullFormat.format(epochMs);
}

/** "Tuesday, 25 November 2025", for the separators between days in a chat. */
export function formatDay(epochMs: number): string {
  return dayFormat.format(epochMs);
}

const shortDateFormat = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

/** "1 Dec 2026", for lists. */
export function formatShortDate(epochMs: number): string {
  return shortDateFormat.format(epochMs);
}

/** Local calendar day, to know where a chat crosses midnight. */
export function dayKey(epochMs: number): string {
  const d = new Date(epochMs);
  return `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
}

/** Whole seconds until `retryAt`, never negative. */
export function secondsUntil(retryAt: number, now: number): number {
  return Math.max(0, Math.ceil((retryAt - now) / 1000));
}

export const presenceLabel: Record<PresenceShow, string> = {
  online: 'Online',
  away: 'Away',
  dnd: 'Do not disturb',
  offline: 'Offline',
};
