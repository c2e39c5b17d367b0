/**
 * Stream management (XEP-0198) during login, wired into xmpp.js's stream features: count every stanza,
 * resume the previous stream or let binding go on, enable it on a new one. The protocol state is
 * stream-management.ts's; xmpp-session.ts composes these with the rest of the login.
 */
import type { Client } from '@xmpp/client-core';
import type { Element } from '@xmpp/xml';
import { isStanza, NS_SM, type StreamManagement } from './stream-management.js';

/** How long the server may take to answer `<enable/>` or `<resume/>`. */
const SM_STEP_TIMEOUT_MS = 10_000;

/** Counts every stanza in both directions for XEP-0198 (from `<enabled/>`/`<resumed/>` on; sm ignores them before). */
export function countStanzas(entity: Client, sm: StreamManagement): void {
  entity.on('element', (element: Element) => {
    if (isStanza(element)) sm.received();
  });
  // Counted when handed to the socket, in the order written: that is the order the server counts them in.
  const send = entity.send.bind(entity);
  entity.send = (element: Element) => {
    if (isStanza(element)) sm.sent(element);
    return send(element);
  };
}

/**
 * The server's `<r/>` (and `<a/>`) from `<enabled/>`/`<resumed/>` on, until the session takes over: Prosody asks
 * right after `<resumed/>` and its replayed backlog, often in the same read, before any session listens. Kept
 * for the session to take in order (XmppSession answers once the app has the stanzas counted).
 */
export function collectSmNonzas(entity: Client, sm: StreamManagement): { nonzas: Element[]; stop(): void } {
  const nonzas: Element[] = [];
  const listener = (element: Element) => {
    if (sm.enabled && element.getNS() === NS_SM && (element.name === 'r' || element.name === 'a')) nonzas.push(element);
  };
  entity.on('nonza', listener);
  return { nonzas, stop: () => entity.off('nonza', listener) };
}

/**
 * The stream offers XEP-0198. With a previous stream to resume: `<resume/>`; `<resumed/>` makes this
 * stream that one (no resource binding, `online` at once), `<failed/>` lets binding go on. Without one:
 * binding goes on, and enableSm follows it.
 */
export async function resumeOrBind(entity: Client, sm: StreamManagement, offer: { offered: boolean; resumed: boolean; resent: Element[] }, next: () => Promise<unknown>): Promise<unknown> {
  offer.offered = true;
  const request = sm.resumeRequest();
  if (!request) return next();
  // Taken in the listener itself: the server's backlog follows <resumed/> at once and must be counted.
  const answer = await smAnswer(entity, request, ['resumed', 'failed'], (element) => {
    if (element.name === 'failed') sm.onFailed(element); // the old stream is gone; what it carried is the outbox's to send again
    else {
      try {
        offer.resent = sm.onResumed(element).unacked;
        entity._jid(sm.jid!); // here, before the backlog that follows at once: collectStanzas takes stanzas from now on
      } catch (error) {
        // An impossible h: nothing of the old stream is believed; the next attempt starts afresh.
        sm.forget();
        throw Object.assign(new Error((error as Error).message), { code: 'ECONNRESET' });
      }
    }
  });
  if (answer.name === 'failed') return next();
  offer.resumed = true;
  entity._ready(false); // 'online': login is done
  return undefined;
}

export async function enableSm(entity: Client, sm: StreamManagement, jid: string): Promise<void> {
  await smAnswer(entity, sm.enableRequest(), ['enabled', 'failed'], (answer) => {
    if (answer.name === 'enabled') sm.onEnabled(answer, jid);
    else sm.forget(); // the stream goes on without
  });
}

/** Sends an SM request and waits for one of the answers named; `take` sees it before any element after it. */
function smAnswer(entity: Client, request: Element, names: string[], take: (answer: Element) => void): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(Object.assign(new Error('The server did not answer stream management.'), { name: 'TimeoutError' })), SM_STEP_TIMEOUT_MS);
    const listener = (element: Element) => {
      if (element.getNS() !== NS_SM || !names.includes(element.name)) return;
      try {
        take(element);
        done(undefined, element);
      } catch (error) {
        done(error);
      }
    };
    function done(error: unknown, element?: Element) {
      clearTimeout(timer);
      entity.off('nonza', listener);
      if (error) reject(error);
      else resolve(element!);
    }
    entity.on('nonza', listener);
    entity.send(request).catch((error: unknown) => done(error));
  });
}
