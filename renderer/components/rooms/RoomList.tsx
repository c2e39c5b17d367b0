import type { RoomView } from '../../../shared/contract';
import { useTexts } from '../../i18n/i18n';

type Props = {
  rooms: RoomView[];
  selected: string | null;
  onSelect: (room: string) => void;
};

/** The account's group chats in the sidebar: address, state, unread count. */
export function RoomList({ rooms, selected, onSelect }: Props) {
  const texts = useTexts().groupChat;
  if (rooms.length === 0) return <p className="muted small room-list-empty">{texts.none}</p>;
  return (
    <ul className="room-list" data-testid="room-list">
      {rooms.map((room) => (
        <li key={room.jid}>
          <button
            type="button"
            className={`room-entry${selected === room.jid ? ' selected' : ''}`}
            data-testid="room-entry"
            data-room={room.jid}
            data-state={room.state}
            aria-current={selected === room.jid ? 'true' : undefined}
            onClick={() => onSelect(room.jid)}
          >
            <span className="room-entry-name"># {room.jid.split('@')[0]}</span>
            <span className="room-entry-state muted small">{texts.state[room.state]}</span>
            {room.unread > 0 && (
              <span className="badge" data-testid="room-unread" aria-label={texts.unread(room.unread)}>
                {room.unread}
              </span>
            )}
          </button>
        </li>
      ))}
    </ul>
  );
}
