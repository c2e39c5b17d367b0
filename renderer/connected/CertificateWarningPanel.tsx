import { useState } from 'react';
import type { AccountView } from '../../shared/contract';
import { CertificateWarning } from '../components/CertificateWarning';
import { changedCertificate } from '../store/transitions';
import { useActions } from './context';

/** The changed-certificate warning for one account, or nothing when its certificate is fine. */
export function CertificateWarningPanel({ account }: { account: AccountView }) {
  const actions = useActions();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const certificate = changedCertificate(account);
  if (!certificate) return null;
  return (
    <CertificateWarning
      jid={account.jid}
      certificate={certificate}
      pinned={account.pinnedCertificate}
      busy={busy}
      error={error}
      onTrust={async () => {
        setBusy(true);
        setError(null);
        const result = await actions.trustNewCertificate(account.id, certificate.sha256);
        setBusy(false);
        if (!result.ok) setError(result.error.message);
      }}
    />
  );
}
