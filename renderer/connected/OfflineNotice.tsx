import { useState } from 'react';
import type { AccountView } from '../../shared/contract';
import { OfflineBanner } from '../components/OfflineBanner';
import { useActions } from './context';

/**
 * The banner for the user's own connection: shown while the connection manager is reconnecting by itself
 * (and during its attempts), not for a sign-in that needs the user (the sidebar's status says that).
 */
export function OfflineNotice({ account }: { account: AccountView }) {
  const actions = useActions();
  const [busy, setBusy] = useState(false);
  const [dropped, setDropped] = useState(false);
  const state = account.connection;
  // An attempt ('connecting') right after a drop is still "offline, reconnecting"; online, offline or an error ends it.
  if (state.kind === 'reconnecting' && !dropped) setDropped(true);
  if ((state.kind === 'online' || state.kind === 'offline' || state.kind === 'error') && dropped) setDropped(false);
  if (!(state.kind === 'reconnecting' || (state.kind === 'connecting' && dropped))) return null;
  return (
    <OfflineBanner
      retryAt={state.kind === 'reconnecting' ? state.retryAt : undefined}
      busy={busy}
      onReconnectNow={async () => {
        setBusy(true);
        // The same request as the sidebar's "Retry": with no password given, the core tries again at once
        // with the stored one or the one typed in this session. A failure shows up as the next countdown.
        await actions.connectAccount(account.id);
        setBusy(false);
      }}
    />
  );
}
