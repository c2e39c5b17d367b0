import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { SecretStorageStatus } from '../../shared/contract';

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
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(rememberByDefault && secretStorage.available);
  const [localError, setLocalError] = useState<string | null>(null);
  const shownError = localError ?? error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (password === '') {
      setLocalError('Enter your password.');
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
      <h1 id={`${id}-title`}>Password needed</h1>
      <p className="muted">
        Enter the password for <strong className="jid">{jid}</strong> to connect.
      </p>
      <label className="field">
        <span>Password</span>
        <input
          data-testid="password-prompt-input"
          type="password"
          autoComplete="current-password"
          autoFocus
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      <div className="check-field">
        <label className="check">
          <input
            data-testid="password-prompt-remember"
            type="checkbox"
            checked={remember && secretStorage.available}
            disabled={!secretStorage.available}
            aria-describedby={secretStorage.available ? undefined : `${id}-remember-reason`}
            onChange={(e) => setRemember(e.target.checked)}
          />
          <span>Remember password</span>
        </label>
        {!secretStorage.available && (
          <p className="hint" id={`${id}-remember-reason`}>
            {secretStorage.reason ?? 'This system offers no secure storage for passwords.'}
          </p>
        )}
      </div>
      {shownError && (
        <p className="inline-error" role="alert" data-testid="password-prompt-error">
          {shownError}
        </p>
      )}
      <div className="button-row">
        <button type="submit" className="button primary" data-testid="password-prompt-submit" disabled={busy}>
          {busy ? 'Connecting…' : 'Connect'}
        </button>
      </div>
      {footer}
    </form>
  );
}
