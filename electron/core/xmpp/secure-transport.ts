/**
 * The sockets under our XMPP streams. xmpp.js's own TLS and STARTTLS steps call
 * `tls.connect` with only a host: no trust anchors of ours, no pinning, and
 * STARTTLS is optional there. These replace them so that every TLS handshake
 * goes through `tlsOptions()` and a certificate refusal comes back explained.
 */
import net from 'node:net';
import tls from 'node:tls';
import { EventEmitter } from 'node:events';
import ConnectionTCP from '@xmpp/connection-tcp';
import { capturePeerCertificate, explainCertificateFailure, tlsOptions, withSharedContext, type TrustMode } from './tls-policy.js';
import { StreamParser } from './guarded-client.js';
import { WriteCoalescer } from './write-coalescer.js';
import { ReadPacer } from './read-pacer.js';
import { latencyProbe } from '../latency-probe.js';

export interface SocketParameters {
  host: string;
  port: number;
  /** Name resolution for `host` (tests resolve only their own names, never asking real DNS). */
  lookup?: net.LookupFunction;
}

const STREAM_FOOTER = '</stream:stream>';

/**
 * A TLS socket with the interface xmpp.js expects of `entity.socket`. Chat is small writes that
 * each wait for an answer: the socket sends at once (TCP_NODELAY), and the writes of one
 * event-loop turn go out together (write-coalescer.ts says why both). What it reads is handed on a
 * slice per turn while more waits, so that a burst never stalls the main process (read-pacer.ts).
 */
export class SecureSocket extends EventEmitter {
  readonly secure = true;
  private socket: tls.TLSSocket | null = null;
  /** Writes of this turn, written together; `beforeFlush` adds the last element of a batch. */
  readonly writes = new WriteCoalescer(() => this.socket);
  /** Reads handed on to the stream's parser; close and error wait behind them. */
  private readonly reads = new ReadPacer(
    (slice) => this.emit('data', slice),
    () => this.socket,
  );
  /** `</stream:stream>` was written: the stream is over, whatever the socket still does. */
  private streamClosed = false;

  constructor(
    private readonly domain: string,
    private readonly trust: TrustMode,
  ) {
    super();
  }

  /** Direct TLS (XEP-0368): a new TCP connection that starts with a handshake. */
  connect(params: SocketParameters): void {
    this.attach(tls.connect({ ...withSharedContext(tlsOptions(this.domain, this.trust)), ...params }));
  }

  /** STARTTLS: upgrade the plain socket the stream started on. */
  upgrade(plain: net.Socket): void {
    plain.setNoDelay(true);
    this.attach(tls.connect({ ...withSharedContext(tlsOptions(this.domain, this.trust)), socket: plain }));
  }

  private attach(socket: tls.TLSSocket): void {
    this.socket = socket;
    // Without it, a small write waits up to the peer's delayed ACK (~40 ms) behind the one before.
    socket.setNoDelay(true);
    const presented = capturePeerCertificate(socket);
    socket.on('secureConnect', () => this.emit('connect'));
    socket.on('data', (data: Buffer) => {
      latencyProbe.mark?.('socket-read', data);
      this.reads.data(data);
    });
    socket.on('close', () => {
      this.socket = null;
      this.reads.after(() => this.emit('close'));
    });
    socket.on('error', (error: Error) => {
      const explained = explainCertificateFailure(error, this.trust, presented()) ?? error;
      this.reads.after(() => this.emit('error', explained));
    });
  }

  end(): void {
    this.writes.flush(); // the closing </stream:stream> is written in the same turn
    this.socket?.end();
  }

  destroy(): void {
    this.reads.discard();
    this.writes.discard(new Error('socket is closed'));
    this.socket?.destroy();
  }

  write(data: string, callback?: (error?: Error | null) => void): void {
    if (!this.socket || this.streamClosed) {
      callback?.(new Error('socket is closed'));
      return;
    }
    // Our stream's end (xmpp.js writes the footer alone): nothing may follow it (RFC 6120 §4.4), not even what
    // else this turn writes later (a server that reads data after it may keep the session for resumption).
    if (data === STREAM_FOOTER) this.streamClosed = true;
    this.writes.write(data, callback);
    if (this.streamClosed) this.writes.flush(); // at once, as xmpp.js expects of a close
  }
}

/** A plain TCP socket: only ever used to open a stream that must upgrade with STARTTLS. */
export class PlainSocket extends net.Socket {
  readonly secure = false;

  constructor(options?: net.SocketConstructorOpts) {
    super(options);
    // Applied once connected; the TLS socket on top of it keeps it (see SecureSocket).
    this.setNoDelay(true);
  }
}

/**
 * Transport classes for one account's trust settings. xmpp.js picks a transport
 * by the service URI (`xmpp://` STARTTLS, `xmpps://` direct TLS) and creates its
 * socket with `new Socket()`, so the trust is bound into the class here.
 */
export function transportsFor(domain: string, trust: TrustMode, lookup?: net.LookupFunction): unknown[] {
  const withLookup = (params: SocketParameters | undefined) => (params && lookup ? { ...params, lookup } : params);
  class StartTlsTransport extends ConnectionTCP {
    override socketParameters(service: string): SocketParameters | undefined {
      return withLookup(parseService(service, 'xmpp:'));
    }
  }
  (StartTlsTransport.prototype as unknown as { Socket: unknown }).Socket = PlainSocket;

  class BoundSecureSocket extends SecureSocket {
    constructor() {
      super(domain, trust);
    }
  }
  class DirectTlsTransport extends ConnectionTCP {
    override socketParameters(service: string): SocketParameters | undefined {
      return withLookup(parseService(service, 'xmpps:'));
    }
  }
  (DirectTlsTransport.prototype as unknown as { Socket: unknown }).Socket = BoundSecureSocket;
  (DirectTlsTransport.prototype as unknown as { NS: string }).NS = 'jabber:client';
  (StartTlsTransport.prototype as unknown as { NS: string }).NS = 'jabber:client';
  for (const transport of [StartTlsTransport, DirectTlsTransport]) (transport.prototype as unknown as { Parser: unknown }).Parser = StreamParser;
  return [StartTlsTransport, DirectTlsTransport];
}

/** `xmpp://host:port` or `xmpps://host:port`; IPv6 hosts in brackets. */
export function parseService(service: string, protocol: 'xmpp:' | 'xmpps:'): SocketParameters | undefined {
  let url: URL;
  try {
    url = new URL(service);
  } catch {
    return undefined;
  }
  if (url.protocol !== protocol || !url.hostname || !url.port) return undefined;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) };
}
