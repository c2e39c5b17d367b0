import type { Occupant } from '../../../shared/contract';
import { useTexts } from '../../i18n/i18n';
import { PresenceDot } from '../PresenceDot';

/** Who is in the room (nicknames as text), ours marked; a room bigger than the list says how many more. */
export function OccupantList({ occupants, omitted, ownNick }: { occupants: Occupant[]; omitted: number; ownNick: string }) {
  const texts = useTexts().groupChat;
  return (
    <aside className="occupants" id="room-occupants" aria-labelledby="occupants-heading" data-testid="occupant-list">
      <h3 id="occupants-heading" className="sidebar-heading">
        {texts.occupantsHeading(occupants.length + omitted)}
      </h3>
      <ul>
        {occupants.map((o) => {
          const rank = o.affiliation === 'owner' ? texts.owner : o.affiliation === 'admin' ? texts.admin : o.role === 'moderator' ? texts.roles.moderator : '';
          return (
            <li key={o.nick} className="occupant" data-testid="occupant" data-nick={o.nick} data-show={o.show}>
              <PresenceDot show={o.show} />
              <span className="occupant-nick">{o.nick}</span>
              {o.nick === ownNick && <span className="muted small"> {texts.you}</span>}
              {rank && <span className="muted small"> · {rank}</span>}
            </li>
          );
        })}
      </ul>
      {omitted > 0 && <p className="muted small">{texts.moreOccupants(omitted)}</p>}
    </aside>
  );
}
