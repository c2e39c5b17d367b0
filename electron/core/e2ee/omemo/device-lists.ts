/**
 * Device lists and bundles: PEP notifications and fetches of a contact's (and our own) device lists, bundle
 * fetching, and our own device — made on first need, its bundles and its place on our lists published, its
 * prekeys refilled and its signed prekey rotated.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Element } from '@xmpp/xml';
import { createOwnDevice, fingerprint, generateDeviceId, getBundle, refillPreKeys, rotateSignedPreKey, signedPreKeyDue, DEFAULT_PREKEY_COUNT, type Bundle, type OwnDevice } from '../../omemo/index.js';
import { ed25519SeedToCurvePrivate, x25519PublicKey } from '../../omemo/crypto/xeddsa.js';
import { bareJid } from '../../values/jid.js';
import { parseBundle } from '../../omemo/xmpp/bundle.js';
import { DEVICE_LIST_NODE, NS_PUBSUB_EVENT, type OmemoVersion as XmppVersion } from '../../omemo/xmpp/common.js';
import { parseDeviceList, withDevice, type OmemoDevice } from '../../omemo/xmpp/device-list.js';
import { fetchBundle, fetchDeviceList, fetchFailureMeaning, itemsOf, publishBundle, publishDeviceList, publishFailureAction, type PublishRequest } from '../../omemo/xmpp/pep.js';
import { DEVICE_LIST_MAX_AGE_MS, IQ_TIMEOUT_MS, VERSIONS, type DeviceLists, type Target, key } from './core.js';
import { OmemoCore } from './core.js';

export abstract class OmemoDeviceLists extends OmemoCore {
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
  protected deviceIdsOf(stanza: Element, version: XmppVersion, jid: string): number[] | undefined {
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
  protected noteRemoved(jid: string, before: DeviceLists | undefined, after: DeviceLists): void {
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

  /**
   * Notifications of each `jid|version` list so far: a fetch answered with an older list (sent before the
   * notification, processed after it) does not undo what the notification said.
   */
  private readonly notified = new Map<string, number>();

  protected async listArrived(jid: string, version: XmppVersion, ids: number[]): Promise<void> {
    const previous = this.lists.get(jid);
    const snapshot: DeviceLists | undefined = previous ? { ...previous } : undefined;
    const lists = previous ?? { fetchedAt: this.now() };
    const before = this.engaged(jid);
    const announcedBefore = this.announcesDevices(jid);
    this.notified.set(`${jid}|${version}`, (this.notified.get(`${jid}|${version}`) ?? 0) + 1);
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
    if (before !== this.engaged(jid) || announcedBefore !== this.announcesDevices(jid) || ids.length > 0) this.host.privacyChanged(jid);
  }

  protected async fetchBundleOf(target: Target): Promise<Bundle | undefined> {
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

  /**
   * The device lists of `jid`, fetched when not known or old, or always (`refresh`). What was known stays
   * known while the fetch runs (the chat never looks device-less meanwhile), and a version whose notification
   * came during the fetch keeps what the notification said.
   */
  protected async listsOf(jid: string, options: { refresh?: boolean } = {}): Promise<DeviceLists> {
    const cached = this.lists.get(jid);
    if (cached && !options.refresh && this.now() - cached.fetchedAt < DEVICE_LIST_MAX_AGE_MS) return cached;
    const fresh: DeviceLists = { fetchedAt: this.now() };
    const notifiedAtStart = VERSIONS.map((v) => this.notified.get(`${jid}|${v}`) ?? 0);
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
    const current = this.lists.get(jid);
    VERSIONS.forEach((v, i) => {
      if ((this.notified.get(`${jid}|${v}`) ?? 0) === notifiedAtStart[i]) return;
      if (current?.[v]) fresh[v] = current[v];
      else delete fresh[v];
    });
    const before = this.engaged(jid);
    const announcedBefore = this.announcesDevices(jid);
    this.lists.set(jid, fresh);
    this.noteRemoved(jid, current, fresh);
    if (jid !== this.ownBare && (before !== this.engaged(jid) || announcedBefore !== this.announcesDevices(jid))) this.host.privacyChanged(jid);
    return fresh;
  }

  /** Our device being made (it takes several turns): every caller meanwhile waits for the same one. */
  protected makingOwnDevice: Promise<number | undefined> | undefined;

  /** Our device, made on first need with an id no device of ours has; undefined while offline or broken. */
  protected async ensureOwnDevice(): Promise<number | undefined> {
    if (this.broken) return undefined;
    if (this.state.deviceId !== undefined && this.own.size === VERSIONS.length) return this.state.deviceId;
    this.makingOwnDevice ??= this.makeOwnDevice().finally(() => {
      this.makingOwnDevice = undefined;
    });
    return this.makingOwnDevice;
  }

  protected async makeOwnDevice(): Promise<number | undefined> {
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
  protected async withPreKeys(device: OwnDevice): Promise<OwnDevice> {
    const PER_TURN = 25;
    let made = device;
    while (made.preKeys.length < DEFAULT_PREKEY_COUNT) {
      await nextTurn();
      made = refillPreKeys(made, { random: this.random, target: Math.min(DEFAULT_PREKEY_COUNT, made.preKeys.length + PER_TURN) });
    }
    return made;
  }

  /** A 0.3 device with the identity of our omemo:2 one (its Curve25519 form), its signed prekey signed with it. */
  protected oldmemoDeviceOf(two: OwnDevice): OwnDevice {
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
    // Our lists as the server has them now (another client of ours may have changed them while we were away).
    await this.listsOf(this.ownBare, { refresh: true }).catch(() => undefined);
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

  protected async publishList(version: XmppVersion, devices: OmemoDevice[]): Promise<void> {
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
  protected async publish(request: PublishRequest): Promise<void> {
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
  protected async replenish(version: XmppVersion): Promise<void> {
    await this.serial(async () => {
      const device = refillPreKeys(this.own.get(version)!, { random: this.random, target: DEFAULT_PREKEY_COUNT });
      this.own.set(version, device);
      await this.save();
      if (this.online && this.state.deviceId !== undefined) await this.publish(publishBundle(this.state.deviceId, getBundle(device))).catch(() => undefined);
    }).catch(() => undefined);
  }
}
