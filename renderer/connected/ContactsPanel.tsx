/**
 * The roster side of the sidebar: contact requests, the "Add contact" dialog,
 * the filter field and the grouped roster, and editing or removing a contact.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { AccountView, Contact } from '../../shared/contract';
import { AddContactForm } from '../components/AddContactForm';
import { EditContactForm } from '../components/EditContactForm';
import { ModalDialog } from '../components/ModalDialog';
import { OwnAvatar } from '../components/OwnAvatar';
import { Roster } from '../components/Roster';
import { RosterFilter } from '../components/RosterFilter';
import { SubscriptionRequests } from '../components/SubscriptionRequests';
import { errorText, useTexts } from '../i18n/i18n';
import { createRosterSectionsSelector, searchTexts, warmSearchKeys } from '../store/rosterView';
import { contactsWithConversations } from '../store/transitions';
import { useActions, useAppState } from './context';

const noContacts: Contact[] = [];
const noRequests: never[] = [];
const noGroups: string[] = [];
const noAvatars: Record<string, string> = {};

function SubscriptionRequestsConnected({ accountId }: { accountId: string }) {
  const actions = useActions();
  const texts = useTexts();
  const requests = useAppState((s) => s.subscriptionRequests[accountId] ?? noRequests);
  const [busyJid, setBusyJid] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <SubscriptionRequests
      requests={requests}
      busyJid={busyJid}
      error={error}
      onAnswer={async (jid, approve) => {
        setBusyJid(jid);
        const result = await actions.answerSubscription(accountId, jid, approve);
        setBusyJid(null);
        setError(result.ok ? null : errorText(texts, result.error));
      }}
    />
  );
}

function AddContactDialog({ account, groups, address, onClose }: { account: AccountView; groups: string[]; address: string; onClose: () => void }) {
  const actions = useActions();
  const texts = useTexts();
  return (
    <ModalDialog className="contact-dialog" testId="add-contact-dialog" labelledBy="add-contact-title" onClose={onClose}>
      <h2 id="add-contact-title">{texts.contactForm.addTitle}</h2>
      <AddContactForm
        ownJid={account.jid}
        initialAddress={address}
        connected={account.connection.kind === 'online'}
        groups={groups}
        onCancel={onClose}
        onSubmit={async ({ jid, name, groups: chosen }) => {
          const result = await actions.addContact(account.id, jid, name, chosen);
          if (!result.ok) return errorText(texts, result.error);
          onClose();
          return null;
        }}
      />
    </ModalDialog>
  );
}

function EditContactDialog({ account, contact, onClose }: { account: AccountView; contact: Contact; onClose: () => void }) {
  const actions = useActions();
  const texts = useTexts();
  return (
    <ModalDialog className="contact-dialog" testId="edit-contact-dialog" labelledBy="edit-contact-title" onClose={onClose}>
      <EditContactForm
        titleId="edit-contact-title"
        contact={contact}
        connected={account.connection.kind === 'online'}
        onClose={onClose}
        onSave={async (name, groups) => {
          if (name !== (contact.name ?? '')) {
            const renamed = await actions.renameContact(account.id, contact.jid, name);
            if (!renamed.ok) return errorText(texts, renamed.error);
          }
          if (groups.join('\n') !== contact.groups.join('\n')) {
            const regrouped = await actions.setContactGroups(account.id, contact.jid, groups);
            if (!regrouped.ok) return errorText(texts, regrouped.error);
          }
          onClose();
          return null;
        }}
        onRemove={async () => {
          const removed = await actions.removeContact(account.id, contact.jid);
          if (!removed.ok) return errorText(texts, removed.error);
          onClose();
          return null;
        }}
      />
    </ModalDialog>
  );
}

/**
 * One account's part of the roster: its requests, its "Add contact", its contacts in groups.
 * `headed`: there are several accounts, so the part says whose it is.
 */
function AccountRoster({ account, headed }: { account: AccountView; headed: boolean }) {
  const accountId = account.id;
  const t = useTexts().accounts;
  const actions = useActions();
  const texts = useTexts();
  const roster = useAppState((s) => s.rosters[accountId] ?? noContacts);
  const peers = useAppState((s) => s.chats[accountId]);
  const filter = useAppState((s) => s.rosterFilter);
  const collapsed = useAppState((s) => s.collapsedGroups[accountId] ?? noGroups);
  const selectedJid = useAppState((s) => (s.selected?.accountId === accountId ? s.selected.peer : null));
  const avatars = useAppState((s) => s.avatars[accountId] ?? noAvatars);

  const selectSections = useMemo(() => createRosterSectionsSelector(), []);
  const contacts = useMemo(() => contactsWithConversations(roster, peers), [roster, peers]);
  const sections = selectSections(contacts, filter, collapsed);
  const rosterJids = useMemo(() => new Set(roster.map((c) => c.jid)), [roster]);
  // Stable callbacks: the roster's rows are memoised, and a filter keystroke must not render them all again.
  const onSelect = useCallback((peer: string) => actions.selectChat({ accountId, peer }), [actions, accountId]);
  const onToggleGroup = useCallback((group: string) => actions.toggleGroup(accountId, group), [actions, accountId]);
  const inRoster = useCallback((jid: string) => rosterJids.has(jid), [rosterJids]);
  const onEdit = useCallback((jid: string) => actions.openDialog({ kind: 'edit-contact', accountId, jid }), [actions, accountId]);
  const onAdd = useCallback((jid: string) => actions.openAddContact(accountId, jid), [actions, accountId]);
  const avatarOf = useCallback((jid: string) => avatars[jid], [avatars]);
  const headingId = `roster-heading-${accountId}`;

  // The filter's search texts, prepared while the user is not typing yet (roster-scale).
  useEffect(() => {
    if (typeof requestIdleCallback === 'undefined') return;
    let from = 0;
    let handle = 0;
    const step = (deadline: IdleDeadline) => {
      // Never idle for a while (a busy page): a few milliseconds' worth anyway, so the first keystroke finds the index ready.
      const until = performance.now() + 4;
      from = warmSearchKeys(contacts, from, deadline.didTimeout ? { timeRemaining: () => until - performance.now() } : deadline);
      if (from < contacts.length) handle = requestIdleCallback(step, { timeout: 200 });
      else searchTexts(contacts); // the roster's index, from the folded texts: one array, as a keystroke reads it
    };
    handle = requestIdleCallback(step, { timeout: 200 });
    return () => cancelIdleCallback(handle);
  }, [contacts]);

  return (
    <section className="account-roster" data-testid="account-roster" data-account-jid={account.jid} aria-labelledby={headingId}>
      <SubscriptionRequestsConnected accountId={accountId} />
      <div className="roster-heading">
        <h2 className="sidebar-heading" id={headingId}>
          {headed ? <span className="heading-account">{t.contactsOf(account.jid)}</span> : texts.contacts.heading}
        </h2>
        <button
          type="button"
          className="button small add-contact-button"
          data-testid="open-add-contact"
          title={headed ? t.addContactTo(account.jid) : undefined}
          onClick={() => actions.openAddContact(accountId)}
        >
          {texts.contacts.add}
        </button>
      </div>
      <Roster
        sections={sections}
        selectedJid={selectedJid}
        filter={filter}
        onSelect={onSelect}
        onToggleGroup={onToggleGroup}
        inRoster={inRoster}
        onEdit={onEdit}
        onAdd={onAdd}
        avatarOf={avatarOf}
        presenceKnown={account.connection.kind === 'online'}
      />
    </section>
  );
}

/** The one roster of every account (each part says whose when there are several), and the contact dialogs. */
export function ContactsPanel({ account }: { account: AccountView }) {
  const actions = useActions();
  const accounts = useAppState((s) => s.accounts);
  const filter = useAppState((s) => s.rosterFilter);
  const anyContacts = useAppState((s) => Object.values(s.rosters).some((r) => r.length > 0));
  const dialog = useAppState((s) => s.dialog);
  const several = accounts.length > 1;
  const shown = several ? accounts : [account];

  const dialogAccount = dialog && 'accountId' in dialog ? accounts.find((a) => a.id === dialog.accountId) : undefined;
  const dialogRoster = useAppState((s) => (dialogAccount ? (s.rosters[dialogAccount.id] ?? noContacts) : noContacts));
  const groups = useMemo(() => [...new Set(dialogRoster.flatMap((c) => c.groups))].sort(), [dialogRoster]);
  const editedContact = dialog?.kind === 'edit-contact' ? dialogRoster.find((c) => c.jid === dialog.jid) : undefined;
  const close = () => actions.closeDialog();

  return (
    <>
      {anyContacts && <RosterFilter value={filter} onChange={actions.setRosterFilter} />}
      {shown.map((a) => (
        <AccountRoster key={a.id} account={a} headed={several} />
      ))}
      {dialog?.kind === 'add-contact' && dialogAccount && (
        <AddContactDialog key={dialogAccount.id} account={dialogAccount} groups={groups} address={dialog.address} onClose={close} />
      )}
      {dialogAccount && editedContact && (
        <EditContactDialog key={`${dialogAccount.id}\n${editedContact.jid}`} account={dialogAccount} contact={editedContact} onClose={close} />
      )}
    </>
  );
}

/** Our own picture, in the account settings. */
export function OwnAvatarConnected({ account }: { account: AccountView }) {
  const actions = useActions();
  const texts = useTexts();
  const avatar = useAppState((s) => s.avatars[account.id]?.[account.jid]);
  return (
    <OwnAvatar
      jid={account.jid}
      avatar={avatar}
      connected={account.connection.kind === 'online'}
      onChange={async (image) => {
        const result = await actions.setAvatar(account.id, image);
        return result.ok ? null : errorText(texts, result.error);
      }}
    />
  );
}
