/**
 * The contact's history setting, under the chat header: private messages are
 * not kept on this computer unless the user turns it on for this contact.
 */
import { useTexts } from '../i18n/i18n';

type Props = {
  contactName: string;
  keep: boolean;
  /** Set when the administrator's policy keeps no history: the box is off and locked, with this reason. */
  lockedReason?: string;
  onChange: (keep: boolean) => void;
};

export function PrivateHistorySetting({ contactName, keep, lockedReason, onChange }: Props) {
  const t = useTexts().chat;
  return (
    // data-keep is what the core holds (a click changes the box at once, the attribute only when the core agreed).
    <div className="chat-settings" data-testid="private-history-setting" data-keep={String(keep)}>
      <label
        className="history-setting"
        title={lockedReason ?? t.keepHistoryHint}
      >
        <input
          type="checkbox"
          data-testid="keep-private-history"
          checked={keep && !lockedReason}
          disabled={lockedReason !== undefined}
          onChange={(e) => onChange(e.target.checked)}
        />
        {t.keepHistory(contactName)}
      </label>
    </div>
  );
}
