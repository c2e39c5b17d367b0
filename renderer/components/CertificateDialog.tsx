import { useEffect, useRef } from 'react';
import type { CertificateInfo } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';
import { CertificateDetails } from './CertificateDetails';

type Props = {
  certificate: CertificateInfo;
  /** The server the user tried to reach, for the wording. */
  server: string;
  busy: boolean;
  onTrust: () => void;
  onCancel: () => void;
};

/** Modal shown when a new account's server presents a certificate nobody vouches for. */
export function CertificateDialog({ certificate, server, busy, onTrust, onCancel }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const t = useTexts().certificate;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    // The safe choice has the focus, so pressing Enter by habit does not trust anything.
    cancelRef.current?.focus();
    return () => dialog.close();
  }, []);

  return (
    <dialog
      ref={ref}
      className="dialog"
      data-testid="cert-dialog"
      aria-labelledby="cert-dialog-title"
      aria-describedby="cert-dialog-problem"
      onCancel={(e) => {
        e.preventDefault();
        if (!busy) onCancel();
      }}
    >
      <h2 id="cert-dialog-title">{t.dialogTitle}</h2>
      <p id="cert-dialog-problem">
        {t.dialogProblemBefore}
        <strong>{server}</strong>
        {t.dialogProblemAfter}
        <strong>{certificate.problem.replace(/\.$/, '')}</strong>.
      </p>
      <p>{t.dialogAdvice}</p>
      <CertificateDetails certificate={certificate} fingerprintTestId="cert-fingerprint" />
      <div className="button-row">
        <button ref={cancelRef} type="button" className="button primary" data-testid="cert-cancel" onClick={onCancel} disabled={busy}>
          {t.cancel}
        </button>
        <button type="button" className="button" data-testid="cert-trust" onClick={onTrust} disabled={busy}>
          {busy ? t.connecting : t.trust}
        </button>
      </div>
    </dialog>
  );
}
