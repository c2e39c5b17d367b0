import type { Contact } from '../../shared/contract';
import { presenceLabel } from '../format';
import { displayName } from '../store/transitions';
import { PresenceDot } from './PresenceDot';

export function ChatHeader({ contact }: { contact: Contact }) {
  const name = displayName(contact);
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
    </header>
  );
}
