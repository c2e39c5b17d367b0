import type { PolicyView } from '../../shared/contract';
import { policyReasonText, useTexts } from '../i18n/i18n';

/** What the administrator's policy sets, in words: shown in the account settings. */
export function PolicySummary({ policy, accountsFull }: { policy: PolicyView; /** The one allowed account exists. */ accountsFull: boolean }) {
  const texts = useTexts();
  const t = texts.policy;
  const items = [
    policy.serverDomain && t.companyServer(policy.serverDomain, policy.serverHost, policy.serverPort),
    policy.otrPolicy && t.privacy(t.otr[policy.otrPolicy]),
    !policy.plaintextAllowed && t.noPlaintext,
    policy.remoteRestricted && t.remoteRestricted,
    policy.addAccounts !== 'allowed' && (policy.addAccounts === 'locked' || accountsFull ? t.noFurtherAccounts : t.onlyDomain(policy.serverDomain ?? '')),
    policy.pinnedCertificates && t.pinnedCertificates,
    !policy.updates && t.updatesManaged,
    !policy.keepHistory && t.noHistory,
  ].filter((item): item is string => typeof item === 'string' && item !== '');
  if (!policy.source || items.length === 0) return null;
  return (
    <section className="policy-summary muted small" data-testid="policy-summary" aria-label={t.managed}>
      <p>🔒 {policyReasonText(texts, policy)}</p>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </section>
  );
}
