import { useId, useState, type FormEvent } from 'react';
import type { SecretStorageStatus } from '../../shared/contract';
import { readLoginForm, type LoginValues } from '../forms';
import { RememberPasswordField } from './RememberPasswordField';

export type { LoginValues };

type Props = {
  secretStorage: SecretStorageStatus;
  busy: boolean;
  /** Message of the last failed attempt. */
  error: string | null;
  onSubmit: (values: LoginValues) => void;
  /** Present when there is already an account to go back to. */
  onCancel?: () => void;
};

/** Sign-in form for a new account. Holds its fields itself; the password leaves only through `onSubmit`. */
export function LoginForm({ secretStorage, busy, error, onSubmit, onCancel }: Props) {
  const id = useId();
  const [jid, setJid] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(secretStorage.available);
  const [advanced, setAdvanced] = useState(false);
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [directTls, setDirectTls] = useState(false);
  const [localError, setLocalError] = useState<string | null>(null);

  const shownError = localError ?? error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const read = readLoginForm({
      jid,
      password,
      rememberPassword: remember && secretStorage.available,
      host,
      port,
      directTls,
    });
    if (!read.ok) {
      setLocalError(read.message);
      return;
    }
    setLocalError(null);
    onSubmit(read.values);
  }

  return (
    <form className="card form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} aria-busy={busy}>
      <h1 id={`${id}-title`}>Sign in to Klatsch</h1>
      <p className="muted">Use the chat address and password your company gave you.</p>

      <label className="field">
        <span>Chat address</span>
        <input
          data-testid="login-jid"
          type="text"
          inputMode="email"
          autoComplete="username"
          autoFocus
          spellCheck={false}
          placeholder="name@example.com"
          value={jid}
          onChange={(e) => setJid(e.target.value)}
          required
        />
      </label>

      <label className="field">
        <span>Password</span>
        <input
          data-testid="login-password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          required
        />
      </label>

      <RememberPasswordField secretStorage={secretStorage} checked={remember} onChange={setRemember} testId="login-remember" />

      <button
        type="button"
        className="disclosure"
        data-testid="login-advanced"
        aria-expanded={advanced}
        aria-controls={`${id}-advanced`}
        onClick={() => setAdvanced((v) => !v)}
      >
        <span className="disclosure-arrow" aria-hidden="true" />
        Advanced
      </button>
      {advanced && (
        <fieldset className="advanced" id={`${id}-advanced`}>
          <legend className="sr-only">Advanced connection settings</legend>
          <div className="field-row">
            <label className="field grow">
              <span>Server host</span>
              <input
                data-testid="login-host"
                type="text"
                spellCheck={false}
                placeholder="from the address"
                value={host}
                onChange={(e) => setHost(e.target.value)}
              />
            </label>
            <label className="field port">
              <span>Port</span>
              <input
                data-testid="login-port"
                type="text"
                inputMode="numeric"
                placeholder={directTls ? '5223' : '5222'}
                value={port}
                onChange={(e) => setPort(e.target.value)}
              />
            </label>
          </div>
          <label className="check">
            <input
              data-testid="login-direct-tls"
              type="checkbox"
              checked={directTls}
              onChange={(e) => setDirectTls(e.target.checked)}
            />
            <span>Direct TLS (instead of STARTTLS)</span>
          </label>
        </fieldset>
      )}

      {shownError && (
        <p className="inline-error" role="alert" data-testid="login-error">
          {shownError}
        </p>
      )}

      <div className="button-row">
        {onCancel && (
          <button type="button" className="button" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
        <button type="submit" className="button primary" data-testid="login-submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </div>
    </form>
  );
}
