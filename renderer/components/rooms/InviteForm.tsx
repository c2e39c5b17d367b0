import { useState, type FormEvent } from 'react';
import type { Contact } from '../../../shared/contract';
import { useTexts } from '../../i18n/i18n';

type Props = {
  room: string;
  contacts: Contact[];
  /** Resolve with an error text to show, or null once sent. */
  onInvite: (contact: string, reason: string) => Promise<string | null>;
  onClose: () => void;
};

/** Invites one of the user's contacts to the room (a direct invitation, XEP-0249). */
export function InviteForm({ room, contacts, onInvite, onClose }: Props) {
  const texts = useTexts().groupChat;
  const [contact, setContact] = useState(contacts[0]?.jid ?? '');
  const [reason, setReason] = useState('');
  const [status, setStatus] = useState<{ error: boolean; text: string } | null>(null);
  const [sending, setSending] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!contact) return;
    setSending(true);
    const problem = await onInvite(contact, reason.trim());
    setSending(false);
    setStatus(problem ? { error: true, text: problem } : { error: false, text: texts.invitationSent(contact) });
    if (!problem) setReason('');
  }

  return (
    <form className="room-invite-form" onSubmit={submit} data-testid="room-invite-form" aria-label={texts.inviteTitle(room)}>
      {contacts.length === 0 ? (
        <p className="muted small">{texts.noContactsToInvite}</p>
      ) : (
        <>
          <label className="field">
            <span>{texts.inviteContact}</span>
            <select data-testid="invite-contact" value={contact} onChange={(e) => setContact(e.target.value)}>
              {contacts.map((c) => (
                <option key={c.jid} value={c.jid}>
                  {c.name ? `${c.name} (${c.jid})` : c.jid}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>
              {texts.inviteReason} <span className="muted">{texts.optional}</span>
            </span>
            <input data-testid="invite-reason" type="text" maxLength={1024} value={reason} onChange={(e) => setReason(e.target.value)} />
          </label>
          <button type="submit" className="button small primary" data-testid="send-invitation" disabled={sending}>
            {texts.sendInvitation}
          </button>
        </>
      )}
      <button type="button" className="button small subtle" onClick={onClose}>
        {texts.cancel}
      </button>
      {status && (
        <p className={status.error ? 'inline-error small' : 'muted small'} role={status.error ? 'alert' : 'status'} data-testid="invite-status">
          {status.text}
        </p>
      )}
    </form>
  );
}
