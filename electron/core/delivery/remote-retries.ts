/**
 * Messages our server bounced because it could not reach the contact's server (federation): each waits in the
 * outbox with how often it bounced and the timer that sends it again (delivery.ts).
 */
import { backoffDelay } from '../xmpp/backoff.js';

/** Sending again what our server could not pass to another company's server: from ~5 s up to ~5 min apart. */
const REMOTE_RETRY_BACKOFF = { baseMs: 5_000, maxMs: 300_000 } as const;

export class RemoteRetries {
  private readonly bounced = new Map<string, { attempts: number; timer: NodeJS.Timeout | undefined }>();

  /** Message `id` bounced (again): `send` it after a growing delay; `backoff` replaces the default one (tests). */
  schedule(id: string, backoff: { baseMs?: number; maxMs?: number } | undefined, send: () => void): void {
    const retry = this.bounced.get(id) ?? { attempts: 0, timer: undefined };
    clearTimeout(retry.timer);
    retry.timer = setTimeout(() => {
      retry.timer = undefined;
      send();
    }, backoffDelay(retry.attempts, backoff ?? REMOTE_RETRY_BACKOFF));
    retry.attempts += 1;
    this.bounced.set(id, retry);
  }

  /** Going now (a new stream came first): the timed retry is no longer needed. */
  goingNow(id: string): void {
    const retry = this.bounced.get(id);
    if (!retry) return;
    clearTimeout(retry.timer);
    retry.timer = undefined;
  }

  /** Whether a retry of `id` is timed (the copy that went before bounced). */
  timed(id: string): boolean {
    return this.bounced.get(id)?.timer !== undefined;
  }

  /** The contact's app has `id`: no more retries, and no count kept. */
  done(id: string): void {
    const retry = this.bounced.get(id);
    if (!retry) return;
    clearTimeout(retry.timer);
    this.bounced.delete(id);
  }

  /** No more timed retries (the account closes). */
  close(): void {
    for (const retry of this.bounced.values()) clearTimeout(retry.timer);
  }
}
