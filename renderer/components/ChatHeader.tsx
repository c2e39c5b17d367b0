import type { Contact, OtrPolicy, Privacy } from '../../shared/contract';
import { presenceLabel } from '../format';
import { displayName } from '../store/transitions';
import { PresenceDot } from './PresenceDot';

type Props = {
  contact: Contact;
  onStartPrivate: () => void;
  onEndPrivate: () => void;
  onPolicy: (policy: OtrPolicy | undefined) => void;
  /** Set when the administrator locked the privacy policy: the one in force and why. */
  lockedPolicy?: { policy: OtrPolicy; reason: string };
};

export const privacyText: Record<Privacy, { label: string; explain: string }> = {
  plaintext: { label: 'Not private', explain: 'Messages are not end-to-end encrypted; the server can read them.' },
  private: {
    label: 'Private, not verified',
    explain: 'Messages are end-to-end encrypted (OTR), but you have not verified that this is really your contact.',
  },
  'private-verified': { label: 'Private and verified', explain: 'Messages are end-to-end encrypted, and your contact is verified.' },
  finished: {
    label: 'Private conversation ended',
    explain: 'Nothing is sent until you start a new private conversation or end this one.',
  },
};

const policyLabel: Record<OtrPolicy, string> = {
  never: 'Never private',
  manual: 'Private when I start it',
  opportunistic: 'Private when possible',
  always: 'Always private',
};

export function ChatHeader({ contact, onStartPrivate, onEndPrivate, onPolicy, lockedPolicy }: Props) {
  const name = displayName(contact);
  const privacy = contact.privacy ?? 'plaintext';
  const text = privacyText[privacy];
  const isPrivate = privacy === 'private' || privacy === 'private-verified';
  return (
    <header className="chat-header">
      <PresenceDot show={contact.presence.show} />
      <div className="chat-header-text">
        <h2 className="chat-title">{name}</h2>
        <p className="chat-subtitle">
          {name !== contact.jid && <span className="jid">{contact.jid} · </span>}
          <span>{presenceLabel[contact.presence.show]}</span>
          {contact.presence.status && <span> — {contact.presence.status}</span>}
        </p>
      </div>
      <div className="privacy-controls">
        <span className={`privacy-badge privacy-${privacy}`} data-testid="privacy-state" data-privacy={privacy} title={text.explain}>
          {isPrivate ? '🔒 ' : ''}
          {text.label}
        </span>
        <button type="button" className="button small" data-testid="start-private" onClick={onStartPrivate}>
          {isPrivate ? 'Refresh' : 'Start private'}
        </button>
        {privacy !== 'plaintext' && (
          <button type="button" className="button small" data-testid="end-private" onClick={onEndPrivate}>
            End private
          </button>
        )}
        <label className="policy-select">
          <span className="visually-hidden">Privacy policy for {name}</span>
          <select
            data-testid="otr-policy"
            value={lockedPolicy ? lockedPolicy.policy : (contact.otrPolicy ?? '')}
            disabled={lockedPolicy !== undefined}
            title={lockedPolicy ? `Locked: ${lockedPolicy.reason}` : undefined}
            onChange={(e) => onPolicy(e.target.value === '' ? undefined : (e.target.value as OtrPolicy))}
          >
            <option value="">Default ({policyLabel.opportunistic.toLowerCase()})</option>
            {(Object.keys(policyLabel) as OtrPolicy[]).map((p) => (
              <option key={p} value={p}>
                {policyLabel[p]}
              </option>
            ))}
          </select>
        </label>
        {lockedPolicy && (
          <span className="muted small" data-testid="otr-policy-locked" title={lockedPolicy.reason}>
            🔒 Locked by your administrator
          </span>
        )}
      </div>
    </header>
  );
}
