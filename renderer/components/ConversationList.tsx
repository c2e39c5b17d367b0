import { formatShortDate, formatTime } from '../format';
import { useLocale, useTexts, type Catalog } from '../i18n/i18n';
import type { Conversation } from '../store/conversations';

type Props = {
  conversations: Conversation[];
  /** `${accountId}\n${peer}` of the conversation on screen, if any. */
  selectedKey: string | null;
  onSelect: (conversation: Conversation) => void;
  now: number;
};

export const conversationKey = (c: Pick<Conversation, 'accountId' | 'peer'>): string => `${c.accountId}\n${c.peer}`;

function previewText(c: Conversation, t: Catalog['conversations']): string {
  const p = c.preview;
  if (p.kind === 'none') return t.noMessages;
  if (p.kind === 'private') return p.fromMe ? `${t.you}: ${t.privateMessage}` : t.privateMessage;
  if (p.fromMe) return `${t.you}: ${p.text}`;
  return c.kind === 'room' && p.nick ? `${p.nick}: ${p.text}` : p.text;
}

/** Today: the time; before: the date (Signal and Element do the same). */
function when(epochMs: number, now: number, locale: string): string {
  if (epochMs === 0) return '';
  const sameDay = new Date(epochMs).toDateString() === new Date(now).toDateString();
  return sameDay ? formatTime(epochMs, locale) : formatShortDate(epochMs, locale);
}

/** Recent chats and group chats, most recent first: name, time, the last message (never a private one's text), unread count. */
export function ConversationList({ conversations, selectedKey, onSelect, now }: Props) {
  const t = useTexts().conversations;
  const locale = useLocale();
  if (conversations.length === 0) return <p className="muted small conversation-empty">{t.none}</p>;
  return (
    <ul className="conversation-list" data-testid="conversation-list">
      {conversations.map((c) => {
        const key = conversationKey(c);
        const selected = key === selectedKey;
        const preview = previewText(c, t);
        const time = when(c.lastActivity, now, locale);
        return (
          <li key={key}>
            <button
              type="button"
              className={`conversation${selected ? ' selected' : ''}`}
              data-testid="conversation"
              data-kind={c.kind}
              data-peer={c.peer}
              data-preview={c.preview.kind}
              aria-current={selected ? 'true' : undefined}
              title={c.peer}
              onClick={() => onSelect(c)}
            >
              <span className="conversation-top">
                {/* The visible words are the accessible name; screen readers also hear "group chat" and "unread". */}
                <span className="conversation-name">
                  {c.kind === 'room' && (
                    <>
                      <span aria-hidden="true"># </span>
                      <span className="sr-only">{t.room} </span>
                    </>
                  )}
                  {c.name}
                </span>
                {time && <time className="conversation-time">{time}</time>}
              </span>
              <span className="conversation-bottom">
                <span className={`conversation-preview${c.preview.kind === 'private' ? ' private' : ''}`} data-testid="conversation-preview">
                  {c.preview.kind === 'private' && <span aria-hidden="true">🔒 </span>}
                  {preview}
                </span>
                {c.unread > 0 && (
                  <>
                    <span className="badge" data-testid="conversation-unread" aria-hidden="true">
                      {c.unread > 99 ? '99+' : c.unread}
                    </span>
                    <span className="sr-only">{t.unread(c.unread)}</span>
                  </>
                )}
              </span>
            </button>
          </li>
        );
      })}
    </ul>
  );
}
