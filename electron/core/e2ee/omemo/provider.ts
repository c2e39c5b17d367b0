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
 *
 * The provider is composed of one layer per concern, each in its own file: core.ts (state, store, queue),
 * device-lists.ts (device lists, bundles, our own device), trust.ts (trust, notices, the view), one-to-one.ts
 * (sessions, send and receive, copies) and groups.ts (room messages); this class adds what the router asks.
 */
import { deleteUsedPreKeys, getBundle, rotateSignedPreKey, signedPreKeyDue } from '../../omemo/index.js';
import { bareJid } from '../../values/jid.js';
import { publishBundle } from '../../omemo/xmpp/pep.js';
import type { E2eeProvider, GroupEncryption } from '../provider.js';
import { OMEMO_SCHEME, USED_PREKEY_GRACE_MS } from './core.js';
import { OmemoGroups } from './groups.js';

export { OMEMO_SCHEME, OMEMO_FALLBACK, OMEMO_NOTIFY_FEATURES, HEARTBEAT_AFTER, type OmemoProviderDeps, type OmemoDeviceView, type OmemoTrustRow } from './core.js';

export class OmemoProvider extends OmemoGroups implements E2eeProvider, GroupEncryption {
  readonly scheme = OMEMO_SCHEME;
  readonly decryptsCopies = true;

  async start(peer: string): Promise<void> {
    await this.ready;
    await this.listsOf(peer, { refresh: true }).catch(() => undefined);
    this.host.privacyChanged(peer);
  }

  async end(peer: string): Promise<void> {
    // OMEMO has no session to end: the chat goes on encrypted while the contact has devices.
    this.host.privacyChanged(peer);
  }

  /** OMEMO is offered for a contact only when they announced devices (else OTR may take the chat). */
  offers(peer: string): boolean {
    return this.engaged(peer);
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
