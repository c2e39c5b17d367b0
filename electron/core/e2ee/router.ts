/**
 * The router between an account and its end-to-end encryption providers (provider.ts): it picks the
 * provider of each conversation, hands every stanza a provider claims to that provider (live messages,
 * carbons, archive copies), and passes presence, stream and timer events to all of them. It knows no
 * scheme: nothing here (or in the account) recognises a scheme's wire format.
 *
 * Which provider a conversation uses: chooseScheme() below. Never two at once: when the chosen scheme
 * is not the one with a session running (OMEMO engages in a chat that has an OTR session), that session
 * is ended (its peer told) and the chat says so.
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
  /** The scheme the user set for `peer` (the per-contact override); undefined: automatic. */
  override?: (peer: string) => E2eeScheme | undefined;
}

/** What chooseScheme() knows of one registered scheme for one conversation. */
export interface SchemeCandidate {
  scheme: E2eeScheme;
  /** In the scheme's hands now (E2eeProvider.engaged). */
  engaged: boolean;
  /** Can take a conversation not yet in anyone's hands (E2eeProvider.offers; OMEMO: the contact announced devices). */
  offers: boolean;
  /** A session of its own runs (E2eeProvider.inSession; OTR: private or finished). Absent: none. */
  inSession?: boolean;
}

/**
 * The scheme of one conversation. `candidates` in registration order (OMEMO before OTR), `allowed` the
 * administrator's list in its order of preference (undefined: every candidate), `override` the user's
 * choice for the contact, `started` the scheme the user started in this chat.
 *
 * 1. A scheme with a session the policy no longer allows keeps the chat: it ends it its own way.
 * 2. The user's override, if the policy allows it (a locked policy that names one scheme leaves no choice).
 * 3. The scheme the user started here.
 * 4. An engaged one, in the order of preference (OMEMO with announced devices before an OTR session).
 * 5. The first that offers: OMEMO when the contact announces devices, else OTR (which always offers).
 * 6. The first allowed. Undefined: nothing registered or allowed.
 */
export function chooseScheme(
  candidates: readonly SchemeCandidate[],
  allowedNames: readonly E2eeScheme[] | undefined,
  override: E2eeScheme | undefined,
  started: E2eeScheme | undefined,
): E2eeScheme | undefined {
  const allowed = allowedNames ? allowedNames.flatMap((name) => candidates.filter((c) => c.scheme === name)) : [...candidates];
  const outlawed = candidates.find((c) => c.inSession && !allowed.includes(c));
  if (outlawed) return outlawed.scheme;
  return (
    allowed.find((c) => c.scheme === override) ??
    allowed.find((c) => c.scheme === started) ??
    allowed.find((c) => c.engaged) ??
    allowed.find((c) => c.offers) ??
    allowed[0]
  )?.scheme;
}

export class E2eeRouter {
  private readonly providers: E2eeProvider[];
  /** The scheme the user started in a conversation (by bare JID), while no provider is engaged there. */
  private readonly chosen = new Map<string, E2eeScheme>();
  private readonly timer: NodeJS.Timeout;

  /** Conversations whose other scheme's session is being ended now (no second end while the first runs). */
  private readonly settling = new Set<string>();

  constructor(
    private readonly host: E2eeHost,
    factories: readonly E2eeProviderFactory[],
    private readonly options: E2eeRouterOptions = {},
  ) {
    // Every change a provider reports passes settle(): a scheme that engages ends the other one's session.
    const routed: E2eeHost = Object.create(host, {
      privacyChanged: {
        value: (peer: string) => {
          host.privacyChanged(peer);
          this.settle(peer);
        },
      },
    }) as E2eeHost;
    this.providers = factories.map((make) => make(routed));
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
    const scheme = chooseScheme(
      this.providers.map((p) => ({ scheme: p.scheme, engaged: p.engaged(peer), offers: p.offers?.(peer) ?? true, inSession: p.inSession?.(peer) ?? false })),
      this.options.allowedSchemes?.(),
      this.options.override?.(peer),
      this.chosen.get(peer),
    );
    return this.providers.find((p) => p.scheme === scheme);
  }

  /**
   * Never two schemes at once: a session of a scheme other than the conversation's (an OTR session when
   * OMEMO engages, or the user's override names another) is ended — the peer told — and the chat says why.
   * Called on every change a provider reports and when the user's override or the policy changes.
   */
  settle(peer: string): void {
    if (this.settling.has(peer)) return;
    const chosen = this.forPeer(peer);
    if (!chosen) return;
    const others = this.providers.filter((p) => p !== chosen && (p.inSession?.(peer) ?? false));
    if (others.length === 0) return;
    this.settling.add(peer);
    void (async () => {
      for (const other of others) {
        await other.end(peer, { quiet: true }).catch(() => undefined);
        this.host.notice(peer, `The ${other.scheme.toUpperCase()} conversation was ended: this chat is encrypted with ${chosen.scheme.toUpperCase()} now (never two at once).`, { kind: 'ended-for-other-scheme', detail: chosen.scheme });
      }
    })().finally(() => {
      this.settling.delete(peer);
      this.host.privacyChanged(peer);
    });
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
    const claimant = this.claimant(message);
    const provider = claimant ?? this.forPeer(peer);
    // Plaintext for the conversation's provider: without the other schemes' markers (OTR's whitespace-tagged
    // offer in a chat OMEMO has), which that provider would show as they are.
    const text = claimant || body === undefined ? body : this.providers.filter((p) => p !== provider).reduce((t, p) => p.plaintextOf(t), body);
    if (provider) return provider.receive(from, info, message, text);
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
      const text = 'your administrator allows only end-to-end encryption this version of Klatsch does not have, and it does not go out unencrypted.';
      this.host.messageState(peer, id, 'failed', { reason: 'e2ee-not-allowed', text });
      return;
    }
    // No scheme at all: plaintext, as a client without end-to-end encryption sends it.
    if (options.requirePrivate) {
      const text = 'this message was written in a private conversation, and private conversations are not available now.';
      this.host.messageState(peer, id, 'failed', { reason: 'private-not-available', text });
      return;
    }
    try {
      await this.host.transmit({ to: peer, body: text, messageId: id });
      this.host.messageState(peer, id, 'sent', undefined, false);
    } catch {
      this.host.messageState(peer, id, 'failed', { reason: 'lost-before-sent', text: 'The connection was lost before the message went out.' });
    }
  }

  /** The user asks for a private conversation, with `scheme` or the preferred one. */
  start(peer: string, scheme?: E2eeScheme): Promise<void> {
    const provider = scheme !== undefined ? this.allowed().find((p) => p.scheme === scheme) : this.forPeer(peer);
    if (!provider) return Promise.reject(new KlatschError('invalid-request', 'Private conversations are not available.', { reason: 'private-unavailable' }));
    this.chosen.set(peer, provider.scheme);
    return provider.start(peer);
  }

  /** The user set (or cleared) the scheme of the chat with `peer`: it applies now, and the other scheme's session ends. */
  async overrideChanged(peer: string): Promise<void> {
    this.chosen.delete(peer);
    this.settle(peer);
    this.host.privacyChanged(peer);
    // Each provider follows before the request returns: OTR declines while another scheme has the chat, and works again once it is back.
    await this.all((p) => p.policyChanged(peer));
    this.host.privacyChanged(peer);
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
    const provider = this.forPeer(peer);
    const view = provider?.view(peer);
    if (view || !provider || (provider.offers?.(peer) ?? true)) return view;
    // Chosen although it does not offer (the user's override, a policy that allows nothing else): it cannot send.
    return { scheme: provider.scheme, state: 'plaintext', verified: false, unavailable: 'no-devices' };
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

  async policyChanged(peer?: string): Promise<void> {
    await this.all((p) => p.policyChanged(peer));
    if (peer !== undefined) return this.settle(peer);
    // The administrator's list changed: a running session of a scheme it no longer allows ends now (the peer told).
    const allowed = this.allowed();
    for (const provider of this.providers.filter((p) => !allowed.includes(p))) {
      for (const inSession of provider.peersInSession?.() ?? []) {
        await provider.end(inSession).catch(() => undefined);
        this.host.notice(inSession, `Your administrator no longer allows ${provider.scheme.toUpperCase()}; that private conversation has ended.`, { kind: 'ended-scheme-not-allowed', detail: provider.scheme });
        this.host.privacyChanged(inSession);
      }
    }
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
