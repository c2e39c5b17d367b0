/**
 * The OMEMO provider's shared ground (see provider.ts for the whole picture): its constants and types, the
 * state every part reads (our devices, sessions, device lists, trust), loading and saving it to the account's
 * encrypted OMEMO store, and the queue that keeps one change after another.
 */
import { type Element } from '@xmpp/xml';
import { deviceFromJSON, deviceToJSON, fingerprint, sessionFromJSON, sessionToJSON, type OwnDevice, type Session } from '../../omemo/index.js';
import { secureRandom, type RandomSource } from '../../otr/random.js';
import { bareJid } from '../../values/jid.js';
import { DEVICE_LIST_NODE, NS_OMEMO_03, NS_OMEMO_2, type OmemoVersion as XmppVersion } from '../../omemo/xmpp/common.js';
import { parseEncrypted, type OmemoEncrypted } from '../../omemo/xmpp/encrypted.js';
import type { E2eeHost } from '../provider.js';
import { emptyOmemoState, type DeviceTrust, type OmemoState, type OmemoStateStore } from './omemo-store.js';

export const OMEMO_SCHEME = 'omemo';
/** What clients without OMEMO show instead (never the message). */
export const OMEMO_FALLBACK = 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.';
/** PEP notifications Klatsch asks for in its entity capabilities (XEP-0115 `+notify`). */
export const OMEMO_NOTIFY_FEATURES = [`${DEVICE_LIST_NODE.oldmemo}+notify`, `${DEVICE_LIST_NODE.twomemo}+notify`];
/** Messages received from a device without our answering before we send an empty one (python-omemo: 53). */
export const HEARTBEAT_AFTER = 53;
/** A contact's device lists are asked for again before sending when older than this (notifications keep them current). */
export const DEVICE_LIST_MAX_AGE_MS = 60_000;
/** A new session for a broken one at most this often per device (no loop with a device that keeps failing). */
export const REPAIR_INTERVAL_MS = 60_000;
/** Prekeys used by key exchanges are forgotten this long after the last one (offline messages are in by then). */
export const USED_PREKEY_GRACE_MS = 60_000;
/** Decrypted messages remembered (by their key) so that the archive's copy of one shown live reads the same. */
export const MEMO_MAX = 2_000;
export const IQ_TIMEOUT_MS = 15_000;

export type EngineVersion = 'oldmemo' | 'twomemo';
export const ENGINE: Record<XmppVersion, EngineVersion> = { oldmemo: 'oldmemo', twomemo: 'twomemo' };
export const VERSIONS: readonly XmppVersion[] = ['twomemo', 'oldmemo'];

export interface OmemoProviderDeps {
  store: OmemoStateStore;
  /** Device label in omemo:2 device lists. */
  label?: string;
  /** How new devices are trusted: 'blind' before verification (the default) or 'ask' every time. */
  trustMode?: () => 'blind' | 'ask';
  random?: RandomSource;
  now?: () => number;
  /** Sends an IQ and resolves with the answer (a result or an error stanza); rejects without a stream. */
  request(iq: Element, timeoutMs?: number): Promise<Element>;
}

/** A peer device as the UI sees it (the seam's scheme-neutral view carries these). */
export interface OmemoDeviceView {
  jid: string;
  deviceId: number;
  version: XmppVersion;
  fingerprint: string;
  trust: DeviceTrust | 'unknown';
  /** The label the device announced (omemo:2), made safe to show (sanitizeDeviceLabel). */
  name?: string;
}

/** A device key the store holds, as the trust manager lists it. */
export interface OmemoTrustRow {
  jid: string;
  deviceId: number;
  version: XmppVersion;
  fingerprint: string;
  trust: DeviceTrust;
  /** On its owner's current device list (or the list is not known). */
  active: boolean;
  firstSeen: number;
  /** The label the device announced (omemo:2), made safe to show. */
  name?: string;
}

export interface DeviceLists {
  oldmemo?: number[];
  twomemo?: number[];
  fetchedAt: number;
}

export interface Target {
  jid: string;
  deviceId: number;
  version: XmppVersion;
}

export const key = (jid: string, deviceId: number, version: XmppVersion): string => `${jid}|${deviceId}|${version}`;

export abstract class OmemoCore {
  protected state: OmemoState = emptyOmemoState();
  protected readonly own = new Map<XmppVersion, OwnDevice>();
  protected readonly sessions = new Map<string, Session>();
  protected readonly lists = new Map<string, DeviceLists>();
  /** Labels the devices announced (omemo:2 lists), sanitised, by `jid|deviceId`. */
  protected readonly labels = new Map<string, string>();
  /** Decrypted texts by a hash of the key element ('' for an empty message). */
  protected readonly memo = new Map<string, string>();
  protected readonly received = new Map<string, number>();
  protected readonly repairedAt = new Map<string, number>();
  /** Sessions replaced by a repair, by device: still read until the device answers in the new one (memory only). */
  protected readonly retired = new Map<string, Session>();
  protected lastKeyExchangeAt: number | undefined;
  protected online = false;
  /** A failed load: OMEMO stays off (the file is never written over). */
  protected broken = false;
  readonly ready: Promise<void>;
  protected readonly random: RandomSource;
  protected readonly now: () => number;
  /** One change after another: a decrypt and a send never interleave on one session. */
  protected queue: Promise<unknown> = Promise.resolve();

  constructor(
    protected readonly host: E2eeHost,
    protected readonly deps: OmemoProviderDeps,
  ) {
    this.random = deps.random ?? secureRandom;
    this.now = deps.now ?? Date.now;
    this.ready = deps.store.load().then(
      (state) => this.restore(state),
      () => {
        this.broken = true;
      },
    );
  }

  protected get ownBare(): string {
    return bareJid(this.host.account)!;
  }

  get deviceId(): number | undefined {
    return this.state.deviceId;
  }

  /** Our device's fingerprint per version (what the user compares on another client). */
  ownFingerprints(): Partial<Record<XmppVersion, string>> {
    const out: Partial<Record<XmppVersion, string>> = {};
    for (const [version, device] of this.own) out[version] = fingerprint(device.identity.publicKey);
    return out;
  }

  protected restore(state: OmemoState): void {
    this.state = state;
    for (const version of VERSIONS) {
      const json = state.devices[ENGINE[version]];
      if (json !== undefined) this.own.set(version, deviceFromJSON(json));
    }
    for (const [k, json] of Object.entries(state.sessions)) {
      try {
        this.sessions.set(k, sessionFromJSON(json));
      } catch {
        // A session that does not restore is started again when needed.
      }
    }
  }

  protected save(): Promise<void> {
    if (this.broken) return Promise.resolve();
    const devices: Record<string, unknown> = {};
    for (const [version, device] of this.own) devices[ENGINE[version]] = deviceToJSON(device);
    const sessions: Record<string, unknown> = {};
    for (const [k, s] of this.sessions) sessions[k] = sessionToJSON(s);
    this.state = { ...this.state, devices, sessions };
    return this.deps.store.save(this.state);
  }

  protected serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  claims(message: Element): boolean {
    return message.getChild('encrypted', NS_OMEMO_03) !== undefined || message.getChild('encrypted', NS_OMEMO_2) !== undefined;
  }

  protected encryptedOf(message: Element): OmemoEncrypted | undefined {
    for (const ns of [NS_OMEMO_2, NS_OMEMO_03]) {
      const el = message.getChild('encrypted', ns);
      if (!el) continue;
      const parsed = parseEncrypted(el);
      return parsed.ok && this.own.has(parsed.value.version) ? parsed.value : parsed.ok ? parsed.value : undefined;
    }
    return undefined;
  }

  /**
   * OMEMO is the conversation's scheme: `peer` announces devices, or OMEMO was used with them before (keys of
   * theirs are stored). The second keeps the chat OMEMO when their device lists come empty or not at all (a
   * server that answers nothing, or one that forges an empty list): it never falls to another scheme or to
   * plaintext by itself — nothing can be sent then (view: 'devices-gone') until the user picks another scheme.
   */
  engaged(peer: string): boolean {
    // Our keys cannot be read (a damaged file, reported): a contact announcing devices still has an OMEMO chat, in
    // which nothing can be sent — it does not fall to another scheme or to plaintext because of a file on our side.
    if (this.broken) return this.announcesDevices(peer);
    return this.announcesDevices(peer) || this.usedWith(peer);
  }

  /** `peer`'s device lists, as last fetched or notified, name at least one device. */
  protected announcesDevices(peer: string): boolean {
    const lists = this.lists.get(peer);
    return !!lists && VERSIONS.some((v) => (lists[v]?.length ?? 0) > 0);
  }

  /** The peers with a device key in the store, rebuilt when the trust records change (they are replaced, never edited). */
  private keyed: { of: OmemoState['trust']; peers: Set<string> } | undefined;

  /** OMEMO was used with `peer`: a key of one of their devices is stored (kept across restarts; the user may forget it). */
  protected usedWith(peer: string): boolean {
    if (peer === this.ownBare) return false;
    if (this.keyed?.of !== this.state.trust) {
      const peers = new Set<string>();
      for (const k of Object.keys(this.state.trust)) peers.add(k.slice(0, k.indexOf('|')));
      this.keyed = { of: this.state.trust, peers };
    }
    return this.keyed.peers.has(peer);
  }
}
