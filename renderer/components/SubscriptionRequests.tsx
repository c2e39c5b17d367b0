import type { SubscriptionRequest } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';

type Props = {
  requests: SubscriptionRequest[];
  /** The address being answered right now, if any. */
  busyJid: string | null;
  error: string | null;
  onAnswer: (jid: string, approve: boolean) => void;
};

/** People asking to see when the user is online, each with Approve and Deny. */
export function SubscriptionRequests({ requests, busyJid, error, onAnswer }: Props) {
  const t = useTexts().requests;
  if (requests.length === 0) return null;
  return (
    <section className="subscription-requests" aria-labelledby="subscription-requests-heading" data-testid="subscription-requests">
      <h2 className="sidebar-heading" id="subscription-requests-heading">
        {t.heading} <span className="count">{requests.length}</span>
      </h2>
      <ul className="request-list">
        {requests.map((r) => (
          <li key={r.jid} className="request" data-testid="subscription-request" data-jid={r.jid}>
            <p className="request-text">
              <strong className="jid">{r.jid}</strong>
              {t.wantsToSee}
            </p>
            {r.text && <p className="request-note">“{r.text}”</p>}
            <div className="button-row start">
              <button
                type="button"
                className="button primary small"
                data-testid="approve-request"
                disabled={busyJid !== null}
                aria-label={t.approveLabel(r.jid)}
                onClick={() => onAnswer(r.jid, true)}
              >
                {t.approve}
              </button>
              <button
                type="button"
                className="button small"
                data-testid="deny-request"
                disabled={busyJid !== null}
                aria-label={t.denyLabel(r.jid)}
                onClick={() => onAnswer(r.jid, false)}
              >
                {t.deny}
              </button>
            </div>
          </li>
        ))}
      </ul>
      {error && (
        <p className="inline-error small" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
