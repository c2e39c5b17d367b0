import { useTexts } from '../../i18n/i18n';

/** Always on screen in a room: group chats are plaintext to the server and every occupant (no lock, ever). */
export function NotEncryptedBanner() {
  const texts = useTexts();
  return (
    <p className="room-not-encrypted" role="note" data-testid="room-not-encrypted">
      <span aria-hidden="true">⚠ </span>
      {texts.groupChat.notEncrypted}
    </p>
  );
}
