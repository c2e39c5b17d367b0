import type { ConnectionState } from '../../shared/contract';
import { secondsUntil } from '../format';

type Props = {
  state: ConnectionState;
  /** Current time in epoch ms; the parent ticks it while a countdown runs. */
  now: number;
  busy: boolean;
  onRetry: () => void;
};

/** Always-visible line telling whether we are connected, and what happens next if not. */
export function ConnectionStatus({ state, now, busy, onRetry }: Props) {
  let text: string;
  let detail: string | null = null;
  switch (state.kind) {
    case 'offline':
      text = 'Offline';
      break;
    case 'connecting':
      text = 'Connecting…';
      break;
    case 'online':
      text = 'Online';
      break;
    case 'reconnecting': {
      const s = secondsUntil(state.retryAt, now);
      text = s > 0 ? `Reconnecting in ${s} s` : 'Reconnecting…';
      detail = state.reason;
      break;
    }
    case 'error':
      text = 'Not connected';
      detail = state.error.message;
      break;
  }
  const canRetry = state.kind === 'error' || state.kind === 'offline';
  return (
    <div className={`connection-status state-${state.kind}`} data-testid="connection-status" data-state={state.kind}>
      <div role="status" className="connection-text">
        <span className="connection-icon" aria-hidden="true" />
        <span>
          <span className="connection-title">{text}</span>
          {detail && <span className="connection-detail">{detail}</span>}
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
