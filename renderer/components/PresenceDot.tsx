import type { PresenceShow } from '../../shared/contract';

/** The coloured dot; the words go into the accessible name of whatever contains it. */
export function PresenceDot({ show }: { show: PresenceShow }) {
  return <span className={`presence-dot presence-${show}`} aria-hidden="true" />;
}
