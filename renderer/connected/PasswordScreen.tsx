import { useState } from 'react';
import type { AccountView } from '../../shared/contract';
import { PasswordPrompt } from '../components/PasswordPrompt';
import { errorText, useTexts } from '../i18n/i18n';
import { changedCertificate } from '../store/transitions';
import { AccountActions } from './AccountActions';
import { CertificateWarningPanel } from './CertificateWarningPanel';
import { useActions, useAppState } from './context';

/** An existing account without a stored password that is not connected: ask for it. */
export function PasswordScreen({ account }: { account: AccountView }) {
  const actions = useActions();
  const texts = useTexts();
  const secretStorage = useAppState((s) => s.secretStorage);
  const [busy, setBusy] = useState(false);
  const [requestError, setRequestError] = useState<string | null>(null);

  const connection = account.connection;
  const certificateChanged = changedCertificate(account) !== undefined;
  const connectionError = connection.kind === 'error' && !certificateChanged ? errorText(texts, connection.error) : null;

  return (
    <main className="center-screen stack">
      {certificateChanged && <CertificateWarningPanel key={account.id} account={account} />}
      <PasswordPrompt
        jid={account.jid}
        secretStorage={secretStorage}
        rememberByDefault={account.rememberPassword}
        busy={busy}
        error={requestError ?? connectionError}
        onSubmit={async (values) => {
          setBusy(true);
          setRequestError(null);
          const result = await actions.connectAccount(account.id, values);
          setBusy(false);
          if (!result.ok) setRequestError(errorText(texts, result.error));
        }}
        footer={<AccountActions account={account} />}
      />
    </main>
  );
}
