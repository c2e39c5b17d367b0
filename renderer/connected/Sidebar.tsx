import { useState } from 'react';
import type { AccountView, OwnShow } from '../../shared/contract';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { OwnPresence } from '../components/OwnPresence';
import { AccountActions } from './AccountActions';
import { ContactsPanel, OwnAvatarConnected } from './ContactsPanel';
import { useActions, useAppState } from './context';
import { TrustManager } from './TrustManager';
import { AccountsBar } from './AccountsBar';
import { useTexts } from '../i18n/i18n';

function OwnPresenceConnected({ account }: { account: AccountView }) {
  const actions = useActions();
  // What the user just chose, shown until main has confirmed it.
  const [pending, setPending] = useState<{ show: OwnShow; status: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <OwnPresence
      jid={account.jid}
      show={pending?.show ?? account.ownPresence.show}
      status={pending?.status ?? account.ownPresence.status}
      connected={account.connection.kind === 'online'}
      error={error}
      onChange={async (show, status) => {
        setPending({ show, status });
        const result = await actions.setPresence(account.id, show, status);
        setPending(null);
        setError(result.ok ? null : result.error.message);
      }}
    />
  );
}

function ConnectionStatusConnected({ account }: { account: AccountView }) {
  const actions = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  return (
    <ConnectionStatus
      state={account.connection}
      busy={busy}
      error={error}
      onRetry={async () => {
        setBusy(true);
        const result = await actions.connectAccount(account.id);
        setBusy(false);
        setError(result.ok ? null : result.error.message);
      }}
    />
  );
}

/** The account's own OTR key: being made (it takes a moment, off the UI thread), or kept only in memory. */
function OtrKeyStatus({ account }: { account: AccountView }) {
  const key = account.otrKey;
  if (key?.generating) {
    return (
      <p className="key-status" role="status" data-testid="otr-key-generating">
        <span className="spinner" aria-hidden="true" /> Creating your encryption key…
      </p>
    );
  }
  if (key?.notStoredReason) {
    return (
      <p className="key-status warning" role="status">
        {key.notStoredReason}
      </p>
    );
  }
  return null;
}

function ShortcutsHelpButton() {
  const open = useAppState((s) => s.shortcutsHelpSet);
  return (
    <button type="button" className="button subtle small" data-testid="open-shortcuts-help" onClick={() => open(true)}>
      Keyboard shortcuts <kbd>?</kbd>
    </button>
  );
}

/** Opens the history search (also Ctrl+Shift+F). */
function SearchButton() {
  const t = useTexts().search;
  const actions = useActions();
  return (
    <button type="button" className="button subtle small" data-testid="open-search" onClick={() => actions.openDialog({ kind: 'search' })}>
      🔍 {t.open}
    </button>
  );
}

export function Sidebar({ account }: { account: AccountView }) {
  const actions = useActions();
  const trustOpen = useAppState((s) => s.dialog?.kind === 'trust-manager');
  return (
    <nav className="sidebar" aria-label="Account and contacts">
      <div className="sidebar-top">
        <AccountsBar activeId={account.id} />
        <OwnPresenceConnected key={account.id} account={account} />
        <ConnectionStatusConnected key={`status-${account.id}`} account={account} />
        <OtrKeyStatus account={account} />
        <details className="account-menu">
          <summary>Account settings</summary>
          <OwnAvatarConnected account={account} />
          <AccountActions account={account} />
          <ShortcutsHelpButton />
        </details>
        <button type="button" className="button subtle small" data-testid="open-trust-manager" onClick={() => actions.openDialog({ kind: 'trust-manager' })}>
          🔑 Encryption keys
        </button>
        <SearchButton />
        {trustOpen && <TrustManager onClose={() => actions.closeDialog()} />}
      </div>
      <ContactsPanel key={account.id} account={account} />
    </nav>
  );
}
