import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { AccountView, OwnShow } from '../../shared/contract';
import { ConnectionStatus } from '../components/ConnectionStatus';
import { OwnShowSelect, OwnStatusField } from '../components/OwnPresence';
import { PresenceDot } from '../components/PresenceDot';
import { errorText, useTexts } from '../i18n/i18n';
import { AccountActions } from './AccountActions';
import { ContactsPanel, OwnAvatarConnected } from './ContactsPanel';
import { useActions, useAppState } from './context';
import { TrustManager } from './TrustManager';
import { AccountsBar, AddAccountButton } from './AccountsBar';
import { OpenSettingsButton } from './SettingsScreen';
import { RoomsPanel } from './RoomsPanel';
import { ConversationsPanel } from './ConversationsPanel';

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
        {key.notStored ? texts.sidebar.keyNotStoredWhy[key.notStored] : texts.errors.withDetail(texts.sidebar.keyNotStored, key.notStoredReason)}
      </p>
    );
  }
  return null;
}

/**
 * Senders the administrator's policy blocked (federation's deny list): said once each, under the account, so
 * a colleague at a blocked company is not ignored without anybody knowing why. Never what they wrote.
 */
function BlockedSenders({ account }: { account: AccountView }) {
  const texts = useTexts();
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const shown = (account.blockedSenders ?? []).filter((who) => !dismissed.has(who));
  if (shown.length === 0) return null;
  return (
    <ul className="blocked-senders" data-testid="blocked-senders" aria-live="polite">
      {shown.map((who) => (
        <li key={who} className="key-status warning" data-testid="blocked-sender">
          <span>{texts.policy.blockedSender(who)}</span>
          <button type="button" className="button subtle small" onClick={() => setDismissed(new Set([...dismissed, who]))}>
            {texts.policy.dismissBlocked}
          </button>
        </li>
      ))}
    </ul>
  );
}

function ShortcutsHelpButton() {
  const open = useAppState((s) => s.shortcutsHelpSet);
  const texts = useTexts();
  return (
    <button type="button" className="button subtle small" data-testid="open-shortcuts-help" data-closes-menu onClick={() => open(true)}>
      {texts.sidebar.shortcuts} <kbd>?</kbd>
    </button>
  );
}

/** Opens the history search (also Ctrl+Shift+F): an icon with its name for screen readers and as a tooltip. */
function SearchButton() {
  const t = useTexts().search;
  const actions = useActions();
  return (
    <button type="button" className="icon-button" data-testid="open-search" aria-label={t.open} title={t.open} onClick={() => actions.openDialog({ kind: 'search' })}>
      <span aria-hidden="true">🔍</span>
    </button>
  );
}

/**
 * The account menu: status message, picture, accounts, shortcuts. A disclosure (keyboard: Enter or
 * Space on its button) drawn over the sidebar; Escape or a click elsewhere closes it.
 */
function AccountMenu({ account, status, onStatus }: { account: AccountView; status: string; onStatus: (status: string) => void }) {
  const texts = useTexts();
  const menu = useRef<HTMLDetailsElement>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (!open) return;
    const outside = (e: MouseEvent) => {
      if (menu.current && !menu.current.contains(e.target as Node)) menu.current.open = false;
    };
    document.addEventListener('mousedown', outside);
    return () => document.removeEventListener('mousedown', outside);
  }, [open]);
  function onKeyDown(e: KeyboardEvent<HTMLDetailsElement>) {
    if (e.key !== 'Escape' || !menu.current?.open) return;
    e.preventDefault();
    e.stopPropagation();
    menu.current.open = false;
    menu.current.querySelector('summary')?.focus();
  }
  return (
    <details ref={menu} className="account-menu" onToggle={(e) => setOpen(e.currentTarget.open)} onKeyDown={onKeyDown}>
      <summary className="icon-button" title={texts.sidebar.accountSettings}>
        <span aria-hidden="true">⋯</span>
        <span className="sr-only">{texts.sidebar.accountSettings}</span>
      </summary>
      {/* A choice that is done at once (disconnect, add an account, the shortcuts) closes the menu, as menu items do. */}
      <div
        className="account-menu-panel"
        data-testid="account-menu"
        onClick={(e) => {
          if (menu.current && (e.target as Element).closest('[data-closes-menu]')) menu.current.open = false;
        }}
      >
        <OwnStatusField status={status} onChange={onStatus} />
        <OwnAvatarConnected account={account} />
        <AddAccountButton />
        <AccountActions account={account} />
        <ShortcutsHelpButton />
      </div>
    </details>
  );
}

/**
 * The account as a compact header: picture, address and connection state, presence in one control,
 * and a row of icons for search, keys, settings and the account menu. Keyed by account: switching
 * accounts starts with that account's own state.
 */
function AccountHeader({ account }: { account: AccountView }) {
  const actions = useActions();
  const texts = useTexts();
  const avatar = useAppState((s) => s.avatars[account.id]?.[account.jid]);
  // What the user just chose, shown until main has confirmed it.
  const [pending, setPending] = useState<{ show: OwnShow; status: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const show = pending?.show ?? account.ownPresence.show;
  const status = pending?.status ?? account.ownPresence.status;
  const connected = account.connection.kind === 'online';
  async function change(next: { show: OwnShow; status: string }) {
    setPending(next);
    const result = await actions.setPresence(account.id, next.show, next.status);
    setPending(null);
    setError(result.ok ? null : errorText(texts, result.error));
  }
  return (
    <div className="account-header">
      <div className="account-header-main">
        <span className="avatar-wrap">
          {avatar ? (
            <img className="avatar" src={avatar} alt="" />
          ) : (
            <span className="avatar avatar-initial" aria-hidden="true">
              {account.jid.slice(0, 1).toUpperCase()}
            </span>
          )}
          <PresenceDot show={connected ? show : 'offline'} />
        </span>
        <div className="account-header-text">
          <span className="own-jid jid" title={account.jid}>
            {account.jid}
          </span>
          <ConnectionStatusConnected account={account} />
        </div>
      </div>
      <div className="account-toolbar">
        <OwnShowSelect show={show} onChange={(next) => void change({ show: next, status })} />
        <SearchButton />
        <button
          type="button"
          className="icon-button"
          data-testid="open-trust-manager"
          aria-label={texts.sidebar.encryptionKeys}
          title={texts.sidebar.encryptionKeys}
          onClick={() => actions.openDialog({ kind: 'trust-manager' })}
        >
          <span aria-hidden="true">🔑</span>
        </button>
        <OpenSettingsButton label={texts.settings.open} />
        <AccountMenu account={account} status={status} onStatus={(next) => void change({ show, status: next })} />
      </div>
      {error && (
        <p className="inline-error small" role="alert">
          {error}
        </p>
      )}
    </div>
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
        <AccountHeader key={account.id} account={account} />
        <OtrKeyStatus account={account} />
        <BlockedSenders key={`blocked-${account.id}`} account={account} />
        {trustOpen && <TrustManager onClose={() => actions.closeDialog()} />}
      </div>
      <ConversationsPanel account={account} />
      <RoomsPanel key={`rooms-${account.id}`} account={account} />
      <ContactsPanel key={account.id} account={account} />
    </nav>
  );
}
