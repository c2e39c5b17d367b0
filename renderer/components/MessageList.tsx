import { Fragment, useLayoutEffect, useRef, useState } from 'react';
import type { ChatMessage } from '../../shared/contract';
import { dayKey, formatDay, formatFullDate, formatTime } from '../format';
import { MessageBody } from './MessageBody';
import { useTexts } from '../i18n/i18n';

/** Older history from the server's archive (XEP-0313), fetched when the user reaches the top. */
export type OlderHistory = {
  status: 'idle' | 'loading' | 'complete' | 'failed';
  /** Messages the last page added; the reason when it failed. */
  added?: number;
  error?: string;
  onLoad: () => void;
};

type Props = {
  peer: string;
  peerName: string;
  messages: ChatMessage[];
  onResend: (message: ChatMessage) => void;
  /** The id of the message the user may correct (our last plaintext one), and what correcting it does. */
  editableId?: string;
  onEdit?: (message: ChatMessage) => void;
  /**
   * A message to bring into view and highlight (a chosen search result, the store's `focusMessage`);
   * `onFocusShown` once it is on screen. A virtualized list must scroll to the id itself.
   */
  focus?: { id: string; seq: number } | undefined;
  onFocusShown?: (seq: number) => void;
  older?: OlderHistory;
};

/** How close to the top (px) starts loading older messages. */
const LOAD_OLDER_THRESHOLD = 32;

const stateLabel: Record<ChatMessage['state'], string> = {
  sending: 'Sending…',
  waiting: 'Waiting for the private conversation…',
  sent: 'Sent',
  failed: 'Not sent',
  received: 'Received',
  delivered: 'Delivered to their app',
};

/** How close to the bottom (px) still counts as "reading the newest messages". */
const STICK_THRESHOLD = 48;

export function MessageItem({
  message,
  onResend,
  onEdit,
  highlighted = false,
}: {
  message: ChatMessage;
  onResend: (message: ChatMessage) => void;
  onEdit?: ((message: ChatMessage) => void) | undefined;
  highlighted?: boolean;
}) {
  if (message.direction === 'notice') {
    return (
      <li className="message notice" data-testid="message" data-direction="notice" data-state={message.state}>
        <p className="notice-text" data-testid="message-body">
          {message.body}
        </p>
      </li>
    );
  }
  return (
    <li
      className={`message ${message.direction} state-${message.state}${highlighted ? ' message-focused' : ''}`}
      data-testid="message"
      data-message-id={message.id}
      data-direction={message.direction}
      data-state={message.state}
      data-focused={highlighted ? 'true' : undefined}
      {...(message.archiveId ? { 'data-archived': 'true' } : {})}
    >
      <div className="bubble">
        {/* Text nodes and link buttons only: message text is never interpreted as HTML. */}
        <div className="message-body" data-testid="message-body">
          <MessageBody text={message.body} />
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
    </li>
  );
}

/** The conversation, oldest first, following the newest message unless the user scrolled up. */
export function MessageList({ peer, peerName, messages, onResend, editableId, onEdit, older, focus, onFocusShown }: Props) {
  const texts = useTexts();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [highlightId, setHighlightId] = useState<string | null>(null);
  /** Distance from the bottom when older messages were asked for: kept, so what the user reads stays in place. */
  const keepFromBottom = useRef<number | null>(null);
  const firstId = messages[0]?.id;
  const stickToBottom = useRef(true);
  const shownPeer = useRef<string | null>(null);
  const last = messages[messages.length - 1];
  const lastId = last?.id;
  const lastState = last?.state;
  const lastIsOurs = last?.direction === 'out';

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    const newChat = shownPeer.current !== peer;
    shownPeer.current = peer;
    // Opening a chat, reading at the bottom, or having just sent: show the newest message.
    if (newChat || stickToBottom.current || lastIsOurs) {
      el.scrollTop = el.scrollHeight;
      stickToBottom.current = true;
    }
  }, [peer, lastId, lastState, lastIsOurs, messages.length]);

  // After the scroll above: a message asked for (a search result) is brought into view and highlighted.
  const focusId = focus?.id;
  const focusSeq = focus?.seq;
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || focusId === undefined || focusSeq === undefined) return;
    const item = [...el.querySelectorAll<HTMLElement>('[data-message-id]')].find((li) => li.dataset.messageId === focusId);
    if (!item) return; // not in this list (yet)
    item.scrollIntoView({ block: 'center' });
    stickToBottom.current = false;
    setHighlightId(focusId);
    onFocusShown?.(focusSeq);
  }, [focusId, focusSeq, messages.length, onFocusShown]);

  // Older messages went in above: the view stays where it was (measured from the bottom).
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el || keepFromBottom.current === null) return;
    el.scrollTop = el.scrollHeight - keepFromBottom.current;
    if (older?.status !== 'loading') keepFromBottom.current = null;
  }, [firstId, messages.length, older?.status]);

  function loadOlder() {
    const el = scrollRef.current;
    if (!older || older.status === 'loading' || older.status === 'complete') return;
    if (el) keepFromBottom.current = el.scrollHeight - el.scrollTop;
    older.onLoad();
  }

  function onScroll() {
    const el = scrollRef.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
    // Only a user who scrolled (the list is taller than the view) reaches the top this way.
    if (el.scrollTop < LOAD_OLDER_THRESHOLD && el.scrollHeight > el.clientHeight && older?.status === 'idle') loadOlder();
  }

  const olderStatus =
    older?.status === 'loading'
      ? texts.archive.loadingOlder
      : older?.status === 'complete'
        ? texts.archive.noOlder
        : older?.status === 'failed'
          ? texts.archive.loadFailed(older.error ?? '')
          : older?.added
            ? texts.archive.loadedOlder(older.added)
            : '';

  return (
    // The log role sits on the container: on the <ol> it would hide the list from assistive technology (axe: listitem).
    // Focusable, so that keyboard users can scroll a long history (and reach older messages) with the arrow keys.
    <div className="message-scroll" ref={scrollRef} onScroll={onScroll} role="log" aria-label={`Messages with ${peerName}`} tabIndex={0}>
      {older && (
        <div className="older-history" data-testid="older-history" data-status={older.status}>
          {older.status !== 'complete' && (
            <button type="button" className="button subtle" data-testid="load-older" disabled={older.status === 'loading'} onClick={loadOlder}>
              {texts.archive.loadOlder}
            </button>
          )}
          <p className="hint" role="status" data-testid="older-status">
            {olderStatus}
          </p>
        </div>
      )}
      {messages.length === 0 ? (
        <p className="chat-empty muted">No messages with {peerName} yet. Say hello!</p>
      ) : (
        <ol className="messages">
          {messages.map((m, i) => {
            const before = messages[i - 1];
            const separator = !before || dayKey(before.timestamp) !== dayKey(m.timestamp);
            return (
              <Fragment key={m.id}>
                {separator && (
                  <li className="day-separator">
                    <span>{formatDay(m.timestamp)}</span>
                  </li>
                )}
                <MessageItem
                  message={m}
                  onResend={onResend}
                  onEdit={m.id === editableId && m.direction === 'out' ? onEdit : undefined}
                  highlighted={m.id === highlightId}
                />
              </Fragment>
            );
          })}
        </ol>
      )}
    </div>
  );
}
