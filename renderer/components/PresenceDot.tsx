import type { ShownPresence } from '../store/contactTrust';

/** The coloured dot; the words go into the accessible name of whatever contains it. */
export function PresenceDot({ show }: { show: ShownPresence }) {
  return <span className={`presence-dot presence-${show}`} aria-hidden="true" />;
}
