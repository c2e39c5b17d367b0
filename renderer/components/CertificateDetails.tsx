import { Fragment } from 'react';
import type { CertificateInfo } from '../../shared/contract';

/** The fingerprint with line-break chances after each colon; its text stays exactly `sha256`. */
export function Fingerprint({ sha256, testId }: { sha256: string; testId?: string }) {
  const parts = sha256.split(':');
  return (
    <code className="fingerprint" data-testid={testId}>
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              :<wbr />
            </>
          )}
        </Fragment>
      ))}
    </code>
  );
}

/** Node prints dates like "Nov 25 10:00:00 2025 GMT"; show them localised when they parse. */
function certDate(value: string): string {
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? value : new Date(ms).toLocaleString();
}

type Props = {
  certificate: CertificateInfo;
  /** Test id of the fingerprint element (only the trust dialog's is a stable hook). */
  fingerprintTestId?: string;
};

export function CertificateDetails({ certificate, fingerprintTestId }: Props) {
  return (
    <dl className="cert-details">
      <dt>Subject</dt>
      <dd>{certificate.subject || '—'}</dd>
      <dt>Issuer</dt>
      <dd>
        {certificate.issuer || '—'}
        {certificate.selfSigned && <span className="tag">self-signed</span>}
      </dd>
      <dt>Valid from</dt>
      <dd>{certDate(certificate.validFrom)}</dd>
      <dt>Valid until</dt>
      <dd>{certDate(certificate.validTo)}</dd>
      <dt>SHA-256 fingerprint</dt>
      <dd>
        <Fingerprint sha256={certificate.sha256} testId={fingerprintTestId} />
      </dd>
    </dl>
  );
}
