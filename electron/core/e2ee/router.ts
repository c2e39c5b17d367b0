/**
 * The router between an account and its end-to-end encryption providers (provider.ts): it picks the
 * provider of each conversation, hands every stanza a provider claims to that provider (live messages,
 * carbons, archive copies), and passes presence, stream and timer events to all of them. It knows no
 * scheme: nothing here (or in the account) recognises a scheme's wire format.
 *
 * Which provider a conversation uses: the one already engaged in it (private, ending, messages held
 * for it), else the one the user started there, else the first the policy allows (registration order
 * is the preference).
 */
import type { Element } from '@xmpp/xml';
import { bareJid } from '../values/jid.js';
import { TICK_MS, type E2eeHost, type E2eeProvider, type GroupEncryption, type E2eeScheme, type E2eeView, type EncryptedCopy, type SendOptions, type StanzaInfo } from './provider.js';
import { KlatschError } from '../errors.js';

/** Makes one provider for an account, given what the account offers every provider. */
export type E2eeProviderFactory = (host: E2eeHost) => E2eeProvider;

/** What a copy (carbon or archive) of an encrypted message turned out to be. */
export type CopyReading =
  /** Not a scheme's traffic: plaintext, shown as it is (`text` without any scheme's markers). */
  | { kind: 'plaintext'; text: string }
  /** A scheme's traffic that was decrypted here. */
  | { kind: 'decrypted'; scheme: E2eeScheme; text: string }
  /** A scheme's traffic this device cannot read (OTR: only the device that had the conversation). */
  | { kind: 'unreadable'; scheme: E2eeScheme }
  /** A scheme's protocol traffic with nothing to show (a key exchange, an empty payload). */
  | { kind: 'nothing'; scheme: E2eeScheme };

export interface E2eeRouterOptions {
  /** The schemes the administrator allows, in the order of preference; absent: every registered one. */
  allowedSchemes?: () => readonly E2eeScheme[] | undefined;
}

export class E2eeRouter {
  private readonly providers: E2eeProvider[];
  /** The scheme the user started in a conversation (by bare JID), while no provider is engaged there. */
  private readonly chosen = new Map<string, E2eeScheme>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly host: E2eeHost,
    factories: readonly E2eeProviderFactory[],
    private readonly options: E2eeRouterOptions = {},
  ) {
    this.providers = factories.map((make) => make(host));
    const schemes = new Set<string>();
    for (const p of this.providers) {
      if (schemes.has(p.scheme)) throw new Error(`Two providers for the scheme ${p.scheme}.`);
      schemes.add(p.scheme);
    }
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  /** The provider of `scheme`, for the requests only that scheme has (OTR's SMP); undefined if none is registered. */
  provider<P extends E2eeProvider = E2eeProvider>(scheme: E2eeScheme): P | undefined {
    return this.providers.find((p) => p.scheme === scheme) as P | undefined;
  }

  get schemes(): E2eeScheme[] {
    return this.providers.map((p) => p.scheme);
  }

  /** The providers the policy allows, in the order of preference. */
  private allowed(): E2eeProvider[] {
    const names = this.options.allowedSchemes?.();
    if (!names) return this.providers;
    return names.flatMap((name) => this.providers.filter((p) => p.scheme === name));
  }

  /** The provider the conversation with `peer` goes through; undefined when no scheme is registered or allowed. */
  forPeer(peer: string): E2eeProvider | undefined {
    // Engaged first, even if the policy changed meanwhile: it ends the conversation its own way.
    const engaged = this.providers.find((p) => p.engaged(peer));
    if (engaged) return engaged;
    const allowed = this.allowed();
    const chosen = this.chosen.get(peer);
    // Else the first scheme that can take it (OMEMO when the contact announced devices, else OTR).
    return allowed.find((p) => p.scheme === chosen) ?? allowed.find((p) => p.offers?.(peer) ?? true) ?? allowed[0];
  }

  /** The scheme that encrypts group chats (the first allowed one that can); undefined: rooms stay plaintext. */
  groupScheme(): GroupEncryption | undefined {
    return this.allowed().find((p): p is E2eeProvider & GroupEncryption => 'encryptGroup' in p && 'decryptGroup' in p);
  }

  /** The provider whose traffic `message` is. */
  claimant(message: Element): E2eeProvider | undefined {
    return this.providers.find((p) => p.claims(message));
  }

  /**
   * A live message from `from` (a full JID): to the provider that claims it, else (plaintext) to the
   * conversation's provider, which decides what it shows; without any, it shows as it is.
   */
  receive(from: string, info: StanzaInfo, message: Element, body: string | undefined): Promise<void> {
    const peer = bareJid(from);
    if (!peer) return Promise.resolve();
    const provider = this.claimant(message) ?? this.forPeer(peer);
    if (provider) return provider.receive(from, info, message, body);
    if (body) this.host.show(peer, { ...info, text: body, encrypted: false });
    return Promise.resolve();
  }

  /**
   * Schemes are registered, but the administrator allows none of them: nothing goes out, neither private
   * nor (against a policy that asked for encryption) in plaintext.
   */
  private noneAllowed(): boolean {
    return this.providers.length > 0 && this.allowed().length === 0;
  }

  /** The user's message: through the conversation's provider (its policy decides plaintext or not). */
  async send(peer: string, id: string, text: string, options: SendOptions = {}): Promise<void> {
    const provider = this.forPeer(peer);
    if (provider) return provider.send(peer, id, text, options);
    if (this.noneAllowed()) {
      this.host.messageState(peer, id, 'failed', 'your administrator allows only end-to-end encryption this version of Klatsch does not have, and it does not go out unencrypted.');
      return;
    }
    // No scheme at all: plaintext, as a client without end-to-end encryption sends it.
    if (options.requirePrivate) {
      this.host.messageState(peer, id, 'failed', 'this message was written in a private conversation, and private conversations are not available now.');
      return;
    }
    try {
      await this.host.transmit({ to: peer, body: text, messageId: id });
      this.host.messageState(peer, id, 'sent', undefined, false);
    } catch {
      this.host.messageState(peer, id, 'failed', 'The connection was lost before the message went out.');
    }
  }

  /** The user asks for a private conversation, with `scheme` or the preferred one. */
  start(peer: string, scheme?: E2eeScheme): Promise<void> {
    const provider = scheme !== undefined ? this.allowed().find((p) => p.scheme === scheme) : this.forPeer(peer);
    if (!provider) return Promise.reject(new KlatschError('invalid-request', 'Private conversations are not available.', { reason: 'private-unavailable' }));
    this.chosen.set(peer, provider.scheme);
    return provider.start(peer);
  }

  /** The user ends the private conversation, whichever scheme it has. */
  async end(peer: string): Promise<void> {
    this.chosen.delete(peer);
    const engaged = this.providers.filter((p) => p.engaged(peer));
    if (engaged.length === 0) {
      await this.forPeer(peer)?.end(peer);
      return;
    }
    for (const provider of engaged) await provider.end(peer);
  }

  /** Where the conversation stands for the UI (the provider it goes through). */
  view(peer: string): E2eeView | undefined {
    return this.forPeer(peer)?.view(peer);
  }

  /** Whether the chat with `peer` may go out in plaintext now: nothing private, ended or required by policy. */
  plaintextChat(peer: string): boolean {
    const provider = this.forPeer(peer);
    if (!provider) return !this.noneAllowed();
    if (provider.requiresPrivacy(peer)) return false;
    const state = provider.view(peer)?.state;
    return state === undefined || state === 'plaintext';
  }

  /** Whether a plaintext message with `peer` (live or a copy) gets the "not encrypted" notice now. */
  plaintextNeedsNotice(peer: string): boolean {
    return this.forPeer(peer)?.plaintextNeedsNotice(peer) ?? false;
  }

  /** What a copy of another device's message (carbon) or of the archive shows here. */
  async readCopy(copy: EncryptedCopy, body: string | undefined): Promise<CopyReading> {
    const provider = this.claimant(copy.message);
    if (!provider) return { kind: 'plaintext', text: this.plaintextOf(body ?? '') };
    if (!provider.decryptsCopies || !provider.decryptCopy) return { kind: 'unreadable', scheme: provider.scheme };
    const text = await provider.decryptCopy(copy).catch(() => null);
    if (text === null) return { kind: 'unreadable', scheme: provider.scheme };
    if (text === undefined || text === '') return { kind: 'nothing', scheme: provider.scheme };
    return { kind: 'decrypted', scheme: provider.scheme, text };
  }

  /** A plaintext body without any scheme's markers (OTR's whitespace tag). */
  plaintextOf(body: string): string {
    return this.providers.reduce((text, p) => p.plaintextOf(text), body);
  }

  resourceOffline(full: string): Promise<void> {
    return this.all((p) => p.resourceOffline(full));
  }

  resourceAvailable(full: string): Promise<void> {
    return this.all((p) => p.resourceAvailable(full));
  }

  /** A new stream is up and our presence out. */
  sessionStarted(): Promise<void> {
    return this.all((p) => p.sessionStarted?.() ?? Promise.resolve());
  }

  /** A PEP notification one of the schemes consumes (their device lists); false: not theirs. */
  pubsubEvent(message: Element): boolean {
    return this.providers.some((p) => p.pubsubEvent?.(message) ?? false);
  }

  streamLost(): Promise<void> {
    return this.all((p) => p.streamLost());
  }

  signingOff(): Promise<void> {
    return this.all((p) => p.signingOff());
  }

  policyChanged(peer?: string): Promise<void> {
    return this.all((p) => p.policyChanged(peer));
  }

  tick(): void {
    for (const p of this.providers) p.tick();
  }

  close(): void {
    clearInterval(this.timer);
  }

  private async all(work: (p: E2eeProvider) => Promise<void>): Promise<void> {
    await Promise.all(this.providers.map((p) => work(p).catch(() => undefined)));
  }
}
