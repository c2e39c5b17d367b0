/**
 * Keeps one account connected: logs in, reports every state change, and after
 * a transient failure (network loss, server restart) tries again with
 * exponential backoff and jitter. Failures that need the user (wrong password,
 * untrusted certificate, no TLS) stop it until the user acts.
 */
import { EventEmitter } from 'node:events';
import type { LookupFunction } from 'node:net';
import type { ConnectionState } from '../../../shared/contract.js';
import { backoffDelay } from './backoff.js';
import { atSignIn, classifyError, ClassifiedError } from './errors.js';
import { lookupsVia, resolveEndpoints, type Endpoint, type EndpointOverride, type SrvLookup } from './resolve-endpoints.js';
import type { TrustMode } from './tls-policy.js';
import { XmppSession } from './xmpp-session.js';
import { StreamManagement } from './stream-management.js';
import type { Element } from '@xmpp/xml';

export interface ConnectionTarget {
  local: string;
  domain: string;
  override: EndpointOverride;
  trust: TrustMode;
}

export interface ConnectionManagerOptions {
  /** Read again before every attempt: the user may have pinned a certificate meanwhile. */
  target: () => ConnectionTarget;
  lookup?: SrvLookup;
  hostLookup?: LookupFunction;
  /**
   * DNS servers to ask instead of the system's, for SRV records and addresses alike ("127.0.0.1:5353").
   * Tests and the development host only (a DNS server of their own on loopback); Electron's main never sets it.
   */
  dnsServers?: string[];
  random?: () => number;
  now?: () => number;
  backoff?: { baseMs?: number; maxMs?: number };
  stepTimeoutMs?: number;
  loginTimeoutMs?: number;
  keepalive?: { everyMs: number; timeoutMs: number };
  /** XEP-0198 stream management where the server has it (default true; false: only the ping fallback). */
  streamManagement?: boolean;
}

/**
 * Events: 'state' (ConnectionState), 'session' (XmppSession, on every successful login; `resumed`
 * when it continues the stream before), 'refused' (ClassifiedError, when a certificate was refused;
 * carries its PEM for pinning), 'acked' (Element: the server has this stanza of ours, possibly
 * confirmed only on a later, resumed stream).
 */
export class ConnectionManager extends EventEmitter {
  private session: XmppSession | null = null;
  private password: string | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  /** Increases on every connect()/disconnect() so that stale attempts cannot win. */
  private generation = 0;
  private current: ConnectionState = { kind: 'offline' };
  /** XEP-0198 across this account's streams (one stream resumes the one before). */
  private readonly sm: StreamManagement | undefined;

  constructor(private readonly options: ConnectionManagerOptions) {
    super();
    if (options.dnsServers) this.options = { ...lookupsVia(options.dnsServers), ...options };
    if (options.streamManagement !== false) this.sm = new StreamManagement({ acked: (stanza) => this.emit('acked', stanza) });
  }

  /** Whether the next stream may resume the last one (the server still holds its session). */
  get canResume(): boolean {
    return this.sm?.canResume ?? false;
  }

  get state(): ConnectionState {
    return this.current;
  }

  get activeSession(): XmppSession | null {
    return this.session?.isOpen ? this.session : null;
  }

  /**
   * Logs in now. Resolves when online; rejects with the ClassifiedError of the first
   * attempt (reconnecting by itself afterwards if the error is transient and `keepTrying`).
   */
  async connect(password: string, keepTrying = true): Promise<XmppSession> {
    this.stopRetrying();
    const generation = ++this.generation;
    this.password = password;
    this.attempt = 0;
    await this.closeSession();
    try {
      return await this.attemptLogin(generation);
    } catch (error) {
      const classified = classifyError(error);
      if (generation === this.generation) {
        if (classified.transient && keepTrying) this.scheduleRetry(generation, classified);
        else this.fail(classified);
      }
      throw classified;
    }
  }

  /** Signs in again with the password of the last sign-in, while it is still in memory. False if there is none. */
  retry(): boolean {
    if (this.password === null) return false;
    this.connect(this.password).catch(() => undefined);
    return true;
  }

  async disconnect(): Promise<void> {
    this.generation++;
    this.stopRetrying();
    this.password = null;
    this.sm?.forget(); // signed out: the next sign-in is a new stream, never a resumed one
    await this.closeSession();
    this.setState({ kind: 'offline' });
  }

  private async attemptLogin(generation: number): Promise<XmppSession> {
    const target = this.options.target();
    const password = this.password;
    if (password === null) throw new ClassifiedError({ code: 'auth-failed', message: 'A password is needed.' }, false, false);
    this.setState({ kind: 'connecting' });
    let endpoints: Endpoint[] = [];
    let session: XmppSession;
    try {
      endpoints = await resolveEndpoints(target.domain, target.override, this.options.lookup, this.options.random);
      session = await this.open(target, password, endpoints);
    } catch (error) {
      throw atSignIn(classifyError(error), target.domain, endpoints.map((e) => `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`));
    }
    if (generation !== this.generation) {
      await session.close();
      throw new ClassifiedError({ code: 'connection-lost', message: 'Superseded by a newer sign-in.' }, false, false);
    }
    this.session = session;
    this.attempt = 0;
    session.on('closed', (reason: ClassifiedError | null) => {
      if (this.session !== session) return;
      this.session = null;
      if (reason === null || generation !== this.generation) return;
      if (reason.transient) this.scheduleRetry(generation, reason);
      else this.fail(reason);
    });
    this.setState({ kind: 'online', jid: session.jid });
    this.emit('session', session);
    // Every listener is attached now (synchronously, in 'session'): stanzas flow, the resumed backlog first.
    session.start();
    return session;
  }

  private open(target: ConnectionTarget, password: string, endpoints: Endpoint[]): Promise<XmppSession> {
    return XmppSession.open({
      local: target.local,
      domain: target.domain,
      password,
      trust: target.trust,
      endpoints,
      ...(this.options.hostLookup ? { hostLookup: this.options.hostLookup } : {}),
      ...(this.options.stepTimeoutMs ? { stepTimeoutMs: this.options.stepTimeoutMs } : {}),
      ...(this.options.loginTimeoutMs ? { loginTimeoutMs: this.options.loginTimeoutMs } : {}),
      ...(this.options.keepalive ? { keepalive: this.options.keepalive } : {}),
      ...(this.sm ? { sm: this.sm } : {}),
      acked: (stanza: Element) => this.emit('acked', stanza),
    });
  }

  private scheduleRetry(generation: number, reason: ClassifiedError): void {
    this.stopRetrying();
    const delay = backoffDelay(this.attempt, { ...this.options.backoff, ...(this.options.random ? { random: this.options.random } : {}) });
    this.attempt++;
    const now = this.options.now?.() ?? Date.now();
    this.setState({ kind: 'reconnecting', retryAt: now + delay, attempt: this.attempt, reason: reason.appError.message, reasonCode: reason.appError.code });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (generation !== this.generation) return;
      this.attemptLogin(generation).catch((error: unknown) => {
        if (generation !== this.generation) return;
        const classified = classifyError(error);
        if (classified.transient) this.scheduleRetry(generation, classified);
        else this.fail(classified);
      });
    }, delay);
  }

  private fail(error: ClassifiedError): void {
    if (error.appError.code === 'untrusted-certificate' || error.appError.code === 'certificate-changed') this.emit('refused', error);
    this.setState({ kind: 'error', error: error.appError });
  }

  private stopRetrying(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async closeSession(): Promise<void> {
    const session = this.session;
    this.session = null;
    await session?.close();
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.emit('state', state);
  }
}
