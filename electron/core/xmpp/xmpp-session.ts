/**
 * One signed-in XMPP stream: xmpp.js's connection, middleware, SASL and resource
 * binding, composed with our own transports and TLS guard instead of
 * `@xmpp/client`'s defaults. A session lives from login to disconnect; the
 * account's connection manager makes a new one for every (re)connect.
 * Over 400 lines because stream management (XEP-0198) is part of the stream's own life here: counting, answering
 * the server's requests in every phase, resuming; its login steps are in sm-login.ts.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LookupFunction } from 'node:net';
import type { Client } from '@xmpp/client-core';
import xml, { type Element } from '@xmpp/xml';
import middlewareFactory from '@xmpp/middleware';
import streamFeaturesFactory from '@xmpp/stream-features';
import iqCallerFactory, { type IqCaller } from '@xmpp/iq/caller.js';
import iqCalleeFactory, { type IqCallee } from '@xmpp/iq/callee.js';
import resourceBinding from '@xmpp/resource-binding';
import { requireTls } from './require-tls.js';
import { GuardedClient, StreamViolation } from './guarded-client.js';
import { saslLogin, type Mechanism } from './sasl-login.js';
import { SecureSocket, transportsFor } from './secure-transport.js';
import type { TrustMode } from './tls-policy.js';
import type { Endpoint } from './resolve-endpoints.js';
import { classifyError, ClassifiedError } from './errors.js';
import { discoInfo } from './stanzas.js';
import { latencyProbe } from '../latency-probe.js';
import { NS_SM, SmProtocolError, type StreamManagement } from './stream-management.js';
import { collectSmNonzas, countStanzas, enableSm, resumeOrBind } from './sm-login.js';

export interface SessionOptions {
  /** Bare JID parts. */
  local: string;
  domain: string;
  password: string;
  trust: TrustMode;
  endpoints: Endpoint[];
  hostLookup?: LookupFunction;
  /** Per step of the login (connect, each stream round trip). */
  stepTimeoutMs?: number;
  /** The whole login. */
  loginTimeoutMs?: number;
  /**
   * How often an idle-or-not stream is checked with an XEP-0199 ping, and how long an
   * answer may take. A network that silently drops packets never closes the socket:
   * only an unanswered ping tells us the connection is gone.
   */
  keepalive?: { everyMs: number; timeoutMs: number };
  /**
   * XEP-0198 state kept across the sessions of one connection: enabled on a new stream, used to
   * resume the previous one. Absent: no stream management.
   */
  sm?: StreamManagement;
  /**
   * The server has a message we sent (its `<a h/>`, or — without stream management — the answer
   * to a ping sent after it: a server handles a stream's stanzas in order).
   */
  acked?: (stanza: Element) => void;
}

const NS_BIND = 'urn:ietf:params:xml:ns:xmpp-bind';

/**
 * A network that silently drops packets leaves the socket open: only an unanswered probe tells. Probing
 * every 10 s and giving up after 10 s more notices a dead connection within 20 s of its last sign of life
 * (a ping is a few dozen bytes; Prosody and ejabberd answer it without touching storage).
 */
export const DEFAULT_KEEPALIVE = { everyMs: 10_000, timeoutMs: 10_000 } as const;

/** Events: 'stanza' (Element, from start() on), 'closed' (ClassifiedError | null: null when we closed it). */
export class XmppSession extends EventEmitter {
  /** This stream is the previous one resumed (XEP-0198): presence, roster and server-side state carried over. */
  resumed = false;
  private ackRequestQueued = false;
  private answerQueued = false;
  /** The server asked (`<r/>`) before start(): answered once the app has the stanzas the answer counts. */
  private answerOnStart = false;
  /** Without stream management: messages sent since the last ping went out, waiting for its answer. */
  private unconfirmed: Element[] = [];
  private closedByUs = false;
  private closed = false;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /** Why we dropped the connection ourselves (an unanswered ping), reported when it closes. */
  private dropReason: unknown;
  /** Stanzas received before start(), oldest first; null once started. */
  private backlog: Element[] | null = null;
  /** The SASL mechanism the login used (SCRAM-SHA-256 where the server offers it). */
  mechanism: Mechanism | undefined;

  private constructor(
    private readonly entity: Client,
    readonly iq: IqCaller,
    /** Register handlers for requests from the server (roster pushes, …): `callee.set(ns, name, handler)`. */
    readonly callee: IqCallee,
    readonly jid: string,
    keepalive: { everyMs: number; timeoutMs: number },
    private readonly sm: StreamManagement | undefined,
    private readonly acked: ((stanza: Element) => void) | undefined,
    early: EarlyStanzas,
    earlySm: { nonzas: Element[]; stop(): void } | undefined,
  ) {
    super();
    this.scheduleKeepalive(keepalive);
    entity.on('nonza', (element: Element) => this.onNonza(element));
    // What arrived during login (a resumed stream's backlog comes at once) waits for start(): the
    // stream-management counter already counts it as handled, so the server forgets it — it must not
    // be emitted before the owner of the session listens (a timer raced the re-sending of our own stanzas).
    early.stop();
    this.backlog = early.stanzas;
    // The server's <r/>/<a/> that came during login (right after <resumed/>, maybe in the same read): taken now,
    // in order; an <r/> is answered at start(), when the app has the backlog its h counts.
    earlySm?.stop();
    for (const element of earlySm?.nonzas ?? []) this.onNonza(element);
    entity.on('stanza', (stanza: Element) => {
      latencyProbe.mark?.('stanza-parsed', stanza.attrs.id ?? '');
      if (this.backlog) this.backlog.push(stanza);
      else this.emit('stanza', stanza);
    });
    entity.on('error', (error: unknown) => {
      // An error after login is followed by 'disconnect', handled below; a violation of ours is why it closes.
      if (error instanceof StreamViolation) this.dropReason ??= error;
    });
    entity.on('disconnect', (info?: { clean?: boolean; reason?: unknown }) => this.finish(info?.reason));
    entity.on('close', () => {
      // The server closed its stream: end our side of the socket (once; 'disconnect' follows).
      if (!this.closedByUs) entity.socket?.end();
    });
  }

  /** Tries each endpoint in order; certificate, TLS and authentication errors end the attempt at once. */
  static async open(options: SessionOptions): Promise<XmppSession> {
    let last: ClassifiedError | undefined;
    for (const endpoint of options.endpoints) {
      try {
        return await XmppSession.openOne(options, endpoint);
      } catch (error) {
        last = classifyError(error);
        if (!last.tryNextEndpoint) throw last;
      }
    }
    throw last ?? classifyError(Object.assign(new Error('The server has no XMPP service.'), { code: 'ENOTFOUND' }));
  }

  private static async openOne(options: SessionOptions, endpoint: Endpoint): Promise<XmppSession> {
    const step = options.stepTimeoutMs ?? 10_000;
    const entity = new GuardedClient({
      domain: options.domain,
      service: `${endpoint.directTls ? 'xmpps' : 'xmpp'}://${hostForUri(endpoint.host)}:${endpoint.port}`,
      timeout: step,
    });
    entity.transports.push(...transportsFor(options.domain, options.trust, options.hostLookup));

    const middleware = middlewareFactory({ entity });
    requireTls(middleware, options.trust); // before every other stream feature
    const streamFeatures = streamFeaturesFactory({ middleware });
    const iq = iqCallerFactory({ middleware, entity });
    settleRepliesEarly(iq);
    const callee = iqCalleeFactory({ middleware, entity });
    callee.get('urn:xmpp:ping', 'ping', () => ({}));
    callee.get('http://jabber.org/protocol/disco#info', 'query', () => discoInfo());

    let mechanism: Mechanism | undefined;
    saslLogin(streamFeatures, { username: options.local, password: options.password }, (m) => (mechanism = m));
    // Before binding: a stream that can be resumed needs no new resource.
    const sm = options.sm;
    const smOffer = { offered: false, resumed: false, resent: [] as Element[] };
    if (sm) countStanzas(entity, sm);
    const early = collectStanzas(entity);
    const earlySm = sm ? collectSmNonzas(entity, sm) : undefined;
    if (sm) streamFeatures.use('sm', NS_SM, (ctx, next) => resumeOrBind(entity, sm, smOffer, next));
    resourceBinding({ streamFeatures, iqCaller: iq }, `klatsch-${randomBytes(4).toString('hex')}`);

    // Errors emitted before 'online' (TLS, SASL, stream errors) fail the login.
    let failure: ((e: unknown) => void) | undefined;
    const failed = new Promise<never>((_, reject) => (failure = reject));
    const onError = (e: unknown) => failure?.(e);
    const onDisconnect = () => failure?.(Object.assign(new Error('The server closed the connection.'), { code: 'ECONNRESET' }));
    entity.on('error', onError);
    entity.on('disconnect', onDisconnect);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('Signing in took too long.'), { name: 'TimeoutError' })), options.loginTimeoutMs ?? 30_000);
    });
    try {
      const jid = await Promise.race([startEntity(entity), failed, timedOut]);
      if (sm && !smOffer.offered) sm.forget(); // this server (now) has no stream management
      if (sm && smOffer.offered && !smOffer.resumed) await Promise.race([enableSm(entity, sm, String(jid)), failed, timedOut]);
      const session = new XmppSession(entity, iq, callee, String(jid), options.keepalive ?? DEFAULT_KEEPALIVE, sm?.enabled ? sm : undefined, options.acked, early, earlySm);
      session.mechanism = mechanism;
      session.resumed = smOffer.resumed;
      // What the server did not get before the connection dropped goes out again, in order, on the resumed stream.
      // Not awaited: writes complete at the end of this turn (write-coalescer.ts), and the session must reach its
      // owner before the backlog is handed on (setImmediate above). A failed write ends the stream ('closed').
      for (const stanza of smOffer.resent) session.send(stanza).catch(() => undefined);
      return session;
    } catch (error) {
      hardClose(entity);
      entity.on('error', () => undefined); // a login step still running reports into the void, not as an uncaught 'error'
      throw error;
    } finally {
      clearTimeout(timer);
      entity.off('error', onError);
      entity.off('disconnect', onDisconnect);
      failed.catch(() => undefined);
      timedOut.catch(() => undefined);
    }
  }

  /**
   * Hands on what arrived so far, in order, then every stanza as it comes. Call once the 'stanza'
   * listeners are attached: until then stanzas are kept, never dropped.
   */
  start(): void {
    const list = this.backlog;
    if (!list) return;
    this.backlog = null;
    for (const stanza of list) this.emit('stanza', stanza);
    if (this.answerOnStart) {
      this.answerOnStart = false;
      this.answerRequest();
    }
  }

  /**
   * Puts a stanza on the stream. `confirm` (default: every message) asks the server to acknowledge it
   * (`<r/>`, or a ping without stream management) and reports it through `acked`; a stanza nobody
   * waits for (a receipt, a chat state, OTR's own protocol messages) leaves it out, so that it adds
   * no round trip. Its acknowledgement still comes with the next one (XEP-0198 counts every stanza).
   */
  send(stanza: Element, options: { confirm?: boolean } = {}): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    latencyProbe.mark?.('stanza-queued', stanza.attrs.id ?? '');
    const sent = this.entity.send(stanza);
    if (options.confirm ?? stanza.name === 'message') this.confirmSoon(stanza);
    return sent;
  }

  /** Asks the server, once per burst of messages, to say what it has (XEP-0198 `<r/>`, or a ping without it). */
  private confirmSoon(stanza: Element): void {
    if (!this.sm) {
      if (!this.acked) return;
      this.unconfirmed.push(stanza);
    }
    if (this.ackRequestQueued) return;
    this.ackRequestQueued = true;
    // Last in the write that carries the burst: one segment, and the server answers at once.
    lastInBatch(this.entity, () => {
      this.ackRequestQueued = false;
      // Closing: the batch may end with our </stream:stream>, and nothing may follow it.
      if (this.closed || this.closedByUs) return;
      if (this.sm) {
        this.entity.send(this.sm.request()).catch(() => undefined);
        return;
      }
      // The answer to a ping proves the server handled everything sent before it (RFC 6120 §10.1: in order).
      const batch = this.unconfirmed.splice(0);
      const ping = xml('iq', { type: 'get', to: this.entity.options.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
      this.iq.request(ping).then(
        () => batch.forEach((m) => this.acked?.(m)),
        (error: { name?: string }) => {
          // An error reply is an answer too; silence or a lost connection leaves them unconfirmed (the outbox sends them again).
          if (error?.name === 'StanzaError') batch.forEach((m) => this.acked?.(m));
        },
      );
    });
  }

  /** XEP-0198 nonzas on an established stream: answer requests, take acknowledgements. */
  private onNonza(element: Element): void {
    const sm = this.sm;
    if (!sm || element.getNS() !== NS_SM) return;
    if (element.name === 'r') {
      this.answerRequest();
    } else if (element.name === 'a') {
      try {
        sm.onAck(element);
      } catch (error) {
        // A server that acknowledges what it never got cannot be trusted with resumption: start afresh.
        sm.forget();
        this.dropReason = Object.assign(new Error((error as SmProtocolError).message), { code: 'ECONNRESET' });
        hardClose(this.entity);
      }
    }
  }

  /** Answers the server's `<r/>` with what the app has taken (a stanza counts as handled once it has it). */
  private answerRequest(): void {
    const sm = this.sm;
    if (!sm) return;
    if (this.backlog) {
      this.answerOnStart = true; // the backlog is counted but not handed on yet
      return;
    }
    if (this.answerQueued) return;
    this.answerQueued = true;
    // With what we write in answer to the same data (a receipt): one write, and h counts it all.
    lastInBatch(this.entity, () => {
      this.answerQueued = false;
      if (!this.closed && !this.closedByUs) this.entity.send(sm.answer()).catch(() => undefined);
    });
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Closes the stream politely, then the socket; never waits longer than the step timeout. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closedByUs = true;
    try {
      await this.entity.stop();
    } catch {
      hardClose(this.entity);
    }
    this.finish(undefined);
  }

  private scheduleKeepalive(keepalive: { everyMs: number; timeoutMs: number }): void {
    if (this.closed) return;
    this.keepaliveTimer = setTimeout(() => {
      const ping = xml('iq', { type: 'get', to: this.entity.options.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
      this.iq.request(ping, keepalive.timeoutMs).then(
        () => this.scheduleKeepalive(keepalive),
        (error: { name?: string }) => {
          // An error reply still proves the server is there; only silence means the connection is gone.
          if (error?.name !== 'TimeoutError') return this.scheduleKeepalive(keepalive);
          const seconds = Math.max(1, Math.round(keepalive.timeoutMs / 1000));
          this.dropReason = new ClassifiedError(
            { code: 'connection-lost', message: `The server stopped answering (no reply within ${seconds} s).` },
            true,
            true,
          );
          hardClose(this.entity);
        },
      );
    }, keepalive.everyMs);
    this.keepaliveTimer.unref?.();
  }

  private finish(reason: unknown): void {
    if (this.closed) return;
    this.closed = true;
    // A stream we closed ourselves is over for the server too; one that dropped may be resumed.
    if (this.closedByUs) this.sm?.forget();
    else this.sm?.streamEnded();
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    reason = this.dropReason ?? reason;
    this.emit('closed', this.closedByUs ? null : classifyError(reason ?? Object.assign(new Error('The connection was lost.'), { code: 'ECONNRESET' })));
  }
}

interface EarlyStanzas {
  stanzas: Element[];
  stop(): void;
}

/**
 * Stanzas for the app, from the moment the stream has our JID: resource bound, or the previous stream resumed.
 * Before that (GuardedClient allows stanzas only after SASL success on TLS) they serve the login alone.
 */
function collectStanzas(entity: Client): EarlyStanzas {
  const stanzas: Element[] = [];
  let bound = false;
  const listener = (stanza: Element) => {
    if (bound || entity.jid) stanzas.push(stanza);
    // The bind result is the login's; what follows it (maybe in the same read, before the JID is set) is the app's.
    else if (stanza.is('iq') && stanza.attrs.type === 'result' && stanza.getChild('bind', NS_BIND)) bound = true;
  };
  entity.on('stanza', listener);
  return { stanzas, stop: () => entity.off('stanza', listener) };
}

/**
 * xmpp.js's start() (connect, open the stream, wait for 'online'), except that the wait for 'online' is
 * handled also when opening fails: xmpp.js leaves it pending, and the next socket error (a reset during
 * login) rejected it unhandled — which ends a Node process.
 */
async function startEntity(entity: Client): Promise<unknown> {
  const { service, domain, lang } = entity.options;
  await entity.connect(service);
  let stop = () => {};
  const online = new Promise((resolve, reject) => {
    entity.once('online', resolve);
    entity.once('error', reject);
    stop = () => {
      entity.off('online', resolve);
      entity.off('error', reject);
    };
  });
  online.catch(() => undefined);
  try {
    await entity.open({ domain, ...(lang ? { lang } : {}) });
    return await online;
  } finally {
    stop();
  }
}

/**
 * xmpp.js's IQCaller awaits the request's socket write before it awaits the reply. With our coalesced,
 * no-delay writes an error reply can arrive first: its promise rejects with nothing listening yet
 * (an unhandled rejection that Node reports, or that ends a process run with --unhandled-rejections=strict).
 * The caller still gets the rejection when it awaits the reply; this only marks it as expected.
 */
function settleRepliesEarly(iq: IqCaller): void {
  const handlers = (iq as unknown as { handlers?: Map<string, { promise: Promise<unknown> }> }).handlers;
  if (!(handlers instanceof Map)) return;
  const set = handlers.set.bind(handlers);
  handlers.set = (id, deferred) => {
    deferred.promise.catch(() => undefined);
    return set(id, deferred);
  };
}

/** Runs `last` as the socket's coalesced write of this turn goes out (write-coalescer.ts); on any other socket, after this turn. */
function lastInBatch(entity: Client, last: () => void): void {
  const socket = entity.socket as unknown;
  if (socket instanceof SecureSocket) socket.writes.beforeFlush(last);
  else setImmediate(last);
}

function hardClose(entity: Client): void {
  const socket = entity.socket as { destroy?: () => void } | null;
  socket?.destroy?.();
}

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
