import { useState } from 'react';
import type { AccountView, OwnShow } from '../../shared/contract';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { OwnPresence } from '../components/OwnPresence';
import { errorText, useTexts } from '../i18n/i18n';
import { AccountActions } from './AccountActions';
import { ContactsPanel, OwnAvatarConnected } from './ContactsPanel';
import { useActions, useAppState } from './context';
import { TrustManager } from './TrustManager';
import { AccountsBar } from './AccountsBar';
import { OpenSettingsButton } from './SettingsScreen';
import { RoomsPanel } from './RoomsPanel';

function OwnPresenceConnected({ account }: { account: AccountView }) {
  const actions = useActions();
  const texts = useTexts();
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
        setError(result.ok ? null : errorText(texts, result.error));
      }}
    />
  );
}

function ConnectionStatusConnected({ account }: { account: AccountView }) {
  const actions = useActions();
  const texts = useTexts();
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
        setError(result.ok ? null : errorText(texts, result.error));
      }}
    />
  );
}

/** The account's own OTR key: being made (it takes a moment, off the UI thread), or kept only in memory. */
function OtrKeyStatus({ account }: { account: AccountView }) {
  const key = account.otrKey;
  const texts = useTexts();
  if (key?.generating) {
    return (
      <p className="key-status" role="status" data-testid="otr-key-generating">
        <span className="spinner" aria-hidden="true" /> {texts.sidebar.creatingKey}
      </p>
    );
  }
  if (key?.notStoredReason) {
    return (
      <p className="key-status warning" role="status">
        {texts.errors.withDetail(texts.sidebar.keyNotStored, key.notStoredReason)}
      </p>
    );
  }
  return null;
}

function ShortcutsHelpButton() {
  const open = useAppState((s) => s.shortcutsHelpSet);
  const texts = useTexts();
  return (
    <button type="button" className="button subtle small" data-testid="open-shortcuts-help" onClick={() => open(true)}>
      {texts.sidebar.shortcuts} <kbd>?</kbd>
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
  const texts = useTexts();
  return (
    <nav className="sidebar" aria-label={texts.sidebar.label}>
      <div className="sidebar-top">
        <AccountsBar activeId={account.id} />
        <OwnPresenceConnected key={account.id} account={account} />
        <ConnectionStatusConnected key={`status-${account.id}`} account={account} />
        <OtrKeyStatus account={account} />
        <details className="account-menu">
          <summary>{texts.sidebar.accountSettings}</summary>
          <OwnAvatarConnected account={account} />
          <AccountActions account={account} />
          <ShortcutsHelpButton />
        </details>
        <button type="button" className="button subtle small" data-testid="open-trust-manager" onClick={() => actions.openDialog({ kind: 'trust-manager' })}>
          <span aria-hidden="true">🔑 </span>
          {texts.sidebar.encryptionKeys}
        </button>
        <SearchButton />
        {trustOpen && <TrustManager onClose={() => actions.closeDialog()} />}
        <OpenSettingsButton label={texts.settings.open} />
      </div>
      <RoomsPanel key={`rooms-${account.id}`} account={account} />
      <ContactsPanel key={account.id} account={account} />
    </nav>
  );
}
