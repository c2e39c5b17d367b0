import { useId, useState, type KeyboardEvent } from 'react';
import type { OwnShow } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';

const choices: OwnShow[] = ['online', 'away', 'dnd'];

/** The user's own presence, one compact control for the account header. */
export function OwnShowSelect({ show, onChange }: { show: OwnShow; onChange: (show: OwnShow) => void }) {
  const id = useId();
  const texts = useTexts();
  return (
    <>
      <label className="sr-only" htmlFor={`${id}-show`}>
        {texts.sidebar.yourPresence}
      </label>
      <select
        id={`${id}-show`}
        data-testid="own-show"
        className="select own-show"
        value={show}
        onChange={(e) => onChange(e.target.value as OwnShow)}
      >
        {choices.map((c) => (
          <option key={c} value={c}>
            {texts.presence[c]}
          </option>
        ))}
      </select>
    </>
  );
}

type StatusProps = {
  status: string;
  onChange: (status: string) => void;
};

/** The user's status message, applied on Enter or when leaving the field (Escape drops the edit). */
export function OwnStatusField({ status, onChange }: StatusProps) {
  const id = useId();
  const texts = useTexts();
  // null while the user is not editing: the field shows what main knows.
  const [draft, setDraft] = useState<string | null>(null);
  const shownStatus = draft ?? status;

  function commit() {
    if (draft === null) return;
    const next = draft.trim();
    setDraft(null);
    if (next !== status) onChange(next);
  }

  function onKeyDown(e: KeyboardEvent<HTMLInputElement>) {
    if (e.key === 'Enter' && !e.nativeEvent.isComposing) {
      e.preventDefault();
      commit();
    } else if (e.key === 'Escape' && draft !== null) {
      // Only the edit is dropped; a second Escape closes the menu around the field.
      e.preventDefault();
      e.stopPropagation();
      setDraft(null);
    }
  }

  return (
    <div className="own-presence">
      <label className="small muted" htmlFor={`${id}-status`}>
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
    </div>
  );
}
