import { useCallback, useLayoutEffect, useRef, useState } from 'react';
import type { ChatMessage } from '../../shared/contract';
import { PRIVATE_WAIT_MS } from '../../shared/private-wait';
import { dayKey, formatDay, formatFullDate, formatTime } from '../format';
import { useLocale, useTexts } from '../i18n/i18n';
import { notSentText } from '../i18n/errors';
import { noticeText } from '../i18n/notices';
import { MessageBody } from './MessageBody';
import { VirtualList, type VirtualListHandle } from './VirtualList';

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
  /** Older messages, loaded on "Load older" and when the user scrolls to the top (prepended; the view keeps its place). */
  older?: OlderHistory;
};

/** The message went out (the server has it) or came in: how it travelled is known. */
function travelled(message: ChatMessage): boolean {
  return message.state === 'sent' || message.state === 'delivered' || message.state === 'received';
}

export function MessageItem({
  message,
  peerName,
  onResend,
  onEdit,
  highlighted = false,
}: {
  message: ChatMessage;
  /** The contact's name, for notices said in the user's language. */
  peerName: string;
  onResend: (message: ChatMessage) => void;
  onEdit?: ((message: ChatMessage) => void) | undefined;
  highlighted?: boolean;
}) {
  const texts = useTexts();
  const t = texts.messages;
  const locale = useLocale();
  const stateLabel = t.state;
  if (message.direction === 'notice') {
    return (
      <div className="message notice" data-testid="message" data-direction="notice" data-state={message.state}>
        <p className="notice-text" data-testid="message-body">
          {noticeText(texts, message, peerName)}
        </p>
      </div>
    );
  }
  return (
    <div
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
          <time dateTime={new Date(message.timestamp).toISOString()} title={formatFullDate(message.timestamp, locale)}>
            {formatTime(message.timestamp, locale)}
          </time>
          {message.edited && (
            <span className="message-edited" data-testid="message-edited" title={t.editedTitle}>
              {t.edited}
            </span>
          )}
          {onEdit && (
            <button type="button" className="button subtle" data-testid="edit-button" onClick={() => onEdit(message)}>
              {t.edit}
            </button>
          )}
          {/* Only what left (or arrived) says how it travelled: a waiting, sending or failed message shows its state instead. */}
          {travelled(message) &&
            (message.encrypted ? (
              <span className="message-lock" data-testid="message-lock" title={t.privateTitle} aria-label={t.private}>
                🔒
              </span>
            ) : (
              <span className="message-unlocked" data-testid="message-unlocked" title={texts.honest.notPrivateTitle} aria-label={texts.honest.notPrivateLabel}>
                🔓
              </span>
            ))}
          {(message.state === 'sending' || message.state === 'waiting') && (
            <span className="message-state">{message.waitingForServer !== undefined ? t.waitingForServerState : stateLabel[message.state]}</span>
          )}
          {message.state === 'sent' && message.unconfirmed === undefined && (
            <span className="message-state" title={stateLabel.sent} aria-label={stateLabel.sent}>
              ✓
            </span>
          )}
          {message.state === 'sent' && message.unconfirmed !== undefined && <span className="message-state unconfirmed">{t.unconfirmedState}</span>}
          {message.state === 'delivered' && (
            <span className="message-state delivered" data-testid="message-delivered" title={stateLabel.delivered} aria-label={stateLabel.delivered}>
              ✓✓
            </span>
          )}
        </div>
      </div>
      {message.state === 'waiting' && message.waitingForServer !== undefined && (
        <p className="message-waiting" data-testid="message-waiting-server">
          {t.waitingForServer(message.waitingForServer)}
        </p>
      )}
      {message.state === 'waiting' && message.error !== undefined && message.waitingForServer === undefined && (
        <p className="message-waiting" data-testid="message-waiting">
          {t.waitingUntil(formatFullDate(message.timestamp + PRIVATE_WAIT_MS, locale))}
        </p>
      )}
      {message.state === 'sent' && message.unconfirmed !== undefined && (
        <p className="message-error" data-testid="message-unconfirmed">
          {t.unconfirmed(peerName, message.unconfirmed)}{' '}
          <button type="button" className="button subtle" data-testid="resend-button" onClick={() => onResend(message)}>
            {t.sendAgain}
          </button>
        </p>
      )}
      {message.state === 'failed' && (
        <p className="message-error" data-testid="message-error">
          {t.notSent(notSentText(texts, message.error))}{' '}
          <button type="button" className="button subtle" data-testid="resend-button" onClick={() => onResend(message)}>
            {t.sendAgain}
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
export function MessageList({ peer, peerName, messages, onResend, editableId, onEdit, older, focus, onFocusShown }: Props) {
  const texts = useTexts();
  const locale = useLocale();
  const list = useRef<VirtualListHandle>(null);
  const [highlightId, setHighlightId] = useState<string | null>(null);
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

  // After the scroll above: a message asked for (a search result) is scrolled to (the list renders it there) and highlighted.
  const focusId = focus?.id;
  const focusSeq = focus?.seq;
  useLayoutEffect(() => {
    if (focusId === undefined || focusSeq === undefined) return;
    const index = messages.findIndex((m) => m.id === focusId);
    if (index === -1) return; // not in this list (yet)
    list.current?.scrollToIndex(index);
    // Once per focus request (seq), after scrolling: the highlight outlives the request, so it is state.
    // eslint-disable-next-line react-hooks/set-state-in-effect
    setHighlightId(focusId);
    onFocusShown?.(focusSeq);
  }, [focusId, focusSeq, messages, onFocusShown]);

  const itemKey = useCallback((i: number) => `${messages[i]!.direction}\n${messages[i]!.id}`, [messages]);
  const startsDay = useCallback((i: number) => i === 0 || dayKey(messages[i - 1]!.timestamp) !== dayKey(messages[i]!.timestamp), [messages]);
  // A guess until measured: one line of text, the meta line, a day separator; longer texts wrap.
  const estimateHeight = useCallback(
    (i: number) => 52 + Math.floor(messages[i]!.body.length / 60) * 20 + (startsDay(i) ? 40 : 0),
    [messages, startsDay],
  );

  // The virtual list keeps the message being read in place when older ones are prepended.
  function loadOlder() {
    if (!older || older.status === 'loading' || older.status === 'complete') return;
    older.onLoad();
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

  const header = older && (
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
  );

  if (messages.length === 0) {
    return (
      // Focusable, so that keyboard users can scroll a long history (and reach older messages) with the arrow keys.
      <div className="message-scroll" role="log" aria-label={texts.chat.messagesWith(peerName)} tabIndex={0}>
        {header}
        <p className="chat-empty muted">{texts.chat.empty(peerName)}</p>
      </div>
    );
  }

  function renderMessage(i: number) {
    const m = messages[i]!;
    return (
      <>
        {startsDay(i) && (
          <p className="day-separator">
            <span>{formatDay(m.timestamp, locale)}</span>
          </p>
        )}
        <MessageItem
          message={m}
          peerName={peerName}
          onResend={onResend}
          onEdit={m.id === editableId && m.direction === 'out' ? onEdit : undefined}
          highlighted={m.id === highlightId}
        />
      </>
    );
  }

  return (
    // The log role sits on the container: on the <ol> it would hide the list from assistive technology (axe: listitem).
    // Focusable, so that keyboard users can scroll a long history (and reach older messages) with the arrow keys.
    <VirtualList
      ref={list}
      className="message-scroll"
      role="log"
      ariaLabel={texts.chat.messagesWith(peerName)}
      tabIndex={0}
      listTag="ol"
      listClassName="messages"
      count={messages.length}
      itemKey={itemKey}
      estimateHeight={estimateHeight}
      renderItem={renderMessage}
      stickToBottom
      header={header}
      {...(older?.status === 'idle' ? { onReachTop: loadOlder } : {})}
    />
  );
}
