import { useState } from 'react';
import type { CertificateInfo } from '../../shared/contract';
import { CertificateDialog } from '../components/CertificateDialog';
import { LoginForm, type LoginValues } from '../components/LoginForm';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

type PendingTrust = { certificate: CertificateInfo; values: LoginValues };

/** First start, or "Add account": the sign-in form and, if needed, the certificate decision. */
export function AddAccountScreen({ canCancel }: { canCancel: boolean }) {
  const actions = useActions();
  const texts = useTexts();
  const secretStorage = useAppState((s) => s.secretStorage);
  const policy = useAppState((s) => s.policy);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Holds the typed values (password included) only while the certificate dialog is open.
  const [pending, setPending] = useState<PendingTrust | null>(null);

  async function attempt(values: LoginValues, trustCertificate?: string) {
    setBusy(true);
    setError(null);
    const result = await actions.addAccount(trustCertificate ? { ...values, trustCertificate } : values);
    setBusy(false);
    if (result.ok) {
      setPending(null);
      return;
    }
    const { error: e } = result;
    if (e.code === 'untrusted-certificate' && e.certificate) {
      setPending({ certificate: e.certificate, values });
    } else {
      setPending(null);
      setError(errorText(texts, e));
    }
  }

  // The certificate must name the XMPP domain (not the host it was reached at), so that is the server to show.
  const server = pending ? (pending.values.jid.split('@')[1] ?? pending.values.jid) : '';

  return (
    <main className="center-screen">
      <LoginForm
        secretStorage={secretStorage}
        busy={busy}
        error={error}
        onSubmit={(values) => void attempt(values)}
        onCancel={canCancel ? () => actions.setAddingAccount(false) : undefined}
        policy={policy}
      />
      {pending && (
        <CertificateDialog
          certificate={pending.certificate}
          server={server}
          busy={busy}
          onTrust={() => void attempt(pending.values, pending.certificate.sha256)}
          onCancel={() => {
            setPending(null);
            setError(texts.login.notTrusted(server));
          }}
        />
      )}
    </main>
  );
}
