import type { CertificateInfo } from '../../shared/contract';
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
  return (
    <section className="cert-warning" data-testid="cert-warning" role="alert" aria-labelledby="cert-warning-title">
      <h2 id="cert-warning-title">Warning: the server's certificate has changed</h2>
      <p>
        The server for <strong>{jid}</strong> presented a certificate that differs from the one you trusted before.
        Klatsch did not connect.
      </p>
      <p>
        This may be a legitimate certificate renewal, but it may also mean that <strong>someone is intercepting your
        connection (an attack)</strong>. Ask your administrator whether the certificate was changed, and compare the
        fingerprint below, before trusting it.
      </p>
      <h3>New certificate</h3>
      <CertificateDetails certificate={certificate} />
      {certificate.problem && <p className="muted">Problem reported: {certificate.problem}</p>}
      {pinned && (
        <p className="muted">
          Previously trusted fingerprint: <Fingerprint sha256={pinned} />
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {error}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="button subtle" data-testid="cert-warning-trust" onClick={onTrust} disabled={busy}>
          {busy ? 'Trusting…' : 'Trust the new certificate'}
        </button>
      </div>
    </section>
  );
}
