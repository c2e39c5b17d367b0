import { useCallback, useLayoutEffect, useRef } from 'react';
import type { ChatMessage } from '../../shared/contract';
import { dayKey, formatDay, formatFullDate, formatTime } from '../format';
import { VirtualList, type VirtualListHandle } from './VirtualList';

type Props = {
  peer: string;
  peerName: string;
  messages: ChatMessage[];
  onResend: (message: ChatMessage) => void;
  /** The id of the message the user may correct (our last plaintext one), and what correcting it does. */
  editableId?: string;
  onEdit?: (message: ChatMessage) => void;
  /** The user scrolled to the oldest message shown: load older ones (prepended; the view keeps its place). */
  onReachTop?: () => void;
};

const stateLabel: Record<ChatMessage['state'], string> = {
  sending: 'Sending…',
  waiting: 'Waiting for the private conversation…',
  sent: 'Sent',
  failed: 'Not sent',
  received: 'Received',
  delivered: 'Delivered to their app',
};

export function MessageItem({
  message,
  onResend,
  onEdit,
}: {
  message: ChatMessage;
  onResend: (message: ChatMessage) => void;
  onEdit?: ((message: ChatMessage) => void) | undefined;
}) {
  if (message.direction === 'notice') {
    return (
      <div className="message notice" data-testid="message" data-direction="notice" data-state={message.state}>
        <p className="notice-text" data-testid="message-body">
          {message.body}
        </p>
      </div>
    );
  }
  return (
    <div
      className={`message ${message.direction} state-${message.state}`}
      data-testid="message"
      data-direction={message.direction}
      data-state={message.state}
    >
      <div className="bubble">
        {/* A text node only: message text is never interpreted as HTML. */}
        <div className="message-body" data-testid="message-body">
          {message.body}
        </div>
        <div className="message-meta">
          <time dateTime={new Date(message.timestamp).toISOString()} title={formatFullDate(message.timestamp)}>
            {formatTime(message.timestamp)}
          </time>
          {message.edited && (
            <span className="message-edited" data-testid="message-edited" title="The text was corrected">
              edited
            </span>
          )}
          {onEdit && (
            <button type="button" className="button subtle" data-testid="edit-button" onClick={() => onEdit(message)}>
              Edit
            </button>
          )}
          {message.encrypted && (
            <span className="message-lock" title="Sent privately (end-to-end encrypted)" aria-label="private">
              🔒
            </span>
          )}
          {(message.state === 'sending' || message.state === 'waiting') && (
            <span className="message-state">{stateLabel[message.state]}</span>
          )}
          {message.state === 'sent' && (
            <span className="message-state" title={stateLabel.sent} aria-label={stateLabel.sent}>
              ✓
            </span>
          )}
          {message.state === 'delivered' && (
            <span className="message-state delivered" data-testid="message-delivered" title={stateLabel.delivered} aria-label={stateLabel.delivered}>
              ✓✓
            </span>
          )}
        </div>
      </div>
      {message.state === 'failed' && (
        <p className="message-error" data-testid="message-error">
          Not sent{message.error ? `: ${message.error}` : ''}{' '}
          <button type="button" className="button subtle" data-testid="resend-button" onClick={() => onResend(message)}>
            Send again
          </button>
        </p>
      )}
    </div>
  );
}

/**
 * The conversation, oldest first, following the newest message unless the user scrolled up;
 * virtualized (only the messages near the viewport are in the DOM).
 */
export function MessageList({ peer, peerName, messages, onResend, editableId, onEdit, onReachTop }: Props) {
  const list = useRef<VirtualListHandle>(null);
  const shownPeer = useRef<string | null>(null);
  const last = messages[messages.length - 1];
  const lastId = last?.id;
  const lastIsOurs = last?.direction === 'out';

  // Opening a chat or having just sent: show the newest message (reading at the bottom follows by itself).
  useLayoutEffect(() => {
    const newChat = shownPeer.current !== peer;
    shownPeer.current = peer;
    if (newChat || lastIsOurs) list.current?.scrollToBottom();
  }, [peer, lastId, lastIsOurs]);

  const itemKey = useCallback((i: number) => `${messages[i]!.direction}\n${messages[i]!.id}`, [messages]);
  const startsDay = useCallback((i: number) => i === 0 || dayKey(messages[i - 1]!.timestamp) !== dayKey(messages[i]!.timestamp), [messages]);
  // A guess until measured: one line of text, the meta line, a day separator; longer texts wrap.
  const estimateHeight = useCallback(
    (i: number) => 52 + Math.floor(messages[i]!.body.length / 60) * 20 + (startsDay(i) ? 40 : 0),
    [messages, startsDay],
  );

  if (messages.length === 0) {
    return (
      <div className="message-scroll" role="log" aria-label={`Messages with ${peerName}`}>
        <p className="chat-empty muted">No messages with {peerName} yet. Say hello!</p>
      </div>
    );
  }

  function renderMessage(i: number) {
    const m = messages[i]!;
    return (
      <>
        {startsDay(i) && (
          <p className="day-separator">
            <span>{formatDay(m.timestamp)}</span>
          </p>
        )}
        <MessageItem message={m} onResend={onResend} onEdit={m.id === editableId && m.direction === 'out' ? onEdit : undefined} />
      </>
    );
  }

  return (
    // The log role sits on the container: on the <ol> it would hide the list from assistive technology (axe: listitem).
    <VirtualList
      ref={list}
      className="message-scroll"
      role="log"
      ariaLabel={`Messages with ${peerName}`}
      tabIndex={0}
      listTag="ol"
      listClassName="messages"
      count={messages.length}
      itemKey={itemKey}
      estimateHeight={estimateHeight}
      renderItem={renderMessage}
      stickToBottom
      {...(onReachTop ? { onReachTop } : {})}
    />
  );
}
