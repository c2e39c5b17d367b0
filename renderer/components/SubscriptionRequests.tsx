import type { SubscriptionRequest } from '../../shared/contract';

type Props = {
  requests: SubscriptionRequest[];
  /** The address being answered right now, if any. */
  busyJid: string | null;
  error: string | null;
  onAnswer: (jid: string, approve: boolean) => void;
};

/** People asking to see when the user is online, each with Approve and Deny. */
export function SubscriptionRequests({ requests, busyJid, error, onAnswer }: Props) {
  if (requests.length === 0) return null;
  return (
    <section className="subscription-requests" aria-labelledby="subscription-requests-heading" data-testid="subscription-requests">
      <h2 className="sidebar-heading" id="subscription-requests-heading">
        Contact requests <span className="count">{requests.length}</span>
      </h2>
      <ul className="request-list">
        {requests.map((r) => (
          <li key={r.jid} className="request" data-testid="subscription-request" data-jid={r.jid}>
            <p className="request-text">
              <strong className="jid">{r.jid}</strong> wants to see when you’re online.
            </p>
            {r.text && <p className="request-note">“{r.text}”</p>}
            <div className="button-row start">
              <button
                type="button"
                className="button primary small"
                data-testid="approve-request"
                disabled={busyJid !== null}
                aria-label={`Approve ${r.jid}`}
                onClick={() => onAnswer(r.jid, true)}
              >
                Approve
              </button>
              <button
                type="button"
                className="button small"
                data-testid="deny-request"
                disabled={busyJid !== null}
                aria-label={`Deny ${r.jid}`}
                onClick={() => onAnswer(r.jid, false)}
              >
                Deny
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
