/**
 * Group chats (XEP-0384 §5.6): a room message sealed for every member's usable devices, and a member's room
 * message opened.
 */
import xml, { type Element } from '@xmpp/xml';
import { encryptKey, encryptPayload, type Session } from '../../omemo/index.js';
import { NAMESPACE, type OmemoVersion as XmppVersion } from '../../omemo/xmpp/common.js';
import { buildEncrypted, type OmemoKeyElement } from '../../omemo/xmpp/encrypted.js';
import { buildEnvelope, makeRpad } from '../../omemo/xmpp/sce.js';
import type { GroupOpened, GroupSealed } from '../provider.js';
import { OMEMO_FALLBACK, ENGINE, type Target, key } from './core.js';
import { OmemoOneToOne } from './one-to-one.js';

export abstract class OmemoGroups extends OmemoOneToOne {
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

  /** One `<encrypted/>` of `version` carrying `text` with a key for each session (which move on). */
  protected seal(version: XmppVersion, list: { target: Target; session: Session }[], text: string, to: string): Element {
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
}
