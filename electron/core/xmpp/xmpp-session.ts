/**
 * One signed-in XMPP stream: xmpp.js's connection, middleware, SASL and resource
 * binding, composed with our own transports and TLS guard instead of
 * `@xmpp/client`'s defaults. A session lives from login to disconnect; the
 * account's connection manager makes a new one for every (re)connect.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { LookupFunction } from 'node:net';
import { Client } from '@xmpp/client-core';
import xml, { type Element } from '@xmpp/xml';
import middlewareFactory from '@xmpp/middleware';
import streamFeaturesFactory from '@xmpp/stream-features';
import iqCallerFactory, { type IqCaller } from '@xmpp/iq/caller.js';
import iqCalleeFactory, { type IqCallee } from '@xmpp/iq/callee.js';
import resourceBinding from '@xmpp/resource-binding';
import { requireTls } from './require-tls.js';
import { saslLogin, type Mechanism } from './sasl-login.js';
import { transportsFor } from './secure-transport.js';
import type { TrustMode } from './tls-policy.js';
import type { Endpoint } from './resolve-endpoints.js';
import { classifyError, type ClassifiedError } from './errors.js';
import { discoInfo } from './stanzas.js';

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
}

/** Events: 'stanza' (Element), 'closed' (ClassifiedError | null: null when we closed it). */
export class XmppSession extends EventEmitter {
  private closedByUs = false;
  private closed = false;
  private keepaliveTimer: NodeJS.Timeout | null = null;
  /** Why we dropped the connection ourselves (an unanswered ping), reported when it closes. */
  private dropReason: unknown;
  /** The SASL mechanism the login used (SCRAM-SHA-256 where the server offers it). */
  mechanism: Mechanism | undefined;

  private constructor(
    private readonly entity: Client,
    readonly iq: IqCaller,
    /** Register handlers for requests from the server (roster pushes, …): `callee.set(ns, name, handler)`. */
    readonly callee: IqCallee,
    readonly jid: string,
    keepalive: { everyMs: number; timeoutMs: number },
  ) {
    super();
    this.scheduleKeepalive(keepalive);
    entity.on('stanza', (stanza: Element) => this.emit('stanza', stanza));
    entity.on('error', () => {
      /* an error after login is followed by 'disconnect', handled below */
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
    const entity = new Client({
      domain: options.domain,
      service: `${endpoint.directTls ? 'xmpps' : 'xmpp'}://${hostForUri(endpoint.host)}:${endpoint.port}`,
      timeout: step,
    });
    entity.transports.push(...transportsFor(options.domain, options.trust, options.hostLookup));

    const middleware = middlewareFactory({ entity });
    requireTls(middleware, options.trust); // before every other stream feature
    const streamFeatures = streamFeaturesFactory({ middleware });
    const iq = iqCallerFactory({ middleware, entity });
    const callee = iqCalleeFactory({ middleware, entity });
    callee.get('urn:xmpp:ping', 'ping', () => ({}));
    callee.get('http://jabber.org/protocol/disco#info', 'query', () => discoInfo());

    let mechanism: Mechanism | undefined;
    saslLogin(streamFeatures, { username: options.local, password: options.password }, (m) => (mechanism = m));
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
      const jid = await Promise.race([entity.start(), failed, timedOut]);
      const session = new XmppSession(entity, iq, callee, String(jid), options.keepalive ?? { everyMs: 60_000, timeoutMs: 20_000 });
      session.mechanism = mechanism;
      return session;
    } catch (error) {
      hardClose(entity);
      throw error;
    } finally {
      clearTimeout(timer);
      entity.off('error', onError);
      entity.off('disconnect', onDisconnect);
      failed.catch(() => undefined);
      timedOut.catch(() => undefined);
    }
  }

  send(stanza: Element): Promise<void> {
    if (this.closed) return Promise.reject(new Error('not connected'));
    return this.entity.send(stanza);
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
          this.dropReason = Object.assign(new Error('The server stopped answering.'), { code: 'ETIMEDOUT' });
          hardClose(this.entity);
        },
      );
    }, keepalive.everyMs);
    this.keepaliveTimer.unref?.();
  }

  private finish(reason: unknown): void {
    if (this.closed) return;
    this.closed = true;
    if (this.keepaliveTimer) clearTimeout(this.keepaliveTimer);
    reason = this.dropReason ?? reason;
    this.emit('closed', this.closedByUs ? null : classifyError(reason ?? Object.assign(new Error('The connection was lost.'), { code: 'ECONNRESET' })));
  }
}

function hardClose(entity: Client): void {
  const socket = entity.socket as { destroy?: () => void } | null;
  socket?.destroy?.();
}

function hostForUri(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
