import { useId, useState } from 'react';
import type { AccountView } from '../../shared/contract';
import { PolicySummary } from '../components/PolicySummary';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

/** Switch account, disconnect or remove the current one (adding one: `AddAccountButton`). */
export function AccountActions({ account }: { account: AccountView }) {
  const id = useId();
  const texts = useTexts();
  const t = texts.account;
  const actions = useActions();
  const accounts = useAppState((s) => s.accounts);
  const policy = useAppState((s) => s.policy);
  // 'server-domain-only' allows one account on the company server: once it exists, nothing more (main enforces it too).
  const addLocked =
    policy?.addAccounts === 'locked' ||
    (policy?.addAccounts === 'server-domain-only' && accounts.some((a) => a.jid.endsWith(`@${policy.serverDomain}`)));
  const [confirmRemove, setConfirmRemove] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const kind = account.connection.kind;
  const connected = kind === 'online' || kind === 'connecting' || kind === 'reconnecting';

  return (
    <div className="account-actions">
      {accounts.length > 1 && (
        <div className="field">
          <label htmlFor={`${id}-account`}>{t.account}</label>
          <select
            id={`${id}-account`}
            className="select"
            value={account.id}
            onChange={(e) => actions.chooseAccount(e.target.value)}
          >
            {accounts.map((a) => (
              <option key={a.id} value={a.id}>
                {a.jid}
              </option>
            ))}
          </select>
        </div>
      )}
      <div className="button-row start">
        {connected && (
          <button
            type="button"
            className="button small"
            data-closes-menu
            onClick={async () => {
              const r = await actions.disconnectAccount(account.id);
              setError(r.ok ? null : errorText(texts, r.error));
            }}
          >
            {t.disconnect}
          </button>
        )}
        {confirmRemove ? (
          <div className="confirm-remove-account" role="group" aria-labelledby={`${id}-remove-question`} data-testid="remove-account-confirm">
            <p id={`${id}-remove-question`}>
              <strong>{t.removeQuestion(account.jid)}</strong>
            </p>
            <p className="small" data-testid="remove-account-consequences">
              {t.removeConsequences}
            </p>
            <div className="button-row start">
            <button
              type="button"
              className="button small danger"
              data-testid="remove-account-yes"
              onClick={async () => {
                const r = await actions.removeAccount(account.id);
                setConfirmRemove(false);
                setError(r.ok ? null : errorText(texts, r.error));
              }}
            >
              {t.reallyRemove(account.jid)}
            </button>
            <button type="button" className="button small" onClick={() => setConfirmRemove(false)}>
              {t.keep}
            </button>
            </div>
          </div>
        ) : (
          <button type="button" className="button small" data-testid="remove-account" onClick={() => setConfirmRemove(true)}>
            {t.remove}
          </button>
        )}
      </div>
      {error && (
        <p className="inline-error small" role="alert">
          {error}
        </p>
      )}
      {policy && <PolicySummary policy={policy} accountsFull={addLocked} />}
    </div>
  );
}
