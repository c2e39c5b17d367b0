/**
 * XEP-0198 Stream Management, as a state machine without I/O: it counts the
 * stanzas handled in both directions, keeps the ones the server has not
 * acknowledged yet, and says what to send to enable, answer, request and
 * resume. One instance lives as long as an account's connection manager, so
 * that a new stream can resume the old one (`<resume previd h>`) and what the
 * server never got goes out again.
 *
 * Counters are modulo 2^32 (XEP-0198 §4). An acknowledgement that claims more
 * than we sent is an error of the server: nothing is taken as acknowledged by
 * it, and the stream management state is dropped (`SmProtocolError`).
 */
import xml, { type Element } from '@xmpp/xml';

export const NS_SM = 'urn:xmpp:sm:3';
const MOD = 2 ** 32;

/** The server broke XEP-0198 (an impossible `h`): the stream must end; nothing it "acknowledged" is believed. */
export class SmProtocolError extends Error {
  readonly code = 'sm-protocol-error';
}

export interface StreamManagementDeps {
  /** The server now has `stanza` (called in the order the stanzas were sent, once each). */
  acked(stanza: Element): void;
}

/** What a `<failed/>` or `<resumed/>` left to do. */
export interface ResumeOutcome {
  /** Stanzas the server did not acknowledge, oldest first. After `resumed`: send them again now. */
  unacked: Element[];
}

export class StreamManagement {
  /** Acknowledgements are counted on the current stream (between `<enabled/>` or `<resumed/>` and its end). */
  private active = false;
  private resumeId: string | undefined;
  private boundJid: string | undefined;
  /** Stanzas received on the managed stream, mod 2^32: what our `<a h>` says. */
  private inbound = 0;
  /** The server's last `h`: stanzas of ours it has handled, mod 2^32. */
  private outboundAcked = 0;
  /** Sent since enable, not yet acknowledged, oldest first. */
  private unacked: Element[] = [];

  constructor(private readonly deps: StreamManagementDeps) {}

  /** True while the current stream is managed. */
  get enabled(): boolean {
    return this.active;
  }

  /** A previous stream can be asked for: the server gave it a resumption id. */
  get canResume(): boolean {
    return this.resumeId !== undefined && this.boundJid !== undefined;
  }

  /** The full JID of the stream to resume (a resumed stream binds no resource). */
  get jid(): string | undefined {
    return this.boundJid;
  }

  get pending(): number {
    return this.unacked.length;
  }

  /** Stanzas handled from the server, as our acknowledgement says it. */
  get handled(): number {
    return this.inbound;
  }

  enableRequest(): Element {
    return xml('enable', { xmlns: NS_SM, resume: 'true' });
  }

  /**
   * The server enabled stream management on a newly bound stream (`jid`). Counting starts at 0 on
   * both sides; anything of an earlier stream is not this stream's business any more.
   */
  onEnabled(element: Element, jid: string): void {
    const resume = element.attrs.resume === 'true' || element.attrs.resume === '1';
    const id = element.attrs.id;
    this.resumeId = resume && id && id.length <= 1024 ? id : undefined;
    this.boundJid = jid;
    this.inbound = 0;
    this.outboundAcked = 0;
    this.unacked = [];
    this.active = true;
  }

  /** `<resume/>` for the previous stream, or undefined if it cannot be resumed. */
  resumeRequest(): Element | undefined {
    if (!this.canResume) return undefined;
    return xml('resume', { xmlns: NS_SM, previd: this.resumeId, h: String(this.inbound) });
  }

  /** The server resumed the previous stream: what it did not get must be sent again (in order). */
  onResumed(element: Element): ResumeOutcome {
    this.ack(element.attrs.h);
    this.active = true;
    // Sending them again counts them again, on the resumed stream.
    return { unacked: this.unacked.splice(0) };
  }

  /**
   * `<failed/>` to a resume or an enable: the old stream is gone. Its `h` (XEP-0198 §5, when given)
   * still tells what reached the server. Returns the rest, for the caller to recover.
   */
  onFailed(element: Element): ResumeOutcome {
    if (element.attrs.h !== undefined) {
      try {
        this.ack(element.attrs.h);
      } catch {
        // A nonsense h on a stream that is gone anyway: everything stays unacknowledged.
      }
    }
    return this.forget();
  }

  /** Forgets everything (resumption impossible or unwanted); returns what was never acknowledged. */
  forget(): ResumeOutcome {
    const unacked = this.unacked.splice(0);
    this.active = false;
    this.resumeId = undefined;
    this.boundJid = undefined;
    this.inbound = 0;
    this.outboundAcked = 0;
    return { unacked };
  }

  /** The transport ended: nothing more is counted until the stream is resumed or replaced. */
  streamEnded(): void {
    this.active = false;
  }

  /** A stanza (iq, message, presence) arrived on the managed stream. */
  received(): void {
    if (this.active) this.inbound = (this.inbound + 1) % MOD;
  }

  /** A stanza is going out on the managed stream. */
  sent(stanza: Element): void {
    if (this.active) this.unacked.push(stanza);
  }

  /** The answer to the server's `<r/>`. */
  answer(): Element {
    return xml('a', { xmlns: NS_SM, h: String(this.inbound) });
  }

  request(): Element {
    return xml('r', { xmlns: NS_SM });
  }

  /** The server's `<a h/>`. Throws SmProtocolError for an `h` that cannot be (nothing is acknowledged then). */
  onAck(element: Element): void {
    this.ack(element.attrs.h);
  }

  private ack(h: string | undefined): void {
    if (h === undefined || !/^\d{1,10}$/.test(h) || Number(h) >= MOD) throw new SmProtocolError(`The server acknowledged "${String(h).slice(0, 20)}" stanzas.`);
    const value = Number(h);
    const newly = (value - this.outboundAcked + MOD) % MOD;
    if (newly > this.unacked.length) {
      throw new SmProtocolError(`The server acknowledged ${newly} stanzas, but only ${this.unacked.length} were waiting.`);
    }
    this.outboundAcked = value;
    for (const stanza of this.unacked.splice(0, newly)) this.deps.acked(stanza);
  }
}

/** Is this element one of the three stanzas XEP-0198 counts (not a nonza such as `<r/>`)? */
export function isStanza(element: Element): boolean {
  return element.name === 'message' || element.name === 'presence' || element.name === 'iq';
}
