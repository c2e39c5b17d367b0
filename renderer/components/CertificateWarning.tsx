import type { CertificateInfo } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';
import { CertificateDetails, Fingerprint } from './CertificateDetails';

type Props = {
  jid: string;
  certificate: CertificateInfo;
  /** Fingerprint of the certificate trusted before, when known. */
  pinned?: string;
  busy: boolean;
  error: string | null;
  onTrust: () => void;
};

/** The account stopped because its server now shows a different certificate than the pinned one. */
export function CertificateWarning({ jid, certificate, pinned, busy, error, onTrust }: Props) {
  const t = useTexts().certificate;
  return (
    <section className="cert-warning" data-testid="cert-warning" role="alert" aria-labelledby="cert-warning-title">
      <h2 id="cert-warning-title">{t.changedTitle}</h2>
      <p>
        {t.changedBefore}
        <strong>{jid}</strong>
        {t.changedAfter}
      </p>
      <p>
        {t.changedAdviceBefore}
        <strong>{t.changedAdviceStrong}</strong>
        {t.changedAdviceAfter}
      </p>
      <h3>{t.newCertificate}</h3>
      <CertificateDetails certificate={certificate} />
      {certificate.problem && <p className="muted">{t.problemReported(certificate.problem)}</p>}
      {pinned && (
        <p className="muted">
          {t.previouslyTrusted} <Fingerprint sha256={pinned} />
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="button subtle" data-testid="cert-warning-trust" onClick={onTrust} disabled={busy}>
          {busy ? t.trusting : t.trustNew}
        </button>
      </div>
    </section>
  );
}
