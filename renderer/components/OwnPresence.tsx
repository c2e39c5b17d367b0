import { useId, useState, type KeyboardEvent } from 'react';
import type { OwnShow } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';
import { PresenceDot } from './PresenceDot';

type Props = {
  jid: string;
  show: OwnShow;
  status: string;
  /** Whether the account is online; the dot shows offline otherwise. */
  connected: boolean;
  error: string | null;
  onChange: (show: OwnShow, status: string) => void;
};

const choices: OwnShow[] = ['online', 'away', 'dnd'];

/** The user's own presence: a selector and a status line applied on Enter or when leaving the field. */
export function OwnPresence({ jid, show, status, connected, error, onChange }: Props) {
  const id = useId();
  const texts = useTexts();
  // null while the user is not editing: the field shows what main knows.
  const [draft, setDraft] = useState<string | null>(null);
  const shownStatus = draft ?? status;

  function commit() {
    if (draft === null) return;
    const next = draft.trim();
    setDraft(null);
    if (next !== status) onChange(show, next);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape') {
      e.preventDefault();
      setDraft(null);
    }
  }

  return (
    <div className="own-presence">
      <div className="own-jid" title={jid}>
        <PresenceDot show={connected ? show : 'offline'} />
        <span className="jid">{jid}</span>
      </div>
      <label className="sr-only" htmlFor={`${id}-show`}>
        {texts.sidebar.yourPresence}
      </label>
      <select
        id={`${id}-show`}
        data-testid="own-show"
        className="select"
        value={show}
        onChange={(e) => onChange(e.target.value as OwnShow, (draft ?? status).trim())}
      >
        {choices.map((c) => (
          <option key={c} value={c}>
            {texts.presence[c]}
          </option>
        ))}
      </select>
      <label className="sr-only" htmlFor={`${id}-status`}>
        {texts.sidebar.yourStatus}
      </label>
      <input
        id={`${id}-status`}
        data-testid="own-status"
        className="input"
        type="text"
        maxLength={1024}
        placeholder={texts.sidebar.statusPlaceholder}
        value={shownStatus}
        onChange={(e) => setDraft(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={commit}
      />
      {error && (
        <p className="inline-error small" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
