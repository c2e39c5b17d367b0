import { useState, type FormEvent } from 'react';
import type { Contact } from '../../shared/contract';
import { readEditContactForm } from '../contactForms';

type Props = {
  /** The id the dialog is labelled by: this form names itself (editing, or confirming a removal). */
  titleId: string;
  contact: Contact;
  connected: boolean;
  onSave: (name: string, groups: string[]) => Promise<string | null>;
  onRemove: () => Promise<string | null>;
  onClose: () => void;
};

/** Name and groups of a contact, and removing it (after a confirmation). */
export function EditContactForm({ titleId, contact, connected, onSave, onRemove, onClose }: Props) {
  const [name, setName] = useState(contact.name ?? '');
  const [groups, setGroups] = useState(contact.groups.join(', '));
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(work: () => Promise<string | null>) {
    setBusy(true);
    const problem = await work();
    setBusy(false);
    setError(problem);
  }

  async function save(e: FormEvent) {
    e.preventDefault();
    const read = readEditContactForm({ name, groups });
    if (!read.ok) return setError(read.message);
    await run(() => onSave(read.name, read.groups));
  }

  if (confirming) {
    return (
      <div className="form" data-testid="remove-contact-confirm">
        <h2 id={titleId}>Remove contact</h2>
        <p>
          Remove <strong className="jid">{contact.jid}</strong> from your contacts? You will no longer see each other’s presence.
        </p>
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <div className="button-row">
          <button type="button" className="button" onClick={() => setConfirming(false)} disabled={busy}>
            Keep
          </button>
          <button type="button" className="button danger" data-testid="remove-contact-yes" disabled={busy} onClick={() => void run(onRemove)}>
            {busy ? 'Removing…' : 'Remove'}
          </button>
        </div>
      </div>
    );
  }

  return (
    <form className="form" onSubmit={save} noValidate data-testid="edit-contact-form">
      <div>
        <h2 id={titleId}>Edit contact</h2>
        <p className="muted jid">{contact.jid}</p>
      </div>
      <label className="field">
        <span>Name</span>
        <input data-testid="edit-contact-name" type="text" autoFocus placeholder={contact.jid} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span>Groups</span>
        <input data-testid="edit-contact-groups" type="text" placeholder="Team, Berlin" value={groups} onChange={(e) => setGroups(e.target.value)} />
        <span className="hint">Separate several groups with commas.</span>
      </label>
      {!connected && (
        <p className="inline-error small" role="status">
          You are not connected. Sign in to change contacts.
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert" data-testid="edit-contact-error">
          {error}
        </p>
      )}
      <div className="button-row spread">
        <button type="button" className="button danger" data-testid="remove-contact" onClick={() => setConfirming(true)} disabled={busy}>
          Remove contact…
        </button>
        <span className="button-row">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button type="submit" className="button primary" data-testid="edit-contact-save" disabled={busy}>
            {busy ? 'Saving…' : 'Save'}
          </button>
        </span>
      </div>
    </form>
  );
}
