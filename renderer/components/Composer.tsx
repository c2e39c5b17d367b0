import { useId, useRef, type KeyboardEvent } from 'react';
import { messageToSend } from '../forms';
import { useTexts } from '../i18n/i18n';

type Props = {
  peerName: string;
  value: string;
  error: string | null;
  onChange: (text: string) => void;
  onSend: (text: string) => void;
  /** Up arrow in an empty composer: correct the last message (absent: nothing to correct). */
  onEditLast?: () => void;
  /** Correcting a message: the composer says so and can cancel. */
  editing?: boolean;
  onCancelEdit?: () => void;
};

/** Enter sends, Shift+Enter starts a new line; empty messages are not sent. */
export function Composer({ peerName, value, error, onChange, onSend, onEditLast, editing, onCancelEdit }: Props) {
  const id = useId();
  const t = useTexts().composer;
  const ref = useRef<HTMLTextAreaElement>(null);
  const text = messageToSend(value);

  function send() {
    if (text === null) return;
    onSend(text);
    ref.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
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
          maxLength={65536}
          placeholder={t.placeholder(peerName)}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onKeyDown={onKeyDown}
        />
        <button
          type="button"
          className="button primary"
          data-testid="send-button"
          onClick={send}
          aria-disabled={text === null}
        >
          {editing ? t.correct : t.send}
        </button>
      </div>
      <p className="hint composer-hint">{t.hint}</p>
    </div>
  );
}
