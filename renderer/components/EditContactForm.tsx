import { useState, type FormEvent } from 'react';
import type { Contact } from '../../shared/contract';
import { readEditContactForm } from '../contactForms';
import { useTexts } from '../i18n/i18n';
import { displayName } from '../store/transitions';

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
  const t = useTexts().contactForm;
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
    const read = readEditContactForm({ name, groups }, t);
    if (!read.ok) return setError(read.message);
    await run(() => onSave(read.name, read.groups));
  }

  if (confirming) {
    return (
      <div className="form" data-testid="remove-contact-confirm">
        <h2 id={titleId}>{t.removeTitle(displayName(contact))}</h2>
        <p>
          {t.removeQuestionBefore}
          <strong data-testid="remove-contact-name">{displayName(contact)}</strong>
          {displayName(contact) !== contact.jid && <span className="jid"> ({contact.jid})</span>}
          {t.removeQuestionAfter}
        </p>
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <div className="button-row">
          <button type="button" className="button" onClick={() => setConfirming(false)} disabled={busy}>
            {t.keep}
          </button>
          <button type="button" className="button danger" data-testid="remove-contact-yes" disabled={busy} onClick={() => void run(onRemove)}>
            {busy ? t.removing : t.remove}
          </button>
        </div>
      </div>
    );
  }

  return (
    <form className="form" onSubmit={save} noValidate data-testid="edit-contact-form">
      <div>
        <h2 id={titleId}>{t.editTitle}</h2>
        <p className="muted jid">{contact.jid}</p>
      </div>
      <label className="field">
        <span>{t.name}</span>
        <input data-testid="edit-contact-name" type="text" autoFocus placeholder={contact.jid} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <label className="field">
        <span>{t.groups}</span>
        <input data-testid="edit-contact-groups" type="text" placeholder={t.groupsPlaceholder} value={groups} onChange={(e) => setGroups(e.target.value)} />
        <span className="hint">{t.groupsHint}</span>
      </label>
      {!connected && (
        <p className="inline-error small" role="status">
          {t.notConnectedEdit}
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert" data-testid="edit-contact-error">
          {error}
        </p>
      )}
      <div className="button-row spread">
        <button type="button" className="button danger" data-testid="remove-contact" onClick={() => setConfirming(true)} disabled={busy}>
          {t.removeContact}
        </button>
        <span className="button-row">
          <button type="button" className="button" onClick={onClose} disabled={busy}>
            {t.cancel}
          </button>
          <button type="submit" className="button primary" data-testid="edit-contact-save" disabled={busy}>
            {busy ? t.saving : t.save}
          </button>
        </span>
      </div>
    </form>
  );
}
