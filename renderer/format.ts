/** Pure formatting helpers for the views (no DOM): dates and times in the given locale (a BCP 47 tag). */

/** One formatter per locale and style: building an Intl.DateTimeFormat is costly, a chat formats hundreds. */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(locale: string, style: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale}|${style}`;
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, options);
    formatters.set(key, f);
  }
  return f;
}

/** "14:05" */
export function formatTime(epochMs: number, locale: string): string {
  return formatter(locale, 'time', { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(epochMs);
}

/** "Tuesday, 25 November 2025 at 14:05:09" (locale dependent), for tooltips. */
export function formatFullDate(epochMs: number, locale: string): string {
  return formatter(locale, 'full', { dateStyle: 'full', timeStyle: 'medium' }).format(epochMs);
}

/** "Tuesday, 25 November 2025", for the separators between days in a chat. */
export function formatDay(epochMs: number, locale: string): string {
  return formatter(locale, 'day', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' }).format(epochMs);
}

/** "1 Dec 2026", for lists. */
export function formatShortDate(epochMs: number, locale: string): string {
  return formatter(locale, 'short', { day: 'numeric', month: 'short', year: 'numeric' }).format(epochMs);
}

/** "1 Dec 2026, 14:05": a message's time as the chat shows it (formatTime), with the day it is from, for lists of messages from many days. */
export function formatMessageTime(epochMs: number, locale: string): string {
  return `${formatShortDate(epochMs, locale)}, ${formatTime(epochMs, locale)}`;
}

/** A date as Node prints it in certificates ("Nov 25 10:00:00 2025 GMT"), in the locale; as it is when it does not parse. */
export function formatCertificateDate(value: string, locale: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : formatter(locale, 'cert', { dateStyle: 'medium', timeStyle: 'medium' }).format(ms);
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
