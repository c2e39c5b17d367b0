import { useLayoutEffect, useRef } from 'react';
import type { ChatMessage } from '../../../shared/contract';
import { formatFullDate, formatTime } from '../../format';
import { notSentText } from '../../i18n/errors';
import { noticeText } from '../../i18n/notices';
import { useLocale, useTexts } from '../../i18n/i18n';

/** How close to the bottom (px) still counts as "reading the newest messages". */
const STICK_THRESHOLD = 48;

/**
 * A room's messages with the sender's nickname on each; every text is a text node, never HTML. In an encrypted
 * room, a message that was not (someone's plaintext, or one from before the room was) says so.
 */
export function RoomMessages({ messages, ownNick, encryptedRoom = false }: { messages: ChatMessage[]; ownNick: string; encryptedRoom?: boolean }) {
  const catalog = useTexts();
  const texts = catalog.groupChat;
  const locale = useLocale();
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  useLayoutEffect(() => {
    const list = ref.current;
    if (list && stick.current) list.scrollTop = list.scrollHeight;
  }, [messages]);
  return (
    <div
      ref={ref}
      className="message-scroll room-messages"
      role="log"
      aria-label={texts.messagesLabel}
      tabIndex={0}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_THRESHOLD;
      }}
    >
      <ol className="messages" data-testid="room-messages">
      {messages.map((m) =>
        m.direction === 'notice' ? (
          <li key={`n-${m.id}`} className="message notice" data-testid="room-message" data-direction="notice">
            <p className="notice-text" data-testid="message-body">
              {/* Worded by its kind in the user's language (a room's notice texts ignore the name); the core's English without one. */}
              {noticeText(catalog, m, '')}
            </p>
          </li>
        ) : (
          <li
            key={`${m.direction}-${m.id}`}
            className={`message ${m.direction} state-${m.state}`}
            data-testid="room-message"
            data-direction={m.direction}
            data-state={m.state}
            data-nick={m.nick ?? ''}
            data-encrypted={m.encrypted === true ? 'true' : 'false'}
          >
            <div className="bubble">
              <div className="room-message-nick" data-testid="room-message-nick">
                {m.nick ?? ''}
                {m.direction === 'out' || m.nick === ownNick ? ` ${texts.you}` : ''}
              </div>
              <div className="message-body" data-testid="message-body">
                {m.body}
              </div>
              <div className="message-meta">
                <time dateTime={new Date(m.timestamp).toISOString()} title={formatFullDate(m.timestamp, locale)}>
                  {formatTime(m.timestamp, locale)}
                </time>
                {encryptedRoom && m.encrypted !== true && (
                  <span className="message-state message-not-encrypted" data-testid="message-not-encrypted">
                    {texts.messageNotEncrypted}
                  </span>
                )}
                {m.state === 'sending' && <span className="message-state">{texts.sending}</span>}
                {m.state === 'failed' && (
                  <span className="message-state failed" role="alert">
                    {texts.failed}
                    {m.error ? `: ${notSentText(catalog, m.error)}` : ''}
                  </span>
                )}
              </div>
            </div>
          </li>
        ),
      )}
      </ol>
    </div>
  );
}
