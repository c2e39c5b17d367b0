/**
 * xmpp.js's client with the rules its data path does not enforce (RFC 6120 §5.4.3.3, §6.4.6):
 *
 * - Nothing from the unencrypted part of a stream is believed: a stanza there ends the login,
 *   and after `<proceed/>` not one more plaintext byte reaches a parser (they would otherwise
 *   be parsed as if they had come through TLS).
 * - Stanzas only on an encrypted stream opened after SASL success: a server has nothing to route
 *   to a client it has not authenticated.
 * - A stanza (or text between stanzas) may hold at most MAX_STANZA_BYTES unparsed, and a stanza at
 *   most MAX_STANZA_ELEMENTS elements MAX_STANZA_DEPTH deep: a hostile server or path cannot grow our
 *   memory without bound.
 *
 * Each violation ends the connection at once with a StreamViolation (errors.ts words it).
 */
import { StringDecoder } from 'node:string_decoder';
import { Client } from '@xmpp/client-core';
import { Parser, type Element } from '@xmpp/xml';

const NS_TLS = 'urn:ietf:params:xml:ns:xmpp-tls';
const NS_SASL = 'urn:ietf:params:xml:ns:xmpp-sasl';

/** Four times Prosody's default c2s_stanza_size_limit (256 KiB): room for a large roster, and a bound. */
export const MAX_STANZA_BYTES = 1024 * 1024;
/** Elements in one stanza (a roster of 20,000 contacts with a group each has 40,000): bounds the tree built from 1 MiB. */
export const MAX_STANZA_ELEMENTS = 65_536;
/** Nesting in one stanza (a forwarded carbon of a MAM result is about 8 deep): code that walks a tree recursively stays safe. */
export const MAX_STANZA_DEPTH = 64;
/** Data is parsed in slices of this size so that the limit is checked while a large read is parsed. */
const SLICE_BYTES = 16 * 1024;

export type ViolationKind = 'plaintext-stanza' | 'data-after-proceed' | 'unauthenticated-stanza' | 'stanza-too-large';

export class StreamViolation extends Error {
  constructor(readonly kind: ViolationKind) {
    super(kind);
    this.name = 'StreamViolation';
  }
}

/**
 * The stream's parser with bounds: a stanza's elements and nesting are limited (`onLimit` is told), text
 * between stanzas (whitespace keepalives) is not kept on the stream root forever, and it stops for good at
 * its first error or limit instead of throwing on what follows in the same read.
 */
export class StreamParser extends Parser {
  /** A stanza has more elements or levels than allowed; the parser has stopped. */
  onLimit: (() => void) | undefined;
  private stopped = false;
  private elements = 0;
  private depth = 0;

  constructor() {
    super();
    // Bad XML ends the stream (xmpp.js reports it); this listener also keeps a later error from throwing once xmpp.js stopped listening.
    this.on('error', () => this.stop());
  }

  stop(): void {
    this.stopped = true;
  }

  override write(data: string): void {
    if (!this.stopped) super.write(data);
  }

  override onStartElement(name: string, attrs: Record<string, string>): void {
    if (this.stopped) return;
    if (this.root) {
      if (this.cursor === this.root) this.elements = this.depth = 0; // a new stanza
      if (++this.elements > MAX_STANZA_ELEMENTS || ++this.depth > MAX_STANZA_DEPTH) {
        this.stop();
        return this.onLimit?.();
      }
    }
    super.onStartElement(name, attrs);
  }

  override onEndElement(name: string): void {
    if (this.stopped) return;
    if (!this.cursor) {
      this.emit('error', Object.assign(new Error(`</${name}> closes nothing.`), { name: 'XMLError' }));
      return;
    }
    if (this.depth > 0) this.depth--;
    super.onEndElement(name);
  }

  override onText(text: string): void {
    if (this.stopped || (this.cursor !== null && this.cursor === this.root)) return;
    super.onText(text);
  }
}

export class GuardedClient extends Client {
  /** The server said `<proceed/>`: the plaintext stream is over, only TLS may follow. */
  private plaintextOver = false;
  private saslSucceeded = false;
  /** This stream was opened (restarted) on TLS after SASL success: stanzas may come. */
  private authenticatedStream = false;
  /** Bytes handed to the parser since the last complete top-level element. */
  private unparsedBytes = 0;
  /** One per stream: a character split between two reads is decoded whole. */
  private decoder = new StringDecoder('utf8');
  private violated = false;

  override _attachParser(parser: Parser): void {
    this.authenticatedStream = this.isSecure() && this.saslSucceeded;
    this.unparsedBytes = 0;
    this.decoder = new StringDecoder('utf8');
    if (parser instanceof StreamParser) parser.onLimit = () => this.violation('stanza-too-large');
    super._attachParser(parser);
  }

  override _onData(data: Buffer): void {
    // After a violation, or after xmpp.js dropped the parser on bad XML, nothing more is parsed.
    if (this.violated || !this.parser) return;
    if (this.isSecure()) return this.feed(data);
    if (this.plaintextOver) return this.violation('data-after-proceed');
    // Tag by tag, so that the parser stops exactly at the end of `<proceed/>`; '>' never occurs inside a UTF-8 sequence.
    let start = 0;
    while (start < data.length) {
      const gt = data.indexOf(0x3e, start);
      const end = gt === -1 ? data.length : gt + 1;
      this.feed(data.subarray(start, end));
      start = end;
      if (this.violated || !this.parser) return;
      if (this.plaintextOver) {
        // Whatever came with `<proceed/>` was written by someone before TLS: never parsed.
        if (data.subarray(start).toString('latin1').trim() !== '') this.violation('data-after-proceed');
        return;
      }
    }
  }

  override _onElement(element: Element): void {
    if (this.violated) return;
    this.unparsedBytes = 0;
    if (this.isStanza(element)) {
      if (!this.isSecure()) return this.violation('plaintext-stanza');
      if (!this.authenticatedStream) return this.violation('unauthenticated-stanza');
    } else if (!this.isSecure()) {
      if (element.is('proceed', NS_TLS)) this.plaintextOver = true;
    } else if (element.is('success', NS_SASL)) {
      this.saslSucceeded = true; // sasl-login still checks the server's proof; only the stream after the restart counts
    }
    super._onElement(element);
  }

  private feed(data: Buffer): void {
    for (let at = 0; at < data.length; at += SLICE_BYTES) {
      const slice = data.subarray(at, at + SLICE_BYTES);
      this.unparsedBytes += slice.length;
      if (this.unparsedBytes > MAX_STANZA_BYTES) return this.violation('stanza-too-large');
      this.parser!.write(this.decoder.write(slice));
      if (this.violated || !this.parser) return;
    }
  }

  private violation(kind: ViolationKind): void {
    if (this.violated) return;
    this.violated = true;
    if (this.parser instanceof StreamParser) this.parser.stop(); // not one more element from what is left of this read
    this._detachParser();
    if (this.listenerCount('error') > 0) this.emit('error', new StreamViolation(kind)); // an unheard 'error' would throw
    (this.socket as { destroy?: () => void } | null)?.destroy?.();
  }
}
