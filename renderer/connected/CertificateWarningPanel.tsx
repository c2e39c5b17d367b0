import { useState } from 'react';
import type { AccountView } from '../../shared/contract';
import { CertificateWarning } from '../components/CertificateWarning';
import { errorText, useTexts } from '../i18n/i18n';
import { changedCertificate } from '../store/transitions';
import { useActions } from './context';

/** The changed-certificate warning for one account, or nothing when its certificate is fine. */
export function CertificateWarningPanel({ account }: { account: AccountView }) {
  const actions = useActions();
  const texts = useTexts();
  const t = texts.certificate;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Main may keep showing the old error until the next attempt (e.g. while it waits for a
  // password); a certificate the user has just trusted is not offered a second time.
  const [trusted, setTrusted] = useState<string | null>(null);
  const certificate = changedCertificate(account);
  if (!certificate) return null;
  if (trusted === certificate.sha256) {
    return (
      <p className="notice" role="status">
        {t.trustedNow} {account.hasStoredPassword ? t.connectingNow : t.enterPasswordToConnect}
      </p>
    );
  }
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
        if (result.ok) setTrusted(certificate.sha256);
        else setError(errorText(texts, result.error));
      }}
    />
  );
}
