/**
 * xmpp.js's client with the rules its data path does not enforce (RFC 6120 §5.4.3.3, §6.4.6):
 *
 * - Nothing from the unencrypted part of a stream is believed: a stanza there ends the login,
 *   and after `<proceed/>` not one more plaintext byte reaches a parser (they would otherwise
 *   be parsed as if they had come through TLS).
 * - Stanzas only on an encrypted stream opened after SASL success: a server has nothing to route
 *   to a client it has not authenticated.
 * - A stanza (or text between stanzas) may hold at most MAX_STANZA_BYTES unparsed: a hostile
 *   server or path cannot grow our memory without bound.
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
/** Data is parsed in slices of this size so that the limit is checked while a large read is parsed. */
const SLICE_BYTES = 16 * 1024;

export type ViolationKind = 'plaintext-stanza' | 'data-after-proceed' | 'unauthenticated-stanza' | 'stanza-too-large';

export class StreamViolation extends Error {
  constructor(readonly kind: ViolationKind) {
    super(kind);
    this.name = 'StreamViolation';
  }
}

/** The stream's parser, minus the one thing it keeps forever: text between stanzas (whitespace keepalives) appended to the stream root. */
export class StreamParser extends Parser {
  override onText(text: string): void {
    if (this.cursor !== null && this.cursor === this.root) return;
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
    this._detachParser();
    if (this.listenerCount('error') > 0) this.emit('error', new StreamViolation(kind)); // an unheard 'error' would throw
    (this.socket as { destroy?: () => void } | null)?.destroy?.();
  }
}
