import type { ConnectionState } from '../../shared/contract';
import { useSecondsUntil } from '../hooks/useSecondsUntil';

type Props = {
  state: ConnectionState;
  busy: boolean;
  /** Message of a failed retry request, if any. */
  error: string | null;
  onRetry: () => void;
};

function ReconnectCountdown({ retryAt }: { retryAt: number }) {
  const seconds = useSecondsUntil(retryAt);
  // The ticking number is left out of the live region: screen readers would read it every second.
  return (
    <>
      <span aria-hidden="true">{seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…'}</span>
      <span className="sr-only">Connection lost, reconnecting soon.</span>
    </>
  );
}

function title(state: ConnectionState) {
  switch (state.kind) {
    case 'offline':
      return 'Offline';
    case 'connecting':
      return 'Connecting…';
    case 'online':
      return 'Online';
    case 'reconnecting':
      return <ReconnectCountdown key={state.retryAt} retryAt={state.retryAt} />;
    case 'error':
      return 'Not connected';
  }
}

/** Always-visible line telling whether we are connected, and what happens next if not. */
export function ConnectionStatus({ state, busy, error, onRetry }: Props) {
  const detail =
    state.kind === 'reconnecting' ? state.reason : state.kind === 'error' ? state.error.message : null;
  const canRetry = state.kind === 'error' || state.kind === 'offline';
  return (
    <div className={`connection-status state-${state.kind}`} data-testid="connection-status" data-state={state.kind}>
      <div className="connection-text">
        <span className="connection-icon" aria-hidden="true" />
        <span role="status">
          <span className="connection-title">{title(state)}</span>
          {detail && <span className="connection-detail">{detail}</span>}
          {error && <span className="connection-detail">{error}</span>}
        </span>
      </div>
      {canRetry && (
        <button type="button" className="button small" data-testid="retry-button" onClick={onRetry} disabled={busy}>
          {state.kind === 'offline' ? 'Connect' : 'Retry'}
        </button>
      )}
    </div>
  );
}
