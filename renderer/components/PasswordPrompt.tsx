import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { SecretStorageStatus } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';
import { RememberPasswordField } from './RememberPasswordField';

type Props = {
  jid: string;
  secretStorage: SecretStorageStatus;
  /** Whether the account had "remember" chosen before; the default for the checkbox. */
  rememberByDefault: boolean;
  busy: boolean;
  error: string | null;
  onSubmit: (values: { password: string; rememberPassword: boolean }) => void;
  /** Extra actions below the form (other accounts, remove this one). */
  footer?: ReactNode;
};

/** Asks for the password of an existing account that has none stored. */
export function PasswordPrompt({ jid, secretStorage, rememberByDefault, busy, error, onSubmit, footer }: Props) {
  const id = useId();
  const t = useTexts().password;
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(rememberByDefault && secretStorage.available);
  const [localError, setLocalError] = useState<string | null>(null);
  const shownError = localError ?? error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (password === '') {
      setLocalError(t.enterPassword);
      return;
    }
    setLocalError(null);
    onSubmit({ password, rememberPassword: remember && secretStorage.available });
    // The password now lives in the core only.
    setPassword('');
  }

  return (
    <form
      className="card form"
      data-testid="password-prompt"
      onSubmit={submit}
      noValidate
      aria-labelledby={`${id}-title`}
      aria-busy={busy}
    >
      <h1 id={`${id}-title`}>{t.title}</h1>
      <p className="muted">
        {t.introBefore}
        <strong className="jid">{jid}</strong>
        {t.introAfter}
      </p>
      <label className="field">
        <span>{t.label}</span>
        <input
          data-testid="password-prompt-input"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <RememberPasswordField secretStorage={secretStorage} checked={remember} onChange={setRemember} testId="password-prompt-remember" />
      {shownError && (
        <p className="inline-error" role="alert" data-testid="password-prompt-error">
          {shownError}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="button primary" data-testid="password-prompt-submit" disabled={busy}>
          {busy ? t.connecting : t.connect}
        </button>
      </div>
      {footer}
    </form>
  );
}
