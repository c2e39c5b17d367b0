/**
 * The roster side of the sidebar: contact requests, the "Add contact" dialog,
 * the filter field and the grouped roster, and editing or removing a contact.
 */
import { useMemo, useState } from 'react';
import type { AccountView, Contact } from '../../shared/contract';
import { AddContactForm } from '../components/AddContactForm';
import { EditContactForm } from '../components/EditContactForm';
import { ModalDialog } from '../components/ModalDialog';
import { OwnAvatar } from '../components/OwnAvatar';
import { Roster } from '../components/Roster';
import { RosterFilter } from '../components/RosterFilter';
import { SubscriptionRequests } from '../components/SubscriptionRequests';
import { errorText, useTexts } from '../i18n/i18n';
import { createRosterSectionsSelector } from '../store/rosterView';
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

export function ContactsPanel({ account }: { account: AccountView }) {
  const accountId = account.id;
  const actions = useActions();
  const texts = useTexts();
  const roster = useAppState((s) => s.rosters[accountId] ?? noContacts);
  const peers = useAppState((s) => s.chats[accountId]);
  const filter = useAppState((s) => s.rosterFilter);
  const collapsed = useAppState((s) => s.collapsedGroups[accountId] ?? noGroups);
  const selectedJid = useAppState((s) => (s.selected?.accountId === accountId ? s.selected.peer : null));
  const avatars = useAppState((s) => s.avatars[accountId] ?? noAvatars);
  /** The Add contact dialog is open (with this address prefilled; '' for none). */
  const [adding, setAdding] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);

  const selectSections = useMemo(() => createRosterSectionsSelector(), []);
  const contacts = useMemo(() => contactsWithConversations(roster, peers), [roster, peers]);
  const sections = selectSections(contacts, filter, collapsed);
  const rosterJids = useMemo(() => new Set(roster.map((c) => c.jid)), [roster]);
  const groups = useMemo(() => [...new Set(roster.flatMap((c) => c.groups))].sort(), [roster]);
  const editedContact = editing ? roster.find((c) => c.jid === editing) : undefined;

  return (
    <>
      <SubscriptionRequestsConnected accountId={accountId} />
      <div className="roster-heading">
        <h2 className="sidebar-heading" id="roster-heading">
          {texts.contacts.heading}
        </h2>
        <button type="button" className="button small add-contact-button" data-testid="open-add-contact" onClick={() => setAdding('')}>
          {texts.contacts.add}
        </button>
      </div>
      {roster.length > 0 && <RosterFilter value={filter} onChange={actions.setRosterFilter} />}
      <Roster
        sections={sections}
        selectedJid={selectedJid}
        filter={filter}
        onSelect={(peer) => actions.selectChat({ accountId, peer })}
        onToggleGroup={(group) => actions.toggleGroup(accountId, group)}
        inRoster={(jid) => rosterJids.has(jid)}
        onEdit={setEditing}
        onAdd={setAdding}
        avatarOf={(jid) => avatars[jid]}
      />
      {adding !== null && <AddContactDialog account={account} groups={groups} address={adding} onClose={() => setAdding(null)} />}
      {editedContact && <EditContactDialog key={editedContact.jid} account={account} contact={editedContact} onClose={() => setEditing(null)} />}
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
