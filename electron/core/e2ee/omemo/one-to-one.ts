/**
 * One-to-one messages: sessions per device, encrypting and sending for every usable device of the contact and
 * our other devices, receiving and decrypting (live, and copies from carbons and the archive via decryptCopy),
 * heartbeats, and repairing a session that failed.
 */
import { createHash } from 'node:crypto';
import xml, { type Element } from '@xmpp/xml';
import { decryptKey, decryptPayload, emptyKeyMaterial, encryptKey, encryptPayload, fingerprint, isOmemoError, startSession, type Session } from '../../omemo/index.js';
import { bareJid } from '../../values/jid.js';
import { NAMESPACE, type OmemoVersion as XmppVersion } from '../../omemo/xmpp/common.js';
import { buildEncrypted, keyFor, type OmemoEncrypted, type OmemoKeyElement } from '../../omemo/xmpp/encrypted.js';
import { buildEnvelope, makeRpad, parseEnvelope } from '../../omemo/xmpp/sce.js';
import type { EncryptedCopy, SendOptions, StanzaInfo } from '../provider.js';
import { OMEMO_FALLBACK, HEARTBEAT_AFTER, REPAIR_INTERVAL_MS, MEMO_MAX, ENGINE, VERSIONS, type Target, key } from './core.js';
import { OmemoTrust } from './trust.js';

export abstract class OmemoOneToOne extends OmemoTrust {
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

  /**
   * Decrypts one message from `sender` (a bare JID: the contact, or us for our other devices). `live`:
   * the device answers (completes sessions, heartbeats, repairs); copies only read.
   */
  protected async decrypt(
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
  protected addressedToAccount(encrypted: OmemoEncrypted): boolean {
    if (encrypted.version === 'twomemo') return encrypted.keys.some((k) => k.jid === this.ownBare);
    const lists = this.lists.get(this.ownBare);
    const ours = new Set([...(lists?.oldmemo ?? []), ...(lists?.twomemo ?? [])]);
    return encrypted.keys.some((k) => ours.has(k.rid));
  }

  protected remember(memoKey: string, text: string): void {
    this.memo.set(memoKey, text);
    if (this.memo.size > MEMO_MAX) this.memo.delete(this.memo.keys().next().value!);
  }

  async send(peer: string, id: string, text: string, options: SendOptions = {}): Promise<void> {
    await this.ready;
    if (this.broken) {
      this.host.messageState(peer, id, 'failed', 'The OMEMO keys on this computer cannot be read (their file is damaged, and left as it is); nothing was sent.');
      return;
    }
    try {
      const sent = await this.serial(() => this.encryptAndSend(peer, text, id));
      if (sent) this.host.messageState(peer, id, 'sent', undefined, true);
      else this.host.messageState(peer, id, 'failed', `No device of ${peer} can receive encrypted messages now (none trusted, or their keys could not be fetched).`);
    } catch {
      this.host.messageState(peer, id, 'failed', 'The connection was lost before the message went out.');
    }
    void options;
  }

  /**
   * Encrypts `text` (undefined: an empty message) for every usable device of `peer` and our other devices, and
   * sends one stanza per version in use; false when no device of the contact could be encrypted for.
   */
  protected async encryptAndSend(peer: string, text: string | undefined, messageId: string | undefined, only?: Target): Promise<boolean> {
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

  /** Every device to encrypt for: the contact's and our other ones (targetsOf). */
  protected targets(peer: string): Promise<Target[]> {
    return this.targetsOf([peer, this.ownBare]);
  }

  /** Every device of `jids` to encrypt for, each once, in omemo:2 where it announced it; never this device. */
  protected async targetsOf(jids: readonly string[]): Promise<Target[]> {
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

  /** A session with the device, started from its bundle if there is none; undefined if not usable (trust, no bundle). */
  protected async sessionFor(target: Target): Promise<Session | undefined> {
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

  /** An empty message to one device: completes a session, moves the ratchet on, or carries a new key exchange. */
  protected async sendEmpty(target: Target): Promise<void> {
    const peer = target.jid === this.ownBare ? this.ownBare : target.jid;
    await this.serial(() => this.encryptAndSend(peer, undefined, undefined, target)).catch(() => undefined);
  }

  /** A session that failed: forgotten, and a new one started with an empty message (its key exchange). */
  protected async repair(jid: string, deviceId: number, version: XmppVersion): Promise<void> {
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
}

function count(list: { target: Target }[], peer: string): number {
  return list.filter((s) => s.target.jid === peer).length;
}

/** The XEP-0203 stamp of a forwarded or stored message, in ms. */
function parseDelay(message: Element): number | undefined {
  const stamp = message.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp;
  const ms = typeof stamp === 'string' ? Date.parse(stamp) : NaN;
  return Number.isFinite(ms) ? ms : undefined;
}
