/**
 * The steps of the incoming pipeline for one-to-one messages (account.ts says their order): parsing, errors
 * about our messages, whose messages reach the chats at all, and handing each one to the encryption router.
 */
import type { ChatMessage } from '../../../shared/contract.js';
import { ownStanzaId } from '../archive/mam.js';
import type { MessageArchive } from '../archive/message-archive.js';
import type { ChatLog } from '../chat-log.js';
import { parseReplace } from '../correction/correction.js';
import type { E2eeRouter } from '../e2ee/router.js';
import type { SenderGate } from '../policy/sender-gate.js';
import type { OwedReceipts } from '../receipts/owed-receipts.js';
import { parseMessage, type ParsedMessage } from '../xmpp/stanzas.js';
import type { IncomingChatMessage, IncomingStanza, Pipeline, StanzaHandler } from './pipeline.js';

/** `<message/>` only (presence and the rest ended before). */
export const messagesOnly: StanzaHandler<IncomingStanza> = ({ stanza }, next) => {
  if (stanza.name === 'message') next();
};

/** The last step of the stanza pipeline: a one-to-one message, parsed, goes through `chatMessages`. */
export function parsed(chatMessages: Pipeline<IncomingChatMessage>): StanzaHandler<IncomingStanza> {
  return ({ stanza }) => {
    const message = parseMessage(stanza);
    if (message) chatMessages.run({ stanza, message });
  };
}

/** An error about one of our messages (`sent`) goes to `returned` (the delivery); any other error ends here. */
export function errorsHandler(chats: ChatLog, returned: (sent: ChatMessage, error: ParsedMessage) => void): StanzaHandler<IncomingChatMessage> {
  return ({ message }, next) => {
    if (message.type !== 'error') return next();
    const sent = message.id ? chats.find(message.fromBare, message.id, 'out') : undefined;
    if (sent) returned(sent, message);
  };
}

/** Whose messages reach the chats: not our own (carbons came before), not those the administrator denies. */
export function sendersHandler(ownBare: () => string, senders: SenderGate): StanzaHandler<IncomingChatMessage> {
  return ({ message }, next) => {
    if (message.fromBare === ownBare()) return; // carbons are not enabled; nothing else of ours is a chat
    // The administrator's deny list: a message with a text is noted (never its text), chat states are not.
    if (message.body ? !senders.acceptsSender(message.fromBare) : !senders.acceptsFrom(message.fromBare)) return;
    next();
  };
}

export interface ReceiveHost {
  e2ee: Pick<E2eeRouter, 'claimant' | 'receive'>;
  receipts: OwedReceipts;
  archive: Pick<MessageArchive, 'available' | 'sawLive' | 'liveSettled'>;
  isContact(peer: string): boolean;
  ownBare(): string;
}

/**
 * The last step for a one-to-one message: every message passes the encryption router; the scheme that claims it
 * decrypts it or hides its protocol noise; plaintext goes to the conversation's scheme, which shows it as it is
 * (with a notice where needed).
 */
export function receiveHandler(host: ReceiveHost): StanzaHandler<IncomingChatMessage> {
  return (ctx) => {
    const { stanza, message } = ctx;
    const body = message.body === '' ? undefined : message.body;
    // Chat states and receipts only (a scheme's message may have no body: its payload is its own).
    if (body === undefined && !host.e2ee.claimant(stanza)) return;
    // A receipt is owed only if the body turns out to be something shown (see IncomingMessages.show).
    const owed = host.receipts.owe(ctx, host.isContact);
    const live = liveArchiveId(host, stanza);
    const replaces = parseReplace(stanza);
    void host.e2ee
      .receive(message.from, { id: message.id, stampedAt: message.stampedAt, ...(replaces === undefined ? {} : { replaces }), ...live }, stanza, body)
      .finally(() => {
        if (owed) host.receipts.settle(owed);
        // Shown (on disk) or dropped: the archive mark may pass it now, never before (a kill meanwhile would lose it).
        if (live.archiveId !== undefined) host.archive.liveSettled(live.archiveId);
      });
  };
}

/** The archive id our server gave a live message, believed only from a server that has an archive. */
function liveArchiveId(host: ReceiveHost, stanza: IncomingStanza['stanza']): { archiveId?: string } {
  const archiveId = host.archive.available ? ownStanzaId(stanza, host.ownBare()) : undefined;
  if (archiveId !== undefined) host.archive.sawLive(archiveId);
  return archiveId === undefined ? {} : { archiveId };
}
