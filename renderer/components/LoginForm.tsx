import { useId, useState, type FormEvent } from 'react';
import type { PolicyView, SecretStorageStatus } from '../../shared/contract';
import { readLoginForm, type LoginValues } from '../forms';
import { policyReasonText, useTexts } from '../i18n/i18n';
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
  /** The administrator's policy: preset and locked server settings. */
  policy?: PolicyView | null;
};

/** Sign-in form for a new account. Holds its fields itself; the password leaves only through `onSubmit`. */
export function LoginForm({ secretStorage, busy, error, onSubmit, onCancel, policy }: Props) {
  const id = useId();
  const texts = useTexts();
  const t = texts.login;
  const policyReason = policy ? policyReasonText(texts, policy) : '';
  const [jid, setJid] = useState('');
  const [password, setPassword] = useState('');
  const [remember, setRemember] = useState(secretStorage.available);
  const [advanced, setAdvanced] = useState(false);
  const [host, setHost] = useState('');
  const [port, setPort] = useState('');
  const [directTls, setDirectTls] = useState(policy?.directTls ?? false);
  const locked = policy?.addAccounts === 'locked';
  const hostLocked = policy?.serverHost !== undefined || policy?.serverPort !== undefined || policy?.directTls !== undefined;
  const [localError, setLocalError] = useState<string | null>(null);

  const shownError = localError ?? error;

  function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const read = readLoginForm({
      jid,
      password,
      rememberPassword: remember && secretStorage.available,
      // Locked connection settings are the main process's to apply; the form sends none.
      host: hostLocked ? '' : host,
      port: hostLocked ? '' : port,
      directTls: hostLocked ? (policy?.directTls ?? directTls) : directTls,
    }, t);
    if (!read.ok) {
      setLocalError(read.message);
      return;
    }
    setLocalError(null);
    onSubmit(read.values);
  }

  return (
    <form className="card form" onSubmit={submit} noValidate aria-labelledby={`${id}-title`} aria-busy={busy}>
      <h1 id={`${id}-title`}>{t.title}</h1>
      <p className="muted">{t.intro}</p>
      {policy && policy.addAccounts !== 'allowed' && (
        <p className="muted locked-setting" data-testid="login-policy">
          {locked ? t.addingLocked : t.onlyDomain(policy.serverDomain ?? '')} {policyReason}
        </p>
      )}

      <label className="field">
        <span>{t.address}</span>
        <input
          data-testid="login-jid"
          type="text"
          inputMode="email"
          autoComplete="username"
          autoFocus
          spellCheck={false}
          placeholder={t.addressPlaceholder(policy?.serverDomain ?? 'example.com')}
          value={jid}
          onChange={(e) => setJid(e.target.value)}
          disabled={locked}
          required
        />
      </label>

      <label className="field">
        <span>{t.password}</span>
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
        {t.advanced}
      </button>
      {advanced && (
        <fieldset className="advanced" id={`${id}-advanced`}>
          <legend className="sr-only">{t.advancedLegend}</legend>
          {hostLocked && (
            <p className="muted locked-setting" data-testid="login-host-locked">
              {`${t.hostLocked(policy?.serverHost, policy?.serverPort)} ${policyReason}`}
            </p>
          )}
          <div className="field-row">
            <label className="field grow">
              <span>{t.host}</span>
              <input
                data-testid="login-host"
                type="text"
                spellCheck={false}
                placeholder={t.hostPlaceholder}
                value={hostLocked ? (policy?.serverHost ?? '') : host}
                disabled={hostLocked}
                title={hostLocked ? policyReason : undefined}
                onChange={(e) => setHost(e.target.value)}
              />
            </label>
            <label className="field port">
              <span>{t.port}</span>
              <input
                data-testid="login-port"
                type="text"
                inputMode="numeric"
                placeholder={directTls ? '5223' : '5222'}
                value={hostLocked ? String(policy?.serverPort ?? '') : port}
                disabled={hostLocked}
                title={hostLocked ? policyReason : undefined}
                onChange={(e) => setPort(e.target.value)}
              />
            </label>
          </div>
          <label className="check">
            <input
              data-testid="login-direct-tls"
              type="checkbox"
              checked={directTls}
              disabled={hostLocked}
              onChange={(e) => setDirectTls(e.target.checked)}
            />
            <span>{t.directTls}</span>
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
            {t.cancel}
          </button>
        )}
        <button type="submit" className="button primary" data-testid="login-submit" disabled={busy || locked}>
          {busy ? t.signingIn : t.signIn}
        </button>
      </div>
    </form>
  );
}
