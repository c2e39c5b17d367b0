import { Fragment } from 'react';
import type { CertificateInfo } from '../../shared/contract';
import { formatCertificateDate } from '../format';
import { useLocale, useTexts } from '../i18n/i18n';

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

type Props = {
  certificate: CertificateInfo;
  /** Test id of the fingerprint element (only the trust dialog's is a stable hook). */
  fingerprintTestId?: string;
};

export function CertificateDetails({ certificate, fingerprintTestId }: Props) {
  const t = useTexts().certificate;
  const locale = useLocale();
  return (
    <dl className="cert-details">
      <dt>{t.subject}</dt>
      <dd>{certificate.subject || '—'}</dd>
      <dt>{t.issuer}</dt>
      <dd>
        {certificate.issuer || '—'}
        {certificate.selfSigned && <span className="tag">{t.selfSigned}</span>}
      </dd>
      <dt>{t.validFrom}</dt>
      <dd>{formatCertificateDate(certificate.validFrom, locale)}</dd>
      <dt>{t.validUntil}</dt>
      <dd>{formatCertificateDate(certificate.validTo, locale)}</dd>
      <dt>{t.fingerprint}</dt>
      <dd>
        <Fingerprint sha256={certificate.sha256} testId={fingerprintTestId} />
      </dd>
    </dl>
  );
}
