import type { PolicyView } from '../../shared/contract';

const otrLabel = { never: 'Never private', manual: 'Private on request', opportunistic: 'Private when possible', always: 'Always private' } as const;

/** What the administrator's policy sets, in words: shown in the account settings. */
export function PolicySummary({ policy, accountsFull }: { policy: PolicyView; /** The one allowed account exists. */ accountsFull: boolean }) {
  const items = [
    policy.serverDomain && `Company server: ${policy.serverDomain}${policy.serverHost ? ` (${policy.serverHost}${policy.serverPort ? `:${policy.serverPort}` : ''})` : ''}`,
    policy.otrPolicy && `Privacy: ${otrLabel[policy.otrPolicy]}`,
    !policy.plaintextAllowed && 'No unencrypted messages',
    policy.remoteRestricted && 'Only approved contacts can be written to',
    policy.addAccounts !== 'allowed' && (policy.addAccounts === 'locked' || accountsFull ? 'No further accounts' : `Only an account on ${policy.serverDomain}`),
    policy.pinnedCertificates && 'Server certificates pinned',
    !policy.updates && 'Updates managed by IT',
    !policy.keepHistory && 'No chat history kept',
  ].filter((item): item is string => typeof item === 'string' && item !== '');
  if (!policy.source || items.length === 0) return null;
  return (
    <section className="policy-summary muted small" data-testid="policy-summary" aria-label="Managed by your administrator">
      <p>🔒 {policy.reason}</p>
      <ul>
        {items.map((item) => (
          <li key={item}>{item}</li>
        ))}
      </ul>
    </section>
  );
}
