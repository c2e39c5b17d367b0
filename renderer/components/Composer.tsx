import { useId, useRef, type KeyboardEvent } from 'react';
import { messageToSend, splitMessage } from '../forms';
import { useTexts } from '../i18n/i18n';

type Props = {
  peerName: string;
  value: string;
  error: string | null;
  onChange: (text: string) => void;
  /** Called once per message, in order (a text too long for one is sent as several); `false` stops the rest. */
  onSend: (text: string) => unknown;
  /** The chat is not private (plaintext): the composer says so before the user types. */
  notPrivate?: boolean;
  /** Up arrow in an empty composer: correct the last message (absent: nothing to correct). */
  onEditLast?: () => void;
  /** Correcting a message: the composer says so and can cancel. */
  editing?: boolean;
  onCancelEdit?: () => void;
};

/** Enter sends, Shift+Enter starts a new line; empty messages are not sent. */
export function Composer({ peerName, value, error, onChange, onSend, onEditLast, editing, onCancelEdit, notPrivate = false }: Props) {
  const id = useId();
  const texts = useTexts();
  const t = texts.composer;
  const ref = useRef<HTMLTextAreaElement>(null);
  const text = messageToSend(value);
  // A correction replaces one message: it is never split.
  const parts = text === null ? [] : editing ? [text] : splitMessage(text);

  async function send() {
    if (text === null) return;
    ref.current?.focus();
    // One after the other, so that they arrive in order.
    for (const part of parts) if ((await onSend(part)) === false) return;
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void send();
    } else if (e.key === 'ArrowUp' && value === '' && onEditLast) {
      e.preventDefault();
      onEditLast();
    } else if (e.key === 'Escape' && editing && onCancelEdit) {
      e.preventDefault();
      onCancelEdit();
    }
  }

  return (
    <div className="composer">
      {error && (
        <p className="inline-error small" role="alert" data-testid="composer-error">
          {error}
        </p>
      )}
      {editing && (
        <p className="hint small" data-testid="composer-editing">
          {t.correcting}{' '}
          <button type="button" className="button subtle" data-testid="cancel-edit" onClick={onCancelEdit}>
            {t.cancel}
          </button>
        </p>
      )}
      <div className="composer-row">
        <label htmlFor={`${id}-text`} className="sr-only">
          {t.label(peerName)}
        </label>
        <textarea
          ref={ref}
          id={`${id}-text`}
          data-testid="composer"
          className="composer-input"
          rows={2}
          placeholder={t.placeholder(peerName)}
          {...(notPrivate ? { 'aria-describedby': `${id}-not-private` } : {})}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="button"
          className="button primary"
          data-testid="send-button"
          onClick={() => void send()}
          aria-disabled={text === null}
        >
          {editing ? t.correct : t.send}
        </button>
      </div>
      {parts.length > 1 && (
        <p className="hint small composer-too-long" role="status" data-testid="composer-too-long">
          {texts.honest.tooLong(parts.length)}
        </p>
      )}
      {notPrivate && (
        <p className="composer-not-private small" id={`${id}-not-private`} data-testid="composer-not-private">
          <span aria-hidden="true">🔓 </span>
          {texts.honest.notPrivate}
        </p>
      )}
      <p className="hint composer-hint">{t.hint}</p>
    </div>
  );
}
