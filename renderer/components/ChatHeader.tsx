import { useRef } from 'react';
import type { Contact, OtrPolicy, Privacy } from '../../shared/contract';
import { presenceLabel } from '../format';
import { displayName } from '../store/transitions';
import { PresenceDot } from './PresenceDot';

type Props = {
  contact: Contact;
  onStartPrivate: () => void;
  onEndPrivate: () => void;
  onAuthenticate: () => void;
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

export const policyLabel: Record<OtrPolicy, string> = {
  never: 'Never private',
  manual: 'Private when I start it',
  opportunistic: 'Private when possible',
  always: 'Always private',
};

const privacyIcon: Record<Privacy, string> = { plaintext: '🔓', private: '🔒', 'private-verified': '🔒', finished: '⚠️' };

export function ChatHeader({ contact, onStartPrivate, onEndPrivate, onAuthenticate, onPolicy, lockedPolicy }: Props) {
  const name = displayName(contact);
  const privacy = contact.privacy ?? 'plaintext';
  const text = privacyText[privacy];
  const isPrivate = privacy === 'private' || privacy === 'private-verified';
  const menu = useRef<HTMLDetailsElement>(null);
  /** Runs a menu item and closes the menu. */
  const choose = (action: () => void) => () => {
    if (menu.current) menu.current.open = false;
    action();
  };
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
      <details className="privacy-menu" ref={menu}>
        <summary
          className={`privacy-badge privacy-${privacy}`}
          data-testid="privacy-state"
          data-privacy={privacy}
          title={text.explain}
          aria-label={`${text.label}. Privacy options`}
        >
          <span aria-hidden="true">{privacyIcon[privacy]} </span>
          {text.label}
          <span className="menu-caret" aria-hidden="true">
            ▾
          </span>
        </summary>
        <div className="menu-panel" role="group" aria-label="Privacy options">
          <p className="menu-explain">{text.explain}</p>
          <button type="button" className="menu-item" data-testid="start-private" onClick={choose(onStartPrivate)}>
            {isPrivate ? 'Refresh private conversation' : 'Start private conversation'}
          </button>
          {privacy !== 'plaintext' && (
            <button type="button" className="menu-item" data-testid="end-private" onClick={choose(onEndPrivate)}>
              End private conversation
            </button>
          )}
          <button type="button" className="menu-item" data-testid="authenticate" onClick={choose(onAuthenticate)}>
            Authenticate {name}…
          </button>
          <label className="menu-field">
            <span>Privacy for {name}</span>
            <select
              className="select"
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
            {lockedPolicy && (
              <span className="muted small" data-testid="otr-policy-locked" title={lockedPolicy.reason}>
                🔒 Locked by your administrator
              </span>
            )}
          </label>
        </div>
      </details>
    </header>
  );
}
