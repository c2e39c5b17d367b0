/**
 * What is said in the rooms we are in: the user's messages (plaintext, or through room-encryption.ts in an
 * encrypted room), the room's messages and history (each shown once, however often the room repeats it),
 * the subject, and the room's errors about what we sent.
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../../shared/contract.js';
import { KlatschError } from '../errors.js';
import { hashId, type RoomsContext } from './rooms-context.js';
import type { RoomEncryption } from './room-encryption.js';
import { roomErrorView, roomServerProblem } from './muc-errors.js';
import { groupchatMessage, roomAddress, subjectMessage, type GroupchatMessage } from './muc-stanzas.js';

export class RoomMessages {
  constructor(
    private readonly ctx: RoomsContext,
    private readonly encryption: RoomEncryption,
  ) {}

  async send(address: string, body: string): Promise<ChatMessage> {
    const room = this.ctx.known(address);
    const session = this.ctx.online();
    if (room.state !== 'joined') throw new KlatschError('not-connected', 'You are not in this room; the message was not sent.', { reason: 'room-not-in-not-sent' });
    const refusal = room.e2ee ? undefined : this.ctx.deps.plaintextRefused?.();
    if (refusal) throw new KlatschError('forbidden-by-policy', refusal, { reason: 'room-plaintext-refused' });
    const message: ChatMessage = { id: randomUUID(), peer: room.jid, direction: 'out', body, timestamp: this.ctx.deps.now(), state: 'sending', nick: room.nick };
    if (room.e2ee) return this.encryption.sendEncrypted(room, session, { ...message, encrypted: true });
    this.ctx.upsert(message);
    try {
      await session.send(groupchatMessage(room.jid, message.id, body));
    } catch {
      return this.ctx.upsert({ ...message, state: 'failed', error: { reason: 'room-send-failed', text: 'The message could not be sent.' } });
    }
    // 'sent' once the room hands it back to us (§7.4); until then it shows as sending.
    return this.ctx.messages.find(room.jid, message.id, 'out') ?? message;
  }

  async setSubject(address: string, subject: string): Promise<void> {
    const room = this.ctx.known(address);
    const session = this.ctx.online();
    if (room.state !== 'joined') throw new KlatschError('not-connected', 'You are not in this room.', { reason: 'room-not-in' });
    // A subject is plaintext even in an encrypted room.
    const refusal = this.ctx.deps.plaintextRefused?.();
    if (refusal) throw new KlatschError('forbidden-by-policy', refusal, { reason: 'room-plaintext-refused' });
    await session.send(subjectMessage(room.jid, randomUUID(), subject));
  }

  markRead(address: string): void {
    const room = this.ctx.rooms.get(roomAddress(address) ?? '');
    if (!room || room.unread === 0) return;
    room.unread = 0;
    this.ctx.emitRoom(room);
  }

  onMessage(m: GroupchatMessage): void {
    const { messages } = this.ctx;
    const room = this.ctx.rooms.get(m.room);
    if (!room || (room.state !== 'joined' && room.state !== 'joining')) return; // forged, or a room we left
    if (m.subject !== undefined && m.body === undefined) {
      room.subject = m.subject.trim() === '' ? undefined : m.subject;
      this.ctx.scheduleEmit(room);
      return;
    }
    if (m.body === undefined || m.body === '') return;
    const now = this.ctx.deps.now();
    const timestamp = m.stampedAt !== undefined && m.stampedAt <= now ? m.stampedAt : now;
    if (m.nick === undefined) {
      // Said by the room itself (a configuration change, …): shown as a notice.
      const id = m.stanzaId ?? m.id ?? hashId('room', timestamp, m.body);
      if (!messages.has(room.jid, id, 'notice')) this.ctx.upsert({ id, peer: room.jid, direction: 'notice', body: m.body, timestamp, state: 'received' });
      return;
    }
    // Our own message handed back by the room (§7.4): now it was sent.
    if (m.nick === room.nick && m.id && messages.has(room.jid, m.id, 'out')) {
      this.ctx.markSent(room.jid, m.id);
      return;
    }
    // The same message comes again in the history after every reconnect: one id per sender and message.
    const id = m.id ? `${m.nick}\n${m.id}` : m.stanzaId ? `sid\n${m.stanzaId}` : hashId(m.nick, timestamp, m.body);
    if (messages.has(room.jid, id, 'in')) return;
    const live = m.stampedAt === undefined;
    if (live) {
      room.unread = Math.min(room.unread + 1, 1_000_000);
      this.ctx.scheduleEmit(room);
    }
    this.ctx.upsert({ id, peer: room.jid, direction: 'in', body: m.body, timestamp, state: 'received', nick: m.nick });
  }

  onMessageError(m: GroupchatMessage): void {
    if (!m.id) return;
    const sent = this.ctx.messages.find(m.room, m.id, 'out');
    if (!sent || sent.state === 'failed') return;
    const serverProblem = roomServerProblem(m.errorCondition, m.room);
    const problem = m.errorText ?? 'error';
    const error = serverProblem ? roomErrorView(serverProblem) : { reason: 'not-delivered', params: { problem }, text: `Not delivered: ${problem}` };
    this.ctx.upsert({ ...sent, state: 'failed', error });
  }
}
