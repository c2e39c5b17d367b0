/**
 * End-to-end encryption applied to the rooms we are in (the pure rules are in room-e2ee.ts): whether a room
 * is encrypted (decided on entering and again when its configuration changes), sending sealed for every
 * member's devices or not at all, and opening what members send.
 */
import type { Element } from '@xmpp/xml';
import type { ChatMessage } from '../../../shared/contract.js';
import type { XmppSession } from '../xmpp/xmpp-session.js';
import type { GroupEncryption } from '../e2ee/provider.js';
import { DISCO_TIMEOUT_MS, type RoomsContext } from './rooms-context.js';
import { affiliationListIq, groupRecipients, MEMBER_AFFILIATIONS, parseAffiliationList, realJidOnMessage, roomFeatures, roomQualifiesForE2ee } from './room-e2ee.js';
import { discoInfoIq, encryptedGroupchatMessage, NS_DISCO_INFO, roomAddress, type GroupchatMessage } from './muc-stanzas.js';
import type { Room } from './room.js';

/** An encrypted room's member list is asked for again before sending when older than this. */
const MEMBERS_MAX_AGE_MS = 30_000;

export class RoomEncryption {
  constructor(private readonly ctx: RoomsContext) {}

  /**
   * A message in an encrypted room: sealed for every member's devices, or not sent at all — never in plaintext
   * into a room the user sees as encrypted.
   */
  async sendEncrypted(room: Room, session: XmppSession, message: ChatMessage): Promise<ChatMessage> {
    this.ctx.upsert(message);
    const scheme = this.ctx.deps.groupE2ee?.();
    if (!scheme || scheme.scheme !== room.e2ee) {
      return this.ctx.upsert({ ...message, state: 'failed', error: { reason: 'room-e2ee-unavailable', text: 'This group chat is end-to-end encrypted, and encryption is not available now; the message was not sent.' } });
    }
    await this.refreshMembers(room, session);
    const members = groupRecipients(this.ctx.deps.ownBare?.() ?? '', room.occupantList(), room.affiliated);
    const sealed = await scheme.encryptGroup(room.jid, members, message.body).catch(() => undefined);
    if (!sealed) return this.ctx.upsert({ ...message, state: 'failed', error: { reason: 'room-not-encrypted', text: 'The message could not be encrypted; it was not sent.' } });
    if (!sealed.ok) {
      const who = sealed.unreachable.slice(0, 5).join(', ') + (sealed.unreachable.length > 5 ? ` and ${sealed.unreachable.length - 5} more` : '');
      const text = `Not sent: no device of ${who} can receive encrypted messages now (none announced or trusted, or their keys could not be fetched).`;
      return this.ctx.upsert({ ...message, state: 'failed', error: { reason: 'room-no-devices', params: { who }, text } });
    }
    // Said once per member while their device waits, not with every message.
    for (const jid of sealed.held) {
      if (room.toldHeld.has(jid)) continue;
      room.toldHeld.add(jid);
      this.ctx.notice(room.jid, `Not encrypted for a new device of ${jid}: its key waits for your decision (open the keys to verify or accept it).`, { kind: 'room-device-held', detail: jid });
    }
    for (const jid of room.toldHeld) if (!sealed.held.includes(jid)) room.toldHeld.delete(jid);
    try {
      let n = 0;
      for (const stanza of sealed.stanzas) {
        // The first stanza carries the message's id; each is known as ours when the room hands it back.
        const id = n === 0 ? message.id : `${message.id}-${n}`;
        n += 1;
        room.sentStanzas.add(id);
        // Bounded: reflections come back within moments; only the newest ids need recognising.
        if (room.sentStanzas.size > 1_000) room.sentStanzas.delete(room.sentStanzas.values().next().value!);
        await session.send(encryptedGroupchatMessage(room.jid, id, stanza));
      }
    } catch {
      return this.ctx.upsert({ ...message, state: 'failed', error: { reason: 'room-send-failed', text: 'The message could not be sent.' } });
    }
    return this.ctx.messages.find(room.jid, message.id, 'out') ?? message;
  }

  /** The room's owners, admins and members (offline members read later), asked again when old. */
  private async refreshMembers(room: Room, session: XmppSession): Promise<void> {
    if (this.ctx.deps.now() - room.affiliatedAt < MEMBERS_MAX_AGE_MS) return;
    const lists = await Promise.all(
      MEMBER_AFFILIATIONS.map((affiliation) => session.iq.request(affiliationListIq(room.jid, affiliation), DISCO_TIMEOUT_MS).then(parseAffiliationList, () => undefined)),
    );
    // A list that did not come keeps what we knew (nobody drops out of the recipients by a lost answer).
    const known = new Set(room.affiliated);
    room.affiliated = [...new Set([...lists.flatMap((l) => l ?? []), ...(lists.some((l) => l === undefined) ? known : [])])];
    room.affiliatedAt = this.ctx.deps.now();
  }

  /**
   * The room says its configuration changed (§10.2.1): whether it is encrypted is decided again, and a room
   * that stops being encrypted says so in it (what the user writes next goes out in plaintext).
   */
  async configurationChanged(stanza: Element): Promise<void> {
    const room = this.ctx.rooms.get(roomAddress(String(stanza.attrs.from ?? '')) ?? '');
    if (!room || room.state !== 'joined') return;
    const before = room.e2ee;
    await this.decideE2ee(room, this.ctx.deps.session());
    if (this.ctx.rooms.get(room.jid) !== room) return;
    const refusal = room.e2ee ? undefined : this.ctx.deps.plaintextRefused?.();
    if (refusal) return this.ctx.refusePlaintext(room, refusal);
    if (before && !room.e2ee) this.ctx.notice(room.jid, 'This group chat is no longer end-to-end encrypted: its settings changed, and the server and every occupant can read what is written here now.', { kind: 'room-e2ee-off' });
    else if (!before && room.e2ee) this.ctx.notice(room.jid, 'This group chat is end-to-end encrypted now: its settings changed to members only, with every member\u2019s address shown.', { kind: 'room-e2ee-on' });
    this.ctx.emitRoom(room);
  }

  /** Whether the room can be end-to-end encrypted (its disco#info) with the account's group scheme: decided on entering. */
  async decideE2ee(room: Room, session: XmppSession | undefined): Promise<void> {
    const scheme = this.ctx.deps.groupE2ee?.();
    room.e2ee = undefined;
    room.affiliatedAt = 0;
    if (!scheme || !session) return;
    const info = await session.iq.request(discoInfoIq(room.jid), DISCO_TIMEOUT_MS).catch(() => undefined);
    if (!roomQualifiesForE2ee(roomFeatures(info?.name === 'query' ? info : info?.getChild('query', NS_DISCO_INFO)))) return;
    room.e2ee = scheme.scheme;
    await this.refreshMembers(room, session).catch(() => undefined);
  }

  /**
   * An encrypted room message: the sender's nickname is mapped to their real address (the occupant's, or the
   * one the room put on its history), then it is decrypted; what cannot be read becomes a notice, never its payload.
   */
  async onEncrypted(m: GroupchatMessage, stanza: Element, scheme: GroupEncryption): Promise<void> {
    const { rooms, messages } = this.ctx;
    const room = rooms.get(m.room);
    if (!room || (room.state !== 'joined' && room.state !== 'joining') || m.nick === undefined) return;
    // Our own message handed back by the room (§7.4), recognised by its id: now it was sent.
    if (m.nick === room.nick && m.id && (room.sentStanzas.has(m.id) || messages.has(room.jid, m.id, 'out'))) {
      this.ctx.markSent(room.jid, m.id);
      return;
    }
    const now = this.ctx.deps.now();
    const timestamp = m.stampedAt !== undefined && m.stampedAt <= now ? m.stampedAt : now;
    const id = m.id ? `${m.nick}\n${m.id}` : m.stanzaId ? `sid\n${m.stanzaId}` : undefined;
    if (id === undefined || messages.has(room.jid, id, 'in') || messages.has(room.jid, id, 'notice')) return;
    const live = m.stampedAt === undefined;
    const sender = room.realJid(m.nick) ?? realJidOnMessage(stanza);
    if (!sender) {
      const notice = { kind: 'room-message-sender-unknown' as const, detail: m.nick };
      this.ctx.upsert({ id, peer: room.jid, direction: 'notice', body: `An encrypted message from ${m.nick} could not be read: the room did not tell who they are.`, timestamp, state: 'received', notice });
      return;
    }
    const opened = await scheme.decryptGroup(room.jid, sender, stanza, m.stampedAt, live);
    if (rooms.get(room.jid) !== room || messages.has(room.jid, id, 'in')) return;
    if (opened.kind === 'text') {
      if (live) {
        room.unread = Math.min(room.unread + 1, 1_000_000);
        this.ctx.scheduleEmit(room);
      }
      this.ctx.upsert({ id, peer: room.jid, direction: 'in', body: opened.text, timestamp, state: 'received', nick: m.nick, encrypted: true });
      return;
    }
    if (opened.kind === 'empty' || (opened.kind === 'not-for-us' && sender === this.ctx.deps.ownBare?.())) return;
    const who = `${m.nick} (${sender})`;
    const body = opened.kind === 'held'
      ? `A message from ${who} was not shown: it came from a device whose key ${opened.fingerprint} waits for your decision.`
      : opened.kind === 'not-for-us'
        ? `${who} sent an encrypted message that was not encrypted for this device.`
        : `An encrypted message from ${who} could not be decrypted.`;
    // A code worded by the UI (the English body for the log and the history); never the payload.
    const kind = opened.kind === 'held' ? 'room-message-held' : opened.kind === 'not-for-us' ? 'room-message-not-for-us' : 'room-message-undecryptable';
    this.ctx.upsert({ id, peer: room.jid, direction: 'notice', body, timestamp, state: 'received', notice: { kind, detail: who } });
  }
}

/** A groupchat message from the room itself (no nickname) with a status code of a configuration change (§10.2.1, 104, 170–175). */
export function isConfigurationChange(stanza: Element): boolean {
  if (String(stanza.attrs.from ?? '').includes('/')) return false;
  const codes = stanza.getChild('x', 'http://jabber.org/protocol/muc#user')?.getChildren('status').map((s) => s.attrs.code) ?? [];
  return codes.some((code) => code === '104' || (typeof code === 'string' && /^17[0-5]$/.test(code)));
}
