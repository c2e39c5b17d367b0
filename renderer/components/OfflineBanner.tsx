import { useSecondsUntil } from '../hooks/useSecondsUntil';
import { useTexts } from '../i18n/i18n';

type Props = {
  /** Epoch ms of the connection manager's next attempt; undefined while an attempt is under way. */
  retryAt: number | undefined;
  busy: boolean;
  onReconnectNow: () => void;
};

function Countdown({ retryAt }: { retryAt: number }) {
  const seconds = useSecondsUntil(retryAt);
  const t = useTexts().offline;
  return <>{seconds > 0 ? t.reconnectingIn(seconds) : t.reconnecting}</>;
}

/** Over the chat while the user's own connection is down: what is happening, and a way not to wait. */
export function OfflineBanner({ retryAt, busy, onReconnectNow }: Props) {
  const t = useTexts().offline;
  return (
    <div className="offline-banner" data-testid="offline-banner">
      {/* The ticking number stays out of the live region: screen readers would read it every second. */}
      <span role="status" className="sr-only">{t.announce}</span>
      <span aria-hidden="true">
        <strong>{t.title}</strong> — <span data-testid="offline-countdown">{retryAt !== undefined && !busy ? <Countdown key={retryAt} retryAt={retryAt} /> : t.reconnecting}</span>
      </span>
      <span aria-hidden="true"> · </span>
      <button type="button" className="button small" data-testid="reconnect-now" onClick={onReconnectNow} disabled={busy || retryAt === undefined}>
        {t.reconnectNow}
      </button>
    </div>
  );
}
