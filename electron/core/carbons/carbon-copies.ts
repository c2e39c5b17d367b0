/**
 * Message Carbons (XEP-0280) in the incoming pipeline: copies of what our other devices sent and received shown
 * in their chats (ours as outgoing), their chat states, their corrections (XEP-0308).
 */
import { randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../../shared/contract.js';
import type { ChatLog } from '../chat-log.js';
import type { ChatWriter } from '../chats/chat-writer.js';
import type { ContactTyping } from '../chat-states/contact-typing.js';
import type { OutgoingChatStates } from '../chat-states/chat-states.js';
import { correctionTarget, lastOf } from '../correction/correction.js';
import type { E2eeRouter } from '../e2ee/router.js';
import type { IncomingStanza, StanzaHandler } from '../incoming/pipeline.js';
import { placeIncoming } from '../message-time.js';
import type { SenderGate } from '../policy/sender-gate.js';
import { carbonChatState, carbonCopy, checkCarbon, type CarbonChatState, type CarbonCopy } from './carbons.js';

export interface CarbonCopiesHost {
  ownBare(): string;
  senders: Pick<SenderGate, 'acceptsSender' | 'acceptsFrom'>;
  e2ee: Pick<E2eeRouter, 'claimant' | 'plaintextOf' | 'readCopy' | 'plaintextNeedsNotice'>;
  chats: ChatLog;
  writer: ChatWriter;
  typing: ContactTyping;
  chatStates: OutgoingChatStates;
  isContact(peer: string): boolean;
  /** The contact's unread count or typing changed: the account tells the UI. */
  contactChanged(peer: string): void;
  /** A copy of a message someone else sent us was just shown (desktop notifications). */
  incoming(message: ChatMessage): void;
  now(): number;
}

export class CarbonCopies {
  constructor(private readonly host: CarbonCopiesHost) {}

  /** The incoming step: a carbon (believed only from our own bare JID) is handled here; anything else goes on. */
  readonly handler: StanzaHandler<IncomingStanza> = ({ stanza }, next) => {
    const ownBare = this.host.ownBare();
    const carbon = checkCarbon(stanza, ownBare);
    if (carbon.kind === 'rejected') return; // a spoofed or malformed carbon: nothing of it is believed
    if (carbon.kind !== 'carbon') return next();
    const state = carbonChatState(carbon, ownBare);
    if (state) this.carbonChatState(state);
    const copy = carbonCopy(carbon, ownBare, (message) => this.host.e2ee.claimant(message) !== undefined);
    if (copy) this.showCarbon(copy);
  };

  /**
   * A chat state in a carbon: the contact typing to another device of ours shows in the contact's
   * chat; a state our other device sent means this device's last word to the contact is stale.
   */
  private carbonChatState({ direction, peer, state }: CarbonChatState): void {
    if (!this.host.senders.acceptsFrom(peer)) return;
    if (direction === 'out') return this.host.chatStates.toldElsewhere(peer);
    if (this.host.isContact(peer)) this.host.typing.set(peer, state === 'composing');
  }

  /**
   * A correction (XEP-0308) in a carbon: of our last message (sent from another device) or of the
   * contact's last one; plaintext only. True when applied; otherwise the copy shows as a new message.
   */
  private applyCarbonCorrection(copy: CarbonCopy, body: string): boolean {
    if (copy.replaces === undefined) return false;
    const list = this.host.chats.list(copy.peer);
    const target = copy.direction === 'in' ? correctionTarget(list, copy.replaces) : lastOf(list, 'out');
    if (!target || target.id !== copy.replaces || target.encrypted) return false;
    if (copy.direction === 'in') this.host.typing.set(copy.peer, false);
    this.host.writer.upsert({ ...target, body, edited: true });
    return true;
  }

  /**
   * A copy of a message another of our devices sent or received. Plaintext shows in its chat (ours as
   * outgoing). A scheme's traffic goes to its provider: shown decrypted where copies can be decrypted
   * (OMEMO); otherwise (OTR) it is not ours to decrypt, nor to feed to our engine: one notice says so.
   */
  private showCarbon(copy: CarbonCopy): void {
    const { peer } = copy;
    if (!this.host.senders.acceptsSender(peer)) return; // the administrator's deny list, for copies too (either way: noted, never shown)
    const scheme = this.host.e2ee.claimant(copy.message);
    if (!scheme) {
      const body = this.host.e2ee.plaintextOf(copy.body ?? '');
      if (!this.applyCarbonCorrection(copy, body)) this.showCopy(copy, body, false);
      return;
    }
    void this.host.e2ee.readCopy({ peer, direction: copy.direction, message: copy.message }, copy.body).then((reading) => {
      if (reading.kind === 'decrypted') this.showCopy(copy, reading.text, true);
      else if (reading.kind === 'unreadable') this.otherDevicePrivate(peer);
    });
  }

  /** One notice per stretch of a chat: a private conversation took place on another device, unreadable here. */
  private otherDevicePrivate(peer: string): void {
    if (!this.host.writer.firstInStretch(peer)) return;
    this.host.writer.upsert({
      id: randomUUID(),
      peer,
      direction: 'notice',
      body: `A private conversation with ${peer} took place on another of your devices; its messages can be read only there.`,
      timestamp: this.host.now(),
      state: 'received',
      notice: { kind: 'other-device-private' },
    });
  }

  /** A carbon's message in its chat: `body` as it reads here, `encrypted` when it was decrypted. */
  private showCopy(copy: CarbonCopy, body: string, encrypted: boolean): void {
    const { peer } = copy;
    const chats = this.host.chats;
    let id = copy.id ?? randomUUID();
    if (chats.has(peer, id, copy.direction)) return; // already shown
    if (chats.has(peer, id, copy.direction === 'in' ? 'out' : 'in')) id = randomUUID();
    const timestamp = placeIncoming(copy.stampedAt, this.host.now());
    if (copy.direction === 'in') chats.countUnread(peer);
    if (copy.direction === 'in') this.host.typing.ended(peer);
    // On disk before it is shown, as a live message is: killed right after, the app would have shown a message its
    // history never got, and nothing brings it back (the original went to our other device, whose server may drop it
    // from the stream once archived, and the next catch-up starts past it). Issue 17.
    const shown = this.host.writer.upsert(
      {
        id,
        peer,
        direction: copy.direction,
        body,
        timestamp,
        state: copy.direction === 'in' ? 'received' : 'sent',
        ...(encrypted ? { encrypted: true } : {}),
      },
      true,
    );
    // In a private conversation, a plaintext copy is flagged as a live plaintext message is.
    if (!encrypted && this.host.e2ee.plaintextNeedsNotice(peer)) {
      this.host.writer.upsert({ id: randomUUID(), peer, direction: 'notice', body: 'The message above was not encrypted.', timestamp, state: 'received', notice: { kind: 'not-encrypted' } });
    }
    if (copy.direction === 'in') this.host.contactChanged(peer);
    if (copy.direction === 'in') this.host.incoming(shown);
  }
}
