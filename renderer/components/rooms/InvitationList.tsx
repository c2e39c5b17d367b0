import { useState } from 'react';
import type { Invitation } from '../../../shared/contract';
import { useTexts } from '../../i18n/i18n';

type Props = {
  invitations: Invitation[];
  /** Resolve with an error text to show, or null once done. */
  onAccept: (invitation: Invitation) => Promise<string | null>;
  onDecline: (invitation: Invitation) => Promise<string | null>;
};

/**
 * Invitations to group chats as requests the user answers: nothing is joined without "Join".
 * A contact is named as the roster knows them; anyone else by the full address, with a warning.
 */
export function InvitationList({ invitations, onAccept, onDecline }: Props) {
  const texts = useTexts().groupChat;
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  if (invitations.length === 0) return null;

  async function answer(invitation: Invitation, how: Props['onAccept']) {
    setBusy(invitation.id);
    setError(await how(invitation));
    setBusy(null);
  }

  return (
    <section className="invitation-list" aria-labelledby="invitations-heading" data-testid="invitation-list">
      <h3 className="sidebar-heading small" id="invitations-heading">
        {texts.invitationsHeading}
      </h3>
      <ul>
        {invitations.map((invitation) => (
          <li key={invitation.id} className="invitation" data-testid="invitation" data-room={invitation.room} data-stranger={invitation.stranger ? 'true' : 'false'}>
            <p className="invitation-text">{texts.invitedBy(invitation.from, invitation.room)}</p>
            {invitation.reason && <p className="muted small invitation-reason">“{invitation.reason}”</p>}
            {invitation.stranger && (
              <p className="inline-warning small" data-testid="invitation-stranger">
                {texts.strangerInvitation}
              </p>
            )}
            <div className="invitation-actions">
              <button
                type="button"
                className="button small primary"
                data-testid="accept-invitation"
                disabled={busy !== null}
                onClick={() => void answer(invitation, onAccept)}
              >
                {texts.acceptInvitation}
              </button>
              <button
                type="button"
                className="button small subtle"
                data-testid="decline-invitation"
                disabled={busy !== null}
                onClick={() => void answer(invitation, onDecline)}
              >
                {texts.declineInvitation}
              </button>
            </div>
          </li>
        ))}
      </ul>
      {error && (
        <p className="inline-error small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
