/**
 * Trust in each device's key and what the UI sees of it: blind trust before verification or 'ask', the
 * notices of every trust change, the user's decisions (verify, accept, refuse, forget, by URI), the trust
 * manager's rows and the conversation's view().
 */
import { fingerprint } from '../../omemo/index.js';
import { toHex } from '../../omemo/bytes.js';
import { ed25519PublicToCurve25519 } from '../../omemo/crypto/xeddsa.js';
import { type OmemoVersion as XmppVersion } from '../../omemo/xmpp/common.js';
import type { E2eeView } from '../provider.js';
import type { NoticeKind } from '../../../../shared/contract.js';
import { type DeviceTrust } from './omemo-store.js';
import { OMEMO_SCHEME, VERSIONS, type OmemoDeviceView, type OmemoTrustRow, key } from './core.js';
import { OmemoDeviceLists } from './device-lists.js';

export abstract class OmemoTrust extends OmemoDeviceLists {
  /** The trust of a device's key, deciding it when the device (or its key) is new. */
  protected trustFor(jid: string, deviceId: number, version: XmppVersion, identityKey: Uint8Array): DeviceTrust {
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
  protected trustNotice(jid: string, fp: string, was: DeviceTrust | undefined, now: DeviceTrust): void {
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
  protected matchingKeys(jid: string, deviceId: number, hex: string): string[] {
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
  protected async learnDevice(jid: string, deviceId: number): Promise<void> {
    const lists = await this.listsOf(jid, { refresh: true }).catch(() => undefined);
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

  view(peer: string): E2eeView | undefined {
    if (!this.engaged(peer)) return undefined;
    if (this.broken) return { scheme: OMEMO_SCHEME, state: 'finished', verified: false, unavailable: 'keys-unreadable' };
    // OMEMO was used with them, and their lists now name no device: nothing can be sent, and nothing goes in plaintext.
    if (this.lists.has(peer) && !this.announcesDevices(peer)) return { scheme: OMEMO_SCHEME, state: 'finished', verified: false, unavailable: 'devices-gone' };
    // A Klatsch device announces its id in both versions, one identity key each; the version whose bundle was
    // never fetched has no key to show or verify: that keyless twin of a row with a key is left out. A device
    // new in the list (its key not fetched yet) still shows, so the user learns of it.
    const all = this.devices(peer);
    const keyed = new Set(all.filter((d) => d.fingerprint !== '').map((d) => d.deviceId));
    const devices = all.filter((d) => d.fingerprint !== '' || !keyed.has(d.deviceId));
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
}

/** The Curve25519 form (hex) of an Ed25519 key (hex); undefined when it is no valid point. */
function safeCurveHex(edHex: string): string | undefined {
  try {
    return toHex(ed25519PublicToCurve25519(Buffer.from(edHex, 'hex')));
  } catch {
    return undefined;
  }
}
