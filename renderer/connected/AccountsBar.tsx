/**
 * Every account side by side (when there are several): its connection state and presence, its unread
 * count, and a button to bring it to the front (its presence, status and settings then show in the
 * account header). "Add account" is in the account menu.
 */
import type { AccountView, PolicyView } from '../../shared/contract';
import { PresenceDot } from '../components/PresenceDot';
import { policyReasonText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

/** The policy allows no further account ('server-domain-only': one on the company server; main enforces it too). */
export function addAccountLocked(policy: PolicyView | null, accounts: readonly AccountView[]): boolean {
  return (
    policy?.addAccounts === 'locked' ||
    (policy?.addAccounts === 'server-domain-only' && accounts.some((a) => a.jid.endsWith(`@${policy.serverDomain}`)))
  );
}

export function AccountsBar({ activeId }: { activeId: string }) {
  const t = useTexts().accounts;
  const actions = useActions();
  const accounts = useAppState((s) => s.accounts);
  const rosters = useAppState((s) => s.rosters);
  if (accounts.length < 2) return null;
  return (
    <div className="accounts-bar" data-testid="accounts-bar">
      {accounts.length > 1 && (
        <ul className="account-switches" aria-label={t.heading}>
          {accounts.map((a) => {
            const kind = a.connection.kind;
            const show = kind === 'online' ? a.ownPresence.show : 'offline';
            const state = t.state[kind];
            const presence = kind === 'online' ? t.presence[a.ownPresence.show] : state;
            const unread = (rosters[a.id] ?? []).reduce((n, c) => n + c.unread, 0);
            const active = a.id === activeId;
            return (
              <li key={a.id}>
                <button
                  type="button"
                  className={`account-switch${active ? ' active' : ''}`}
                  data-testid="account-switch"
                  data-account-jid={a.jid}
                  data-state={kind}
                  data-show={show}
                  aria-pressed={active}
                  title={t.show(a.jid, state, presence)}
                  onClick={() => actions.chooseAccount(a.id)}
                >
                  {/* The visible words are the accessible name (no aria-label that could differ from them). */}
                  <PresenceDot show={show} />
                  <span className="account-switch-jid">{a.jid}</span>
                  <span className="account-switch-state">{kind === 'online' ? presence : state}</span>
                  {unread > 0 && <span className="badge">{unread > 99 ? '99+' : unread}</span>}
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}

/** "Add account", locked when the policy allows no further one. */
export function AddAccountButton() {
  const texts = useTexts();
  const t = texts.accounts;
  const actions = useActions();
  const accounts = useAppState((s) => s.accounts);
  const policy = useAppState((s) => s.policy);
  const locked = addAccountLocked(policy, accounts);
  return (
    <button
      type="button"
      className="button small"
      data-testid="accounts-add"
      data-closes-menu
      disabled={locked}
      title={locked ? t.addLocked(policy ? policyReasonText(texts, policy) : '') : undefined}
      onClick={() => actions.setAddingAccount(true)}
    >
      {t.addAccount}
    </button>
  );
}
