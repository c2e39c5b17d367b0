/**
 * OMEMO (XEP-0384, both 0.3 `eu.siacs.conversations.axolotl` and `urn:xmpp:omemo:2`) behind the
 * end-to-end encryption seam (../provider.ts): the engine (electron/core/omemo/, no I/O), the XMPP
 * codecs (electron/core/omemo/xmpp/), PEP publishing and fetching, sessions per device, and the trust
 * in each device's key, kept in the account's encrypted OMEMO store (omemo-store.ts).
 *
 * OMEMO's shape: one message to the bare JID, encrypted for every device of the contact and every other
 * device of ours, each in the version it announced (never the same message in two versions to one
 * device); copies (carbons, the archive) decrypt like live messages.
 *
 * Trust: blind trust before verification (python-omemo's BTBV, as Conversations and Dino): the devices of
 * a contact none of whose devices the user verified are used at once; once one is verified, a new device
 * (or a changed key) is held — nothing is encrypted for it — until the user decides. The trust mode 'ask'
 * (the user's setting or the administrator's) holds every new device. Every trust change is a notice in
 * the contact's chat (a kind and the key's fingerprint; the UI words it).
 *
 * Repair: a message that does not decrypt becomes a notice (never its payload) and starts a new session
 * with the sending device (an empty message carrying a fresh key exchange), so the next message works.
 */
import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import xml, { type Element } from '@xmpp/xml';
import {
  createOwnDevice, decryptKey, decryptPayload, deleteUsedPreKeys, deviceFromJSON, deviceToJSON, emptyKeyMaterial,
  encryptKey, encryptPayload, fingerprint, generateDeviceId, getBundle, isOmemoError, refillPreKeys,
  rotateSignedPreKey, sessionFromJSON, sessionToJSON, signedPreKeyDue, startSession, DEFAULT_PREKEY_COUNT,
  type Bundle, type OwnDevice, type Session,
} from '../../omemo/index.js';
import { toHex } from '../../omemo/bytes.js';
import { ed25519PublicToCurve25519, ed25519SeedToCurvePrivate, x25519PublicKey } from '../../omemo/crypto/xeddsa.js';
import { secureRandom, type RandomSource } from '../../otr/random.js';
import { bareJid } from '../../values/jid.js';
import { parseBundle } from '../../omemo/xmpp/bundle.js';
import { DEVICE_LIST_NODE, NAMESPACE, NS_OMEMO_03, NS_OMEMO_2, NS_PUBSUB_EVENT, type OmemoVersion as XmppVersion } from '../../omemo/xmpp/common.js';
import { parseDeviceList, withDevice, type OmemoDevice } from '../../omemo/xmpp/device-list.js';
import { buildEncrypted, keyFor, parseEncrypted, type OmemoEncrypted, type OmemoKeyElement } from '../../omemo/xmpp/encrypted.js';
import { fetchBundle, fetchDeviceList, fetchFailureMeaning, itemsOf, publishBundle, publishDeviceList, publishFailureAction, type PublishRequest } from '../../omemo/xmpp/pep.js';
import { buildEnvelope, makeRpad, parseEnvelope } from '../../omemo/xmpp/sce.js';
import type { E2eeHost, E2eeProvider, E2eeView, EncryptedCopy, GroupEncryption, GroupOpened, GroupSealed, SendOptions, StanzaInfo } from '../provider.js';
import type { NoticeKind } from '../../../../shared/contract.js';
import { emptyOmemoState, type DeviceTrust, type OmemoState, type OmemoStateStore } from './omemo-store.js';

export const OMEMO_SCHEME = 'omemo';
/** What clients without OMEMO show instead (never the message). */
export const OMEMO_FALLBACK = 'I sent you an OMEMO encrypted message but your client doesn’t seem to support that.';
/** PEP notifications Klatsch asks for in its entity capabilities (XEP-0115 `+notify`). */
export const OMEMO_NOTIFY_FEATURES = [`${DEVICE_LIST_NODE.oldmemo}+notify`, `${DEVICE_LIST_NODE.twomemo}+notify`];
/** Messages received from a device without our answering before we send an empty one (python-omemo: 53). */
export const HEARTBEAT_AFTER = 53;
/** A contact's device lists are asked for again before sending when older than this (notifications keep them current). */
const DEVICE_LIST_MAX_AGE_MS = 60_000;
/** A new session for a broken one at most this often per device (no loop with a device that keeps failing). */
const REPAIR_INTERVAL_MS = 60_000;
/** Prekeys used by key exchanges are forgotten this long after the last one (offline messages are in by then). */
const USED_PREKEY_GRACE_MS = 60_000;
/** Decrypted messages remembered (by their key) so that the archive's copy of one shown live reads the same. */
const MEMO_MAX = 2_000;
const IQ_TIMEOUT_MS = 15_000;

type EngineVersion = 'oldmemo' | 'twomemo';
const ENGINE: Record<XmppVersion, EngineVersion> = { oldmemo: 'oldmemo', twomemo: 'twomemo' };
const VERSIONS: readonly XmppVersion[] = ['twomemo', 'oldmemo'];

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

interface DeviceLists {
  oldmemo?: number[];
  twomemo?: number[];
  fetchedAt: number;
}

interface Target {
  jid: string;
  deviceId: number;
  version: XmppVersion;
}

const key = (jid: string, deviceId: number, version: XmppVersion): string => `${jid}|${deviceId}|${version}`;

export class OmemoProvider implements E2eeProvider, GroupEncryption {
  readonly scheme = OMEMO_SCHEME;
  readonly decryptsCopies = true;
  private state: OmemoState = emptyOmemoState();
  private readonly own = new Map<XmppVersion, OwnDevice>();
  private readonly sessions = new Map<string, Session>();
  private readonly lists = new Map<string, DeviceLists>();
  /** Labels the devices announced (omemo:2 lists), sanitised, by `jid|deviceId`. */
  private readonly labels = new Map<string, string>();
  /** Decrypted texts by a hash of the key element ('' for an empty message). */
  private readonly memo = new Map<string, string>();
  private readonly received = new Map<string, number>();
  private readonly repairedAt = new Map<string, number>();
  /** Sessions replaced by a repair, by device: still read until the device answers in the new one (memory only). */
  private readonly retired = new Map<string, Session>();
  private lastKeyExchangeAt: number | undefined;
  private online = false;
  /** A failed load: OMEMO stays off (the file is never written over). */
  private broken = false;
  readonly ready: Promise<void>;
  private readonly random: RandomSource;
  private readonly now: () => number;
  /** One change after another: a decrypt and a send never interleave on one session. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly host: E2eeHost,
    private readonly deps: OmemoProviderDeps,
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

  private get ownBare(): string {
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

  private restore(state: OmemoState): void {
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

  private save(): Promise<void> {
    if (this.broken) return Promise.resolve();
    const devices: Record<string, unknown> = {};
    for (const [version, device] of this.own) devices[ENGINE[version]] = deviceToJSON(device);
    const sessions: Record<string, unknown> = {};
    for (const [k, s] of this.sessions) sessions[k] = sessionToJSON(s);
    this.state = { ...this.state, devices, sessions };
    return this.deps.store.save(this.state);
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  // ---- the seam ---------------------------------------------------------------------------------

  claims(message: Element): boolean {
    return message.getChild('encrypted', NS_OMEMO_03) !== undefined || message.getChild('encrypted', NS_OMEMO_2) !== undefined;
  }

  /** A PEP notification of a device list (ours or a contact's); true when it was one (consumed). */
  pubsubEvent(message: Element): boolean {
    const event = message.getChild('event', NS_PUBSUB_EVENT);
    if (!event) return false;
    const version = VERSIONS.find((v) => event.getChildren('items').some((i) => i.attrs.node === DEVICE_LIST_NODE[v]));
    if (!version) return false;
    // PEP speaks for the account itself: a bare JID (or none: our own server for us).
    const from = message.attrs.from === undefined ? this.ownBare : message.attrs.from;
    const jid = bareJid(from);
    if (!jid || jid !== from.toLowerCase()) return true;
    const ids = this.deviceIdsOf(message, version, jid);
    if (!ids) return true;
    void this.ready.then(() => this.listArrived(jid, version, ids)).catch(() => undefined);
    return true;
  }

  /** The ids on a device list of `jid` (its labels noted, already sanitised by the parser). */
  private deviceIdsOf(stanza: Element, version: XmppVersion, jid: string): number[] | undefined {
    const items = itemsOf(stanza, DEVICE_LIST_NODE[version]);
    if (!items.ok) return undefined;
    const payload = items.value.find((i) => i.id === 'current')?.payload ?? items.value[0]?.payload;
    if (!payload) return [];
    const parsed = parseDeviceList(payload);
    if (!parsed.ok || parsed.value.version !== version) return undefined;
    for (const d of parsed.value.devices) {
      if (d.label !== undefined) this.labels.set(`${jid}|${d.id}`, d.label);
    }
    return parsed.value.devices.map((d) => d.id);
  }

  /** A contact's devices that left all of their lists: each one the user had a key for is a notice in the chat. */
  private noteRemoved(jid: string, before: DeviceLists | undefined, after: DeviceLists): void {
    if (!before || jid === this.ownBare) return;
    const now = new Set(VERSIONS.flatMap((v) => after[v] ?? []));
    const gone = new Set(VERSIONS.flatMap((v) => before[v] ?? []).filter((id) => !now.has(id)));
    const said = new Set<string>();
    for (const id of gone) {
      for (const version of VERSIONS) {
        const t = this.state.trust[key(jid, id, version)];
        if (!t || said.has(t.key)) continue;
        said.add(t.key);
        const fp = fingerprint(Buffer.from(t.key, 'hex'));
        this.host.notice(jid, `${jid} removed the device with the key ${fp}; nothing is encrypted for it any more.`, { kind: 'omemo-device-removed', detail: fp });
      }
    }
  }

  private async listArrived(jid: string, version: XmppVersion, ids: number[]): Promise<void> {
    const previous = this.lists.get(jid);
    const snapshot: DeviceLists | undefined = previous ? { ...previous } : undefined;
    const lists = previous ?? { fetchedAt: this.now() };
    const before = this.engaged(jid);
    lists[version] = ids;
    this.lists.set(jid, lists);
    this.noteRemoved(jid, snapshot, lists);
    if (jid === this.ownBare) {
      // Another client of ours dropped this device from the list: it goes back (or we would get no messages).
      if (this.online && this.state.deviceId !== undefined && this.own.has(version) && !ids.includes(this.state.deviceId)) {
        await this.publishList(version, ids.map((id) => ({ id }))).catch(() => undefined);
      }
      return;
    }
    if (before !== this.engaged(jid) || ids.length > 0) this.host.privacyChanged(jid);
  }

  async decryptCopy(copy: EncryptedCopy): Promise<string | undefined> {
    await this.ready;
    const message = copy.message;
    const encrypted = this.encryptedOf(message);
    if (!encrypted) throw new Error('not OMEMO');
    const sender = copy.direction === 'out' ? this.ownBare : copy.peer;
    // Our own messages come back from the archive: not encrypted for this device, and already shown.
    if (copy.direction === 'out' && encrypted.sid === this.state.deviceId) return undefined;
    const stampedAt = parseDelay(message);
    // Copies may be old (the archive): the ratchet already refuses replays, so the envelope's time is not held against them.
    const result = await this.serial(() => this.decrypt(sender, encrypted, { from: sender, to: copy.direction === 'out' ? copy.peer : this.ownBare, sentAt: stampedAt ?? this.now(), maxSkewMs: Number.MAX_SAFE_INTEGER }, false));
    if (result.kind === 'text') return result.text;
    if (result.kind === 'empty') return undefined;
    throw new Error('undecryptable');
  }

  async receive(from: string, info: StanzaInfo, message: Element, body: string | undefined): Promise<void> {
    const peer = bareJid(from);
    if (!peer) return;
    await this.ready;
    if (!this.claims(message)) {
      if (body !== undefined) this.host.show(peer, { ...info, text: body, encrypted: false });
      return;
    }
    const encrypted = this.encryptedOf(message);
    if (!encrypted) {
      this.host.notice(peer, `An encrypted message from ${peer} could not be read (it is malformed).`, { kind: 'unreadable' });
      return;
    }
    const result = await this.serial(() => this.decrypt(peer, encrypted, { from: peer, to: this.ownBare, sentAt: info.stampedAt ?? this.now() }, true));
    if (result.kind === 'text') this.host.show(peer, { ...info, text: result.text, encrypted: true });
    else if (result.kind === 'failed') {
      this.host.notice(peer, `An encrypted message from ${peer} could not be decrypted. A new secure session was started; ask them to send it again.`, { kind: 'unreadable', ...(result.debug ? { debug: result.debug } : {}) });
    } else if (result.kind === 'held') {
      this.host.notice(peer, `A message from a new device of ${peer} was not shown: its key ${result.fingerprint} waits for your decision.`, { kind: 'new-key', detail: result.fingerprint });
    } else if (result.kind === 'not-for-us') {
      this.host.notice(peer, `${peer} sent an encrypted message that was not encrypted for this device.`, { kind: 'unreadable' });
    }
  }

  private encryptedOf(message: Element): OmemoEncrypted | undefined {
    for (const ns of [NS_OMEMO_2, NS_OMEMO_03]) {
      const el = message.getChild('encrypted', ns);
      if (!el) continue;
      const parsed = parseEncrypted(el);
      return parsed.ok && this.own.has(parsed.value.version) ? parsed.value : parsed.ok ? parsed.value : undefined;
    }
    return undefined;
  }

  /**
   * Decrypts one message from `sender` (a bare JID: the contact, or us for our other devices). `live`:
   * the device answers (completes sessions, heartbeats, repairs); copies only read.
   */
  private async decrypt(
    sender: string,
    encrypted: OmemoEncrypted,
    expect: { from: string; to: string; sentAt: number; maxSkewMs?: number },
    live: boolean,
  ): Promise<{ kind: 'text'; text: string } | { kind: 'empty' } | { kind: 'failed'; debug?: string } | { kind: 'held'; fingerprint: string } | { kind: 'not-for-us' }> {
    const { version, sid } = encrypted;
    const device = this.own.get(version);
    const deviceId = this.state.deviceId;
    if (!device || deviceId === undefined) return { kind: 'failed', debug: 'no-device' };
    const mine = keyFor(encrypted, this.ownBare, deviceId);
    // A message split by version (one stanza per version) holds keys for other devices only: not ours to
    // read, and nothing missing. Only a message for our account that left this device out is worth a word.
    // Empty messages (a session completed, a heartbeat) go to one device by design.
    if (!mine) return encrypted.payload && this.addressedToAccount(encrypted) ? { kind: 'not-for-us' } : { kind: 'empty' };
    const memoKey = createHash('sha256').update(mine.data).digest('hex');
    const remembered = this.memo.get(memoKey);
    // Live, a message read before is a replay (under a new stanza id, it would show twice): dropped. A copy
    // (carbon, archive) of one read live reads the same, without a ratchet step it cannot take again.
    if (remembered !== undefined) return remembered === '' || live ? { kind: 'empty' } : { kind: 'text', text: remembered };
    const sessionKey = key(sender, sid, version);
    let result;
    try {
      try {
        result = decryptKey(device, this.sessions.get(sessionKey), { data: mine.data, keyExchange: mine.keyExchange }, { random: this.random });
      } catch (error) {
        // After a repair, what the device sent before it saw our new key exchange is still in the old session.
        const retired = this.retired.get(sessionKey);
        if (mine.keyExchange || !retired) throw error;
        result = decryptKey(device, retired, { data: mine.data, keyExchange: false }, { random: this.random });
        this.retired.set(sessionKey, result.session);
        result = { ...result, session: this.sessions.get(sessionKey) ?? result.session, retiredOnly: true };
      }
    } catch (error) {
      if (live) void this.repair(sender, sid, version);
      return { kind: 'failed', debug: isOmemoError(error) ? error.code : 'error' };
    }
    // The engine leaves it to us: the key this session speaks with must be the one we trust for that device.
    const trust = this.trustFor(sender, sid, version, result.session.peerIdentityKey);
    if (trust === 'held' || trust === 'distrusted') {
      return { kind: 'held', fingerprint: fingerprint(result.session.peerIdentityKey) };
    }
    this.own.set(version, result.device);
    if (!('retiredOnly' in result)) this.sessions.set(sessionKey, result.session);
    if (mine.keyExchange) {
      this.lastKeyExchangeAt = this.now();
      if (result.device.preKeys.length < device.preKeys.length) void this.replenish(version);
    }
    let text = '';
    if (encrypted.payload) {
      try {
        const plain = new TextDecoder('utf-8', { fatal: true }).decode(
          decryptPayload(ENGINE[version], { payload: encrypted.payload, keyMaterial: result.keyMaterial, ...(encrypted.iv ? { iv: encrypted.iv } : {}) }),
        );
        if (version === 'twomemo') {
          const envelope = parseEnvelope(plain, expect);
          if (!envelope.ok) return { kind: 'failed', debug: envelope.error.code };
          text = envelope.value.body ?? '';
        } else {
          text = plain;
        }
      } catch (error) {
        await this.save();
        return { kind: 'failed', debug: isOmemoError(error) ? error.code : 'payload' };
      }
    }
    this.remember(memoKey, text);
    await this.save();
    if (live) {
      const counter = (this.received.get(sessionKey) ?? 0) + 1;
      this.received.set(sessionKey, counter);
      // A new session (the contact's first message to us, perhaps while we were offline): an empty message
      // answers it, so the contact's device stops sending key exchanges; and a heartbeat after many messages
      // without an answer moves our ratchet on (forward secrecy).
      if (result.newSession || counter >= HEARTBEAT_AFTER) void this.sendEmpty({ jid: sender, deviceId: sid, version });
    }
    return text === '' ? { kind: 'empty' } : { kind: 'text', text };
  }

  /** Whether `encrypted` has keys for devices of our account (omemo:2 names us; 0.3: ids on our lists). */
  private addressedToAccount(encrypted: OmemoEncrypted): boolean {
    if (encrypted.version === 'twomemo') return encrypted.keys.some((k) => k.jid === this.ownBare);
    const lists = this.lists.get(this.ownBare);
    const ours = new Set([...(lists?.oldmemo ?? []), ...(lists?.twomemo ?? [])]);
    return encrypted.keys.some((k) => ours.has(k.rid));
  }

  private remember(memoKey: string, text: string): void {
    this.memo.set(memoKey, text);
    if (this.memo.size > MEMO_MAX) this.memo.delete(this.memo.keys().next().value!);
  }

  /** The trust of a device's key, deciding it when the device (or its key) is new. */
  private trustFor(jid: string, deviceId: number, version: XmppVersion, identityKey: Uint8Array): DeviceTrust {
    const k = key(jid, deviceId, version);
    const hex = toHex(identityKey);
    const known = this.state.trust[k];
    if (known && known.key === hex) return known.trust;
    // Our own other devices: the user's, trusted as the contact's are (blind until verified).
    const verifiedAny = Object.entries(this.state.trust).some(([kk, t]) => kk.startsWith(`${jid}|`) && t.trust === 'verified');
    // 'ask': every new device waits for the user; else blind trust until one device of the contact is verified.
    const ask = (this.deps.trustMode?.() ?? 'blind') === 'ask';
    const trust: DeviceTrust = verifiedAny || known || ask ? 'held' : 'blind';
    // The same key seen in the other OMEMO version of the device is the same device: one notice.
    const sameKeyKnown = Object.entries(this.state.trust).some(([kk, t]) => kk.startsWith(`${jid}|${deviceId}|`) && t.key === hex);
    this.state.trust = { ...this.state.trust, [k]: { key: hex, trust, firstSeen: this.now() } };
    if (jid !== this.ownBare) {
      const fp = fingerprint(identityKey);
      if (trust === 'held') {
        this.host.notice(jid, `${jid} has a new device with the key ${fp}. Nothing is encrypted for it until you verify or accept it.`, { kind: 'omemo-device-held', detail: fp });
      } else if (!sameKeyKnown) {
        this.host.notice(jid, `${jid} has a new device with the key ${fp}; it is used without verification (no device of ${jid} is verified yet).`, { kind: 'omemo-device-new', detail: fp });
      }
      this.host.privacyChanged(jid);
    }
    return trust;
  }

  /** The user's decision on a device's key (by fingerprint): verified, accepted (blind) or distrusted. */
  async setTrust(jid: string, fingerprintText: string, trust: DeviceTrust): Promise<boolean> {
    await this.ready;
    const hex = fingerprintText.replace(/\s+/g, '').toLowerCase();
    let changed = false;
    let was: DeviceTrust | undefined;
    for (const [k, t] of Object.entries(this.state.trust)) {
      if (k.startsWith(`${jid}|`) && t.key === hex) {
        was ??= t.trust;
        this.state.trust = { ...this.state.trust, [k]: { ...t, trust } };
        changed = true;
      }
    }
    if (changed) {
      await this.save();
      if (was !== trust && jid !== this.ownBare) this.trustNotice(jid, fingerprint(Buffer.from(hex, 'hex')), was, trust);
      this.host.privacyChanged(jid);
    }
    return changed;
  }

  /** The user's trust decision, said in the chat as OTR says its own (a kind and the key's fingerprint). */
  private trustNotice(jid: string, fp: string, was: DeviceTrust | undefined, now: DeviceTrust): void {
    const said =
      now === 'verified'
        ? { kind: 'omemo-device-verified', text: `You verified ${jid}'s device key ${fp}.` }
        : now === 'distrusted'
          ? { kind: 'omemo-device-distrusted', text: `You refused ${jid}'s device key ${fp}; nothing is encrypted for it.` }
          : now === 'blind' && was === 'verified'
            ? { kind: 'omemo-device-unverified', text: `You took back the verification of ${jid}'s device key ${fp}; it is used unverified.` }
            : now === 'blind'
              ? { kind: 'omemo-device-accepted', text: `You accepted ${jid}'s device key ${fp} without verifying it.` }
              : undefined;
    if (said) this.host.notice(jid, said.text, { kind: said.kind as NoticeKind, detail: fp });
  }

  /**
   * Our device as the `xmpp:` URI Conversations shows and scans (`xmpp:jid?omemo-sid-<id>=<fingerprint>`): the
   * fingerprint of its OMEMO 0.3 key (Curve25519, the form 0.3 clients compare). Undefined before the device exists.
   */
  ownUri(): string | undefined {
    const deviceId = this.state.deviceId;
    const old = this.own.get('oldmemo');
    if (deviceId === undefined || !old) return undefined;
    const [local, domain] = [this.ownBare.slice(0, this.ownBare.indexOf('@')), this.ownBare.slice(this.ownBare.indexOf('@') + 1)];
    return `xmpp:${encodeURIComponent(local)}@${encodeURIComponent(domain)}?omemo-sid-${deviceId}=${toHex(old.identity.publicKey)}`;
  }

  /**
   * Verifies devices of `jid` named by a scanned or opened URI (device id and fingerprint, 64 hex digits): a
   * device counts only where both its id and its key match — never the first device, never by position. The
   * key is compared in both forms (an omemo:2 device's Ed25519 key is also its Curve25519 key in 0.3). A device
   * not seen yet is fetched first. Returns how many devices were verified and how many matched none.
   */
  async verifyDevices(jid: string, devices: readonly { deviceId: number; fingerprint: string }[]): Promise<{ verified: number; unmatched: number }> {
    await this.ready;
    let verified = 0;
    let unmatched = 0;
    for (const { deviceId, fingerprint: text } of devices) {
      const hex = text.replace(/\s+/g, '').toLowerCase();
      let keys = this.matchingKeys(jid, deviceId, hex);
      if (keys.length === 0 && this.online) {
        await this.learnDevice(jid, deviceId);
        keys = this.matchingKeys(jid, deviceId, hex);
      }
      if (keys.length === 0) {
        unmatched++;
        continue;
      }
      for (const key of new Set(keys)) await this.setTrust(jid, fingerprint(Buffer.from(key, 'hex')), 'verified');
      verified++;
    }
    return { verified, unmatched };
  }

  /** The stored keys (hex) of device `deviceId` of `jid` that are the key `hex` (in either form). */
  private matchingKeys(jid: string, deviceId: number, hex: string): string[] {
    const out: string[] = [];
    for (const version of VERSIONS) {
      const t = this.state.trust[key(jid, deviceId, version)];
      if (!t) continue;
      const curve = version === 'twomemo' ? safeCurveHex(t.key) : t.key;
      if (t.key === hex || curve === hex) out.push(t.key);
    }
    return out;
  }

  /** A device of `jid` not seen yet: its key from its bundle, recorded (and trusted as any new device). */
  private async learnDevice(jid: string, deviceId: number): Promise<void> {
    this.lists.delete(jid);
    const lists = await this.listsOf(jid).catch(() => undefined);
    for (const version of VERSIONS) {
      if (!lists?.[version]?.includes(deviceId)) continue;
      const bundle = await this.fetchBundleOf({ jid, deviceId, version });
      if (bundle) this.trustFor(jid, deviceId, version, bundle.identityKey);
    }
  }

  /** The trust the store holds for the device key `fingerprintText` of `jid` (any version); undefined: not known. */
  trustOfKey(jid: string, fingerprintText: string): DeviceTrust | undefined {
    const hex = fingerprintText.replace(/\s+/g, '').toLowerCase();
    return Object.entries(this.state.trust).find(([k, t]) => k.startsWith(`${jid}|`) && t.key === hex)?.[1].trust;
  }

  /**
   * Forgets the device key `fingerprintText` of `jid` and the sessions made with it: the device is decided
   * again when it shows up (held once another device of `jid` is verified). True when the key was verified.
   */
  async forgetKey(jid: string, fingerprintText: string): Promise<boolean> {
    await this.ready;
    const hex = fingerprintText.replace(/\s+/g, '').toLowerCase();
    const forgotten = Object.entries(this.state.trust).filter(([k, t]) => k.startsWith(`${jid}|`) && t.key === hex);
    if (forgotten.length === 0) return false;
    const trust = { ...this.state.trust };
    for (const [k] of forgotten) {
      delete trust[k];
      this.sessions.delete(k);
      this.retired.delete(k);
    }
    this.state = { ...this.state, trust };
    await this.save();
    if (jid !== this.ownBare) {
      const fp = fingerprint(Buffer.from(hex, 'hex'));
      this.host.notice(jid, `You forgot ${jid}'s device key ${fp}; the device is decided again when it shows up.`, { kind: 'omemo-device-forgotten', detail: fp });
      this.host.privacyChanged(jid);
    }
    return forgotten.some(([, t]) => t.trust === 'verified');
  }

  /**
   * Every device key the store holds (the contacts' and our own other devices'), for the trust manager:
   * 'inactive' when the device is no longer on its owner's current device list.
   */
  trustRows(): OmemoTrustRow[] {
    const rows: OmemoTrustRow[] = [];
    for (const [k, t] of Object.entries(this.state.trust)) {
      const [jid, id, version] = k.split('|') as [string, string, XmppVersion];
      const deviceId = Number(id);
      if (jid === this.ownBare && deviceId === this.state.deviceId) continue;
      const announced = this.lists.get(jid)?.[version];
      const active = announced === undefined || announced.includes(deviceId);
      rows.push({
        jid,
        deviceId,
        version,
        fingerprint: fingerprint(Buffer.from(t.key, 'hex')),
        trust: t.trust,
        active,
        firstSeen: t.firstSeen,
        ...(this.labels.has(`${jid}|${deviceId}`) ? { name: this.labels.get(`${jid}|${deviceId}`)! } : {}),
      });
    }
    return rows;
  }

  /** Every known device of `jid` with its fingerprint and trust. */
  devices(jid: string): OmemoDeviceView[] {
    const lists = this.lists.get(jid);
    const out: OmemoDeviceView[] = [];
    for (const version of VERSIONS) {
      for (const id of lists?.[version] ?? []) {
        const t = this.state.trust[key(jid, id, version)];
        const name = this.labels.get(`${jid}|${id}`);
        out.push({ jid, deviceId: id, version, fingerprint: t ? fingerprint(Buffer.from(t.key, 'hex')) : '', trust: t?.trust ?? 'unknown', ...(name ? { name } : {}) });
      }
    }
    return out;
  }

  async send(peer: string, id: string, text: string, options: SendOptions = {}): Promise<void> {
    await this.ready;
    try {
      const sent = await this.serial(() => this.encryptAndSend(peer, text, id));
      if (sent) this.host.messageState(peer, id, 'sent', undefined, true);
      else this.host.messageState(peer, id, 'failed', `No device of ${peer} can receive encrypted messages now (none trusted, or their keys could not be fetched).`);
    } catch {
      this.host.messageState(peer, id, 'failed', 'The connection was lost before the message went out.');
    }
    void options;
  }

  // ---- group chats (XEP-0384 §5.6) --------------------------------------------------------------

  /**
   * Seals `text` for every usable device of every member and our other devices (one stanza per version, as
   * one-to-one). Nothing is sealed when a member has no device to encrypt for: the message would not reach them.
   */
  async encryptGroup(room: string, members: readonly string[], text: string): Promise<GroupSealed> {
    await this.ready;
    return this.serial(async () => {
      const deviceId = await this.ensureOwnDevice();
      if (deviceId === undefined) return { ok: false, unreachable: [...members] };
      const targets = await this.targetsOf([...members, this.ownBare]);
      const sessions = new Map<XmppVersion, { target: Target; session: Session }[]>();
      const reached = new Set<string>();
      const held = new Set<string>();
      for (const target of targets) {
        const session = await this.sessionFor(target);
        if (!session) {
          const trust = this.state.trust[key(target.jid, target.deviceId, target.version)]?.trust;
          if (trust === 'held' || trust === 'distrusted') held.add(target.jid);
          continue;
        }
        reached.add(target.jid);
        (sessions.get(target.version) ?? sessions.set(target.version, []).get(target.version)!).push({ target, session });
      }
      const unreachable = members.filter((m) => !reached.has(m));
      if (unreachable.length > 0 || reached.size === 0) return { ok: false, unreachable };
      const stanzas: Extract<GroupSealed, { ok: true }>['stanzas'] = [];
      for (const version of [...sessions.keys()].sort((a, b) => sessions.get(b)!.length - sessions.get(a)!.length)) {
        const encrypted = this.seal(version, sessions.get(version)!, text, room);
        stanzas.push({ payload: [encrypted], body: OMEMO_FALLBACK, encryption: { namespace: NAMESPACE[version], name: version === 'oldmemo' ? 'OMEMO' : 'OMEMO 2', noCopies: false } });
      }
      await this.save();
      return { ok: true, stanzas, held: [...held].filter((jid) => jid !== this.ownBare).sort() };
    });
  }

  /** Opens a room message of the member `sender` (their real bare JID, as the room told it). */
  async decryptGroup(room: string, sender: string, message: Element, stampedAt: number | undefined, live: boolean): Promise<GroupOpened> {
    await this.ready;
    const encrypted = this.encryptedOf(message);
    if (!encrypted) return { kind: 'failed', debug: 'malformed' };
    // Our own message from the room's history: never encrypted for this device, and already shown.
    if (sender === this.ownBare && encrypted.sid === this.state.deviceId) return { kind: 'empty' };
    const expect = { from: sender, to: room, sentAt: stampedAt ?? this.now(), ...(live ? {} : { maxSkewMs: Number.MAX_SAFE_INTEGER }) };
    const result = await this.serial(() => this.decrypt(sender, encrypted, expect, live));
    return result;
  }

  /** Every device of `jids` to encrypt for, each once, in omemo:2 where it announced it; never this device. */
  private async targetsOf(jids: readonly string[]): Promise<Target[]> {
    const out: Target[] = [];
    for (const jid of jids) {
      const lists = await this.listsOf(jid);
      const seen = new Set<number>();
      for (const version of VERSIONS) {
        if (!this.own.has(version)) continue;
        for (const id of lists[version] ?? []) {
          if (seen.has(id) || (jid === this.ownBare && id === this.state.deviceId)) continue;
          seen.add(id);
          out.push({ jid, deviceId: id, version });
        }
      }
    }
    return out;
  }

  /** One `<encrypted/>` of `version` carrying `text` with a key for each session (which move on). */
  private seal(version: XmppVersion, list: { target: Target; session: Session }[], text: string, to: string): Element {
    const engine = ENGINE[version];
    const plaintext = version === 'twomemo'
      ? buildEnvelope({ content: [xml('body', { xmlns: 'jabber:client' }, text)], from: this.ownBare, to, time: new Date(this.now()), rpad: makeRpad(this.random) })
      : text;
    const sealed = encryptPayload(engine, new TextEncoder().encode(plaintext), this.random);
    const keys: OmemoKeyElement[] = [];
    for (const { target, session } of list) {
      const { session: next, element } = encryptKey(session, sealed.keyMaterial);
      this.sessions.set(key(target.jid, target.deviceId, version), next);
      this.received.delete(key(target.jid, target.deviceId, version));
      keys.push({ jid: target.jid, rid: target.deviceId, keyExchange: element.keyExchange, data: element.data });
    }
    return buildEncrypted({ version, sid: this.state.deviceId!, keys, ...(sealed.iv ? { iv: sealed.iv } : {}), payload: sealed.payload });
  }

  /**
   * Encrypts `text` (undefined: an empty message) for every usable device of `peer` and our other devices, and
   * sends one stanza per version in use; false when no device of the contact could be encrypted for.
   */
  private async encryptAndSend(peer: string, text: string | undefined, messageId: string | undefined, only?: Target): Promise<boolean> {
    const deviceId = await this.ensureOwnDevice();
    if (deviceId === undefined) return false;
    const targets = only ? [only] : await this.targets(peer);
    const sessions = new Map<XmppVersion, { target: Target; session: Session }[]>();
    for (const target of targets) {
      const session = await this.sessionFor(target);
      if (!session) continue;
      (sessions.get(target.version) ?? sessions.set(target.version, []).get(target.version)!).push({ target, session });
    }
    const reachesPeer = [...sessions.values()].some((list) => list.some((s) => s.target.jid === peer));
    if (!reachesPeer) return false;
    // The version the contact's devices use most goes first and carries the user's message id.
    const order = [...sessions.keys()].sort((a, b) => count(sessions.get(b)!, peer) - count(sessions.get(a)!, peer));
    let first = true;
    for (const version of order) {
      const list = sessions.get(version)!;
      const engine = ENGINE[version];
      let keyMaterial: Uint8Array;
      let payload: Uint8Array | undefined;
      let iv: Uint8Array | undefined;
      if (text === undefined) {
        keyMaterial = emptyKeyMaterial(engine, this.random);
      } else {
        const plaintext = version === 'twomemo'
          ? buildEnvelope({ content: [xml('body', { xmlns: 'jabber:client' }, text)], from: this.ownBare, to: peer, time: new Date(this.now()), rpad: makeRpad(this.random) })
          : text;
        const sealed = encryptPayload(engine, new TextEncoder().encode(plaintext), this.random);
        keyMaterial = sealed.keyMaterial;
        payload = sealed.payload;
        iv = sealed.iv;
      }
      if (version === 'oldmemo' && !iv) iv = this.random(12);
      const keys: OmemoKeyElement[] = [];
      for (const { target, session } of list) {
        const { session: next, element } = encryptKey(session, keyMaterial);
        this.sessions.set(key(target.jid, target.deviceId, version), next);
        this.received.delete(key(target.jid, target.deviceId, version));
        keys.push({ jid: target.jid, rid: target.deviceId, keyExchange: element.keyExchange, data: element.data });
      }
      await this.save();
      const encrypted = buildEncrypted({ version, sid: deviceId, keys, ...(iv ? { iv } : {}), ...(payload ? { payload } : {}) });
      await this.host.transmit({
        to: peer,
        ...(text !== undefined ? { body: OMEMO_FALLBACK } : {}),
        payload: [encrypted],
        encryption: { namespace: NAMESPACE[version], name: version === 'oldmemo' ? 'OMEMO' : 'OMEMO 2', noCopies: false },
        ...(first && messageId !== undefined ? { messageId } : {}),
      });
      first = false;
    }
    return true;
  }

  /** Every device to encrypt for: the contact's and our other ones, each once, in omemo:2 where it announced it. */
  private async targets(peer: string): Promise<Target[]> {
    const out: Target[] = [];
    for (const jid of [peer, this.ownBare]) {
      const lists = await this.listsOf(jid);
      const seen = new Set<number>();
      for (const version of VERSIONS) {
        if (!this.own.has(version)) continue;
        for (const id of lists[version] ?? []) {
          if (seen.has(id) || (jid === this.ownBare && id === this.state.deviceId)) continue;
          seen.add(id);
          out.push({ jid, deviceId: id, version });
        }
      }
    }
    return out;
  }

  /** A session with the device, started from its bundle if there is none; undefined if not usable (trust, no bundle). */
  private async sessionFor(target: Target): Promise<Session | undefined> {
    const k = key(target.jid, target.deviceId, target.version);
    const existing = this.sessions.get(k);
    const known = this.state.trust[k];
    if (existing) {
      const trust = this.trustFor(target.jid, target.deviceId, target.version, existing.peerIdentityKey);
      return trust === 'blind' || trust === 'verified' ? existing : undefined;
    }
    if (known && (known.trust === 'held' || known.trust === 'distrusted')) return undefined;
    const bundle = await this.fetchBundleOf(target);
    if (!bundle) return undefined;
    const trust = this.trustFor(target.jid, target.deviceId, target.version, bundle.identityKey);
    if (trust !== 'blind' && trust !== 'verified') return undefined;
    const device = this.own.get(target.version)!;
    try {
      const session = startSession(device, bundle, { random: this.random });
      this.sessions.set(k, session);
      return session;
    } catch {
      return undefined;
    }
  }

  private async fetchBundleOf(target: Target): Promise<Bundle | undefined> {
    const reply = await this.deps.request(fetchBundle(target.version, target.jid, target.deviceId), IQ_TIMEOUT_MS).catch(() => undefined);
    if (!reply || reply.attrs.type !== 'result') return undefined;
    const { node, item } = target.version === 'oldmemo'
      ? { node: `eu.siacs.conversations.axolotl.bundles:${target.deviceId}`, item: undefined }
      : { node: 'urn:xmpp:omemo:2:bundles', item: String(target.deviceId) };
    const items = itemsOf(reply, node);
    if (!items.ok) return undefined;
    const payload = (item === undefined ? items.value[0] : items.value.find((i) => i.id === item))?.payload;
    if (!payload) return undefined;
    const parsed = parseBundle(payload);
    if (!parsed.ok || parsed.value.version !== target.version) return undefined;
    return parsed.value;
  }

  /** The device lists of `jid`, fetched when not known or old. */
  private async listsOf(jid: string): Promise<DeviceLists> {
    const cached = this.lists.get(jid);
    if (cached && this.now() - cached.fetchedAt < DEVICE_LIST_MAX_AGE_MS) return cached;
    const fresh: DeviceLists = { fetchedAt: this.now() };
    await Promise.all(
      VERSIONS.map(async (version) => {
        const reply = await this.deps.request(fetchDeviceList(version, jid), IQ_TIMEOUT_MS).catch(() => undefined);
        if (!reply) {
          if (cached?.[version]) fresh[version] = cached[version];
          return;
        }
        if (reply.attrs.type !== 'result') {
          if (fetchFailureMeaning(reply) === 'none') fresh[version] = [];
          else if (cached?.[version]) fresh[version] = cached[version];
          return;
        }
        fresh[version] = this.deviceIdsOf(reply, version, jid) ?? cached?.[version] ?? [];
      }),
    );
    const before = this.engaged(jid);
    this.lists.set(jid, fresh);
    this.noteRemoved(jid, cached, fresh);
    if (jid !== this.ownBare && before !== this.engaged(jid)) this.host.privacyChanged(jid);
    return fresh;
  }

  /** An empty message to one device: completes a session, moves the ratchet on, or carries a new key exchange. */
  private async sendEmpty(target: Target): Promise<void> {
    const peer = target.jid === this.ownBare ? this.ownBare : target.jid;
    await this.serial(() => this.encryptAndSend(peer, undefined, undefined, target)).catch(() => undefined);
  }

  /** A session that failed: forgotten, and a new one started with an empty message (its key exchange). */
  private async repair(jid: string, deviceId: number, version: XmppVersion): Promise<void> {
    const k = key(jid, deviceId, version);
    const last = this.repairedAt.get(k);
    if (last !== undefined && this.now() - last < REPAIR_INTERVAL_MS) return;
    this.repairedAt.set(k, this.now());
    const old = this.sessions.get(k);
    if (old) this.retired.set(k, old);
    this.sessions.delete(k);
    await this.save();
    void this.sendEmpty({ jid, deviceId, version });
  }

  // ---- our device -------------------------------------------------------------------------------

  /** Our device being made (it takes several turns): every caller meanwhile waits for the same one. */
  private makingOwnDevice: Promise<number | undefined> | undefined;

  /** Our device, made on first need with an id no device of ours has; undefined while offline or broken. */
  private async ensureOwnDevice(): Promise<number | undefined> {
    if (this.broken) return undefined;
    if (this.state.deviceId !== undefined && this.own.size === VERSIONS.length) return this.state.deviceId;
    this.makingOwnDevice ??= this.makeOwnDevice().finally(() => {
      this.makingOwnDevice = undefined;
    });
    return this.makingOwnDevice;
  }

  private async makeOwnDevice(): Promise<number | undefined> {
    const taken = new Set<number>();
    const lists = await this.listsOf(this.ownBare);
    for (const version of VERSIONS) for (const id of lists[version] ?? []) taken.add(id);
    let deviceId = this.state.deviceId;
    if (deviceId === undefined) {
      do deviceId = generateDeviceId(this.random);
      while (taken.has(deviceId));
    }
    this.state = { ...this.state, deviceId };
    // One device, one identity in both versions (python-omemo refuses a device whose versions disagree):
    // the omemo:2 Ed25519 key, and its Curve25519 form for 0.3.
    if (!this.own.has('twomemo')) {
      // 0.3 carries the Curve25519 form, which peers map back to Ed25519 with the sign bit clear: only a key
      // whose sign bit is clear is the same identity in both versions.
      // Half the identities drawn are refused: draw them without prekeys, which come after.
      let two: OwnDevice;
      do two = createOwnDevice('twomemo', { random: this.random, now: this.now, preKeyCount: 0 });
      while ((two.identity.publicKey[31]! & 0x80) !== 0);
      this.own.set('twomemo', await this.withPreKeys(two));
    }
    if (!this.own.has('oldmemo')) {
      await nextTurn();
      this.own.set('oldmemo', await this.withPreKeys(this.oldmemoDeviceOf(this.own.get('twomemo')!)));
    }
    await this.save();
    return deviceId;
  }

  /**
   * `device` with DEFAULT_PREKEY_COUNT prekeys, made a few at a time with a turn between (~55 µs a key here):
   * a new device's hundred would otherwise hold the main loop for 6 ms or more per version.
   */
  private async withPreKeys(device: OwnDevice): Promise<OwnDevice> {
    const PER_TURN = 25;
    let made = device;
    while (made.preKeys.length < DEFAULT_PREKEY_COUNT) {
      await nextTurn();
      made = refillPreKeys(made, { random: this.random, target: Math.min(DEFAULT_PREKEY_COUNT, made.preKeys.length + PER_TURN) });
    }
    return made;
  }

  /** A 0.3 device with the identity of our omemo:2 one (its Curve25519 form), its signed prekey signed with it. */
  private oldmemoDeviceOf(two: OwnDevice): OwnDevice {
    const fresh = createOwnDevice('oldmemo', { random: this.random, now: this.now, preKeyCount: 0 });
    const secret = ed25519SeedToCurvePrivate(two.identity.secret);
    const shared: OwnDevice = { ...fresh, identity: { secret, publicKey: x25519PublicKey(secret) } };
    return { ...rotateSignedPreKey(shared, { random: this.random, now: this.now }), previousSignedPreKey: null };
  }

  /** After sign-in: our device, its bundles and its place on our device lists, published (open access). */
  async sessionStarted(): Promise<void> {
    await this.ready;
    if (this.broken) return;
    this.online = true;
    this.lists.delete(this.ownBare);
    const deviceId = await this.ensureOwnDevice();
    if (deviceId === undefined) return;
    for (const version of VERSIONS) {
      let device = this.own.get(version)!;
      if (signedPreKeyDue(device, this.now())) device = rotateSignedPreKey(device, { random: this.random, now: this.now });
      device = refillPreKeys(device, { random: this.random, target: DEFAULT_PREKEY_COUNT });
      this.own.set(version, device);
    }
    await this.save();
    const lists = await this.listsOf(this.ownBare);
    for (const version of VERSIONS) {
      await this.publish(publishBundle(deviceId, getBundle(this.own.get(version)!))).catch(() => undefined);
      await this.publishList(version, (lists[version] ?? []).map((id) => ({ id }))).catch(() => undefined);
    }
  }

  private async publishList(version: XmppVersion, devices: OmemoDevice[]): Promise<void> {
    const deviceId = this.state.deviceId;
    if (deviceId === undefined) return;
    const own: OmemoDevice = version === 'twomemo' && this.deps.label ? { id: deviceId, label: this.deps.label } : { id: deviceId };
    const ids = withDevice(devices, own);
    await this.publish(publishDeviceList(version, ids));
    const lists = this.lists.get(this.ownBare) ?? { fetchedAt: this.now() };
    lists[version] = ids.map((d) => d.id);
    this.lists.set(this.ownBare, lists);
  }

  /** Publishes with publish-options; a node that exists with other settings is configured first (pep.ts). */
  private async publish(request: PublishRequest): Promise<void> {
    const reply = await this.deps.request(request.publish, IQ_TIMEOUT_MS);
    const action = publishFailureAction(reply);
    if (action === 'done') return;
    if (action === 'configure-then-publish') {
      await this.deps.request(request.configure, IQ_TIMEOUT_MS);
      const again = await this.deps.request(request.publish, IQ_TIMEOUT_MS);
      if (publishFailureAction(again) === 'done') return;
    }
    throw new Error('publish failed');
  }

  /** Prekeys used by a key exchange: new ones published in their place. */
  private async replenish(version: XmppVersion): Promise<void> {
    await this.serial(async () => {
      const device = refillPreKeys(this.own.get(version)!, { random: this.random, target: DEFAULT_PREKEY_COUNT });
      this.own.set(version, device);
      await this.save();
      if (this.online && this.state.deviceId !== undefined) await this.publish(publishBundle(this.state.deviceId, getBundle(device))).catch(() => undefined);
    }).catch(() => undefined);
  }

  // ---- what the router asks ----------------------------------------------------------------------

  async start(peer: string): Promise<void> {
    await this.ready;
    this.lists.delete(peer);
    await this.listsOf(peer).catch(() => undefined);
    this.host.privacyChanged(peer);
  }

  async end(peer: string): Promise<void> {
    // OMEMO has no session to end: the chat goes on encrypted while the contact has devices.
    this.host.privacyChanged(peer);
  }

  /** Devices of `peer` are known: OMEMO is the conversation's scheme. */
  engaged(peer: string): boolean {
    if (this.broken) return false;
    const lists = this.lists.get(peer);
    return !!lists && VERSIONS.some((v) => (lists[v]?.length ?? 0) > 0);
  }

  /** OMEMO is offered for a contact only when they announced devices (else OTR may take the chat). */
  offers(peer: string): boolean {
    return this.engaged(peer);
  }

  view(peer: string): E2eeView | undefined {
    if (!this.engaged(peer)) return undefined;
    // A device the user can act on has a key: one announced in a version whose bundle was never fetched
    // (a Klatsch device announces its id in both, one identity key per version) has none to show or verify.
    const devices = this.devices(peer).filter((d) => d.fingerprint !== '');
    const used = devices.filter((d) => d.trust === 'blind' || d.trust === 'verified');
    const held = devices.find((d) => d.trust === 'held');
    const verifiedAny = devices.some((d) => d.trust === 'verified');
    return {
      scheme: OMEMO_SCHEME,
      state: 'private',
      verified: used.length > 0 && used.every((d) => d.trust === 'verified'),
      ...(used[0]?.fingerprint ? { fingerprint: used[0].fingerprint } : {}),
      ...(held ? { keyWarning: { fingerprint: held.fingerprint, changedFromVerified: verifiedAny } } : {}),
      devices: devices.map((d) => ({ id: String(d.deviceId), fingerprint: d.fingerprint, trust: d.trust, label: `OMEMO ${d.version}` })),
    };
  }

  requiresPrivacy(): boolean {
    return false;
  }

  plaintextNeedsNotice(peer: string): boolean {
    return this.engaged(peer);
  }

  plaintextOf(body: string): string {
    return body;
  }

  async resourceOffline(): Promise<void> {}

  async resourceAvailable(full: string): Promise<void> {
    // The server sends the device list with the presence (+notify); a contact without PEP notifications is asked.
    const jid = bareJid(full);
    if (!jid || this.lists.has(jid)) return;
    await this.ready;
    await this.listsOf(jid).catch(() => undefined);
  }

  async streamLost(): Promise<void> {
    this.online = false;
  }

  async signingOff(): Promise<void> {
    this.online = false;
    await this.save();
  }

  tick(): void {
    // Offline messages are in: prekeys their key exchanges used are forgotten (forward secrecy).
    if (this.lastKeyExchangeAt !== undefined && this.now() - this.lastKeyExchangeAt > USED_PREKEY_GRACE_MS) {
      this.lastKeyExchangeAt = undefined;
      void this.serial(async () => {
        for (const [version, device] of this.own) if (device.usedPreKeys.length > 0) this.own.set(version, deleteUsedPreKeys(device));
        await this.save();
      }).catch(() => undefined);
    }
    if (this.online) {
      for (const [version, device] of this.own) {
        if (!signedPreKeyDue(device, this.now())) continue;
        void this.serial(async () => {
          const rotated = rotateSignedPreKey(this.own.get(version)!, { random: this.random, now: this.now });
          this.own.set(version, rotated);
          await this.save();
          if (this.state.deviceId !== undefined) await this.publish(publishBundle(this.state.deviceId, getBundle(rotated))).catch(() => undefined);
        }).catch(() => undefined);
      }
    }
  }

  async policyChanged(): Promise<void> {}
}

function count(list: { target: Target }[], peer: string): number {
  return list.filter((s) => s.target.jid === peer).length;
}

/** The Curve25519 form (hex) of an Ed25519 key (hex); undefined when it is no valid point. */
function safeCurveHex(edHex: string): string | undefined {
  try {
    return toHex(ed25519PublicToCurve25519(Buffer.from(edHex, 'hex')));
  } catch {
    return undefined;
  }
}

/** The XEP-0203 stamp of a forwarded or stored message, in ms. */
function parseDelay(message: Element): number | undefined {
  const stamp = message.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp;
  const ms = typeof stamp === 'string' ? Date.parse(stamp) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

