import { useTexts } from '../../i18n/i18n';

/**
 * Always on screen in a room, from the room's one state (RoomView.e2ee): end-to-end encrypted with its scheme
 * (OMEMO in a members-only, non-anonymous room), or plainly not.
 */
export function RoomPrivacyBanner({ scheme }: { scheme: string | undefined }) {
  const texts = useTexts();
  if (!scheme) return <NotEncryptedBanner />;
  return (
    <p className="room-encrypted" role="note" data-testid="room-encrypted" data-scheme={scheme}>
      <span aria-hidden="true">🔒 </span>
      {texts.groupChat.encrypted(scheme.toUpperCase())}
    </p>
  );
}

/** A room that is plaintext to the server and every occupant (no lock, ever). */
export function NotEncryptedBanner() {
  const texts = useTexts();
  return (
    <p className="room-not-encrypted" role="note" data-testid="room-not-encrypted">
      <span aria-hidden="true">⚠ </span>
      {texts.groupChat.notEncrypted}
    </p>
  );
}
