import { useId, useState, type FormEvent } from 'react';
import { readAddContactForm, type ContactValues } from '../contactForms';
import { useTexts } from '../i18n/i18n';

type Props = {
  ownJid: string;
  /** Prefilled, e.g. for someone who wrote to us without being a contact. */
  initialAddress?: string;
  connected: boolean;
  /** Known group names, offered as suggestions. */
  groups: string[];
  /** Resolves with an error to show, or null when the contact was added. */
  onSubmit: (values: ContactValues) => Promise<string | null>;
  onCancel: () => void;
};

/** Address (required), name and group of a new contact; adding it asks to see their presence. */
export function AddContactForm({ ownJid, initialAddress = '', connected, groups, onSubmit, onCancel }: Props) {
  const id = useId();
  const texts = useTexts();
  const t = texts.contactForm;
  const [address, setAddress] = useState(initialAddress);
  const [name, setName] = useState('');
  const [group, setGroup] = useState('');
  const [error, setError] = useState<{ message: string; field?: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    const read = readAddContactForm({ address, name, groups: group }, ownJid, t);
    if (!read.ok) return setError({ message: read.message, field: read.field });
    setBusy(true);
    const problem = await onSubmit(read.values);
    setBusy(false);
    setError(problem ? { message: problem } : null);
  }

  const errorId = `${id}-error`;
  const invalid = (field: string) => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': errorId } : {});
  return (
    <form className="form" onSubmit={submit} noValidate data-testid="add-contact-form">
      <p className="muted">{t.addIntro}</p>
      <label className="field">
        <span>{t.address}</span>
        <input
          data-testid="add-contact-jid"
          type="text"
          inputMode="email"
          autoFocus
          spellCheck={false}
          autoComplete="off"
          placeholder="name@example.com"
          value={address}
          onChange={(e) => setAddress(e.target.value)}
          required
          {...invalid('address')}
        />
      </label>
      <div className="field-row">
        <label className="field grow">
          <span>
            {t.name} <span className="optional">{t.optional}</span>
          </span>
          <input data-testid="add-contact-name" type="text" value={name} onChange={(e) => setName(e.target.value)} {...invalid('name')} />
        </label>
        <label className="field grow">
          <span>
            {t.group} <span className="optional">{t.optional}</span>
          </span>
          <input
            data-testid="add-contact-group"
            type="text"
            list={`${id}-groups`}
            value={group}
            onChange={(e) => setGroup(e.target.value)}
            {...invalid('groups')}
          />
          <datalist id={`${id}-groups`}>
            {groups.map((g) => (
              <option key={g} value={g} />
            ))}
          </datalist>
        </label>
      </div>
      {!connected && (
        <p className="inline-error small" role="status">
          {t.notConnectedAdd}
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert" id={errorId} data-testid="add-contact-error">
          {error.message}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="button" onClick={onCancel} disabled={busy}>
          {t.cancel}
        </button>
        <button type="submit" className="button primary" data-testid="add-contact-submit" disabled={busy}>
          {busy ? t.adding : t.add}
        </button>
      </div>
    </form>
  );
}
