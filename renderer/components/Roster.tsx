import type { KeyboardEvent } from 'react';
import type { Contact } from '../../shared/contract';
import { presenceLabel } from '../format';
import { displayName } from '../store/transitions';
import { PresenceDot } from './PresenceDot';

type Props = {
  contacts: Contact[];
  selectedJid: string | null;
  onSelect: (jid: string) => void;
};

/** Moves focus between the contact buttons with the arrow keys, Home and End. */
function onListKeyDown(e: KeyboardEvent<HTMLUListElement>) {
  const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
  if (!keys.includes(e.key)) return;
  const buttons = Array.from(e.currentTarget.querySelectorAll<HTMLButtonElement>('button[data-jid]'));
  if (buttons.length === 0) return;
  const current = buttons.indexOf(document.activeElement as HTMLButtonElement);
  let next: number;
  if (e.key === 'Home') next = 0;
  else if (e.key === 'End') next = buttons.length - 1;
  else if (e.key === 'ArrowDown') next = current === -1 ? 0 : Math.min(buttons.length - 1, current + 1);
  else next = current === -1 ? buttons.length - 1 : Math.max(0, current - 1);
  e.preventDefault();
  buttons[next]?.focus();
}

/** The contact list: available contacts first (the order comes sorted from the store). */
export function Roster({ contacts, selectedJid, onSelect }: Props) {
  if (contacts.length === 0) {
    return (
      <div className="roster-empty" data-testid="roster">
        <p className="muted">No contacts yet.</p>
      </div>
    );
  }
  return (
    <ul className="roster" data-testid="roster" aria-label="Contacts" onKeyDown={onListKeyDown}>
      {contacts.map((c) => {
        const name = displayName(c);
        const selected = c.jid === selectedJid;
        // What needs the user: the contact asks to be authenticated, or uses a new key nothing is sent with yet.
        const attention = c.keyWarning ? 'New key: check before writing' : c.smp?.phase === 'asked' ? 'Wants to authenticate you' : '';
        const label = [name, presenceLabel[c.presence.show], attention, c.presence.status, c.unread > 0 ? `${c.unread} unread` : '']
          .filter(Boolean)
          .join(', ');
        return (
          <li key={c.jid}>
            <button
              type="button"
              className={`contact${selected ? ' selected' : ''}`}
              data-testid="contact"
              data-jid={c.jid}
              data-show={c.presence.show}
              aria-current={selected ? 'true' : undefined}
              aria-label={label}
              title={c.jid}
              onClick={() => onSelect(c.jid)}
            >
              <PresenceDot show={c.presence.show} />
              <span className="contact-text">
                <span className="contact-name">
                  {name}
                  {(c.privacy === 'private' || c.privacy === 'private-verified') && (
                    <span
                      className={`contact-privacy privacy-${c.privacy}`}
                      data-testid="contact-private"
                      title={c.privacy === 'private-verified' ? 'Private and verified' : 'Private, not verified'}
                    >
                      {' '}
                      🔒{c.privacy === 'private-verified' ? '✓' : ''}
                    </span>
                  )}
                </span>
                {attention ? (
                  <span className="contact-status contact-attention" data-testid="contact-attention">
                    {c.keyWarning ? '⚠️ ' : '🔑 '}
                    {attention}
                  </span>
                ) : (
                  c.presence.status && <span className="contact-status">{c.presence.status}</span>
                )}
              </span>
              {c.unread > 0 && (
                <span className="badge" data-testid="unread-badge">
                  {c.unread > 99 ? '99+' : c.unread}
                </span>
              )}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
