import type { ConnectionState } from '../../shared/contract';
import { useSecondsUntil } from '../hooks/useSecondsUntil';
import { errorText, useTexts, type Catalog } from '../i18n/i18n';

type Props = {
  state: ConnectionState;
  busy: boolean;
  /** Message of a failed retry request, if any. */
  error: string | null;
  onRetry: () => void;
};

function ReconnectCountdown({ retryAt }: { retryAt: number }) {
  const seconds = useSecondsUntil(retryAt);
  const t = useTexts().connection;
  // The ticking number is left out of the live region: screen readers would read it every second.
  return (
    <>
      <span aria-hidden="true">{seconds > 0 ? t.reconnectingIn(seconds) : t.reconnecting}</span>
      <span className="sr-only">{t.reconnectingSoon}</span>
    </>
  );
}

function title(state: ConnectionState, t: Catalog['connection']) {
  switch (state.kind) {
    case 'offline':
      return t.offline;
    case 'connecting':
      return t.connecting;
    case 'online':
      return t.online;
    case 'reconnecting':
      return <ReconnectCountdown key={state.retryAt} retryAt={state.retryAt} />;
    case 'error':
      return t.notConnected;
  }
}

/** Always-visible line telling whether we are connected, and what happens next if not. */
export function ConnectionStatus({ state, busy, error, onRetry }: Props) {
  const texts = useTexts();
  const detail =
    state.kind === 'reconnecting'
      ? state.reasonCode
        ? errorText(texts, { code: state.reasonCode, message: state.reason })
        : state.reason
      : state.kind === 'error' ? errorText(texts, state.error) : null;
  const canRetry = state.kind === 'error' || state.kind === 'offline';
  return (
    <div className={`connection-status state-${state.kind}`} data-testid="connection-status" data-state={state.kind}>
      <div className="connection-text">
        <span className="connection-icon" aria-hidden="true" />
        <span role="status">
          <span className="connection-title">{title(state, texts.connection)}</span>
          {detail && <span className="connection-detail">{detail}</span>}
          {error && <span className="connection-detail">{error}</span>}
        </span>
      </div>
      {canRetry && (
        <button type="button" className="button small" data-testid="retry-button" onClick={onRetry} disabled={busy}>
          {state.kind === 'offline' ? texts.connection.connect : texts.connection.retry}
        </button>
      )}
    </div>
  );
}
