/**
 * Timing points along one chat message's way through a core, for scripts/bench-chat.ts, which sets
 * `latencyProbe.mark` to record them (the app never does: each point then costs one property read).
 * `key` is a message id, or what a socket wrote or read (the bench only looks for a message id in it);
 * nothing is logged or kept here.
 *
 * The points, in the order one message passes them:
 * - `outbox-written`: the sender's outbox has it on disk (Account.sendMessage);
 * - `stanza-queued`: its stanza (encrypted where private) is handed to the stream (XmppSession.send);
 * - `socket-write`: the coalesced write that carries it goes to the TLS socket (WriteCoalescer.flush);
 * - `socket-read`: the receiver's TLS socket hands on data (SecureSocket);
 * - `stanza-parsed`: the receiver's stream parsed the stanza (XmppSession);
 * - `incoming-handled`: handlers and decryption are done, the message is about to be stored and shown (Account);
 * - `history-written`: the receiver's history committed it to disk (HistoryStore.putDurably; kept messages only).
 */
export type ProbePoint = 'outbox-written' | 'stanza-queued' | 'socket-write' | 'socket-read' | 'stanza-parsed' | 'incoming-handled' | 'history-written';

export const latencyProbe: { mark: ((point: ProbePoint, key: string | Buffer) => void) | undefined } = { mark: undefined };
