import type { ResponseOf, TrustLevel } from '../../shared/contract';
import { formatShortDate } from '../format';

export type TrustListData = ResponseOf<'listTrust'>;
type ContactKey = TrustListData['contacts'][number];

type Props = {
  data: TrustListData | null;
  error: string | null;
  busy: boolean;
  copied: string | null;
  accountName: (accountId: string) => string;
  onCopy: (fingerprint: string) => void;
  onVerify: (key: ContactKey, verified: boolean) => void;
  onForget: (key: ContactKey) => void;
};

export const trustLabel: Record<TrustLevel, string> = {
  unverified: 'Not verified',
  'verified-manual': 'Verified by fingerprint',
  'verified-smp': 'Verified by question or secret',
};

/** The user's own keys and every contact key Klatsch knows, with their trust. */
export function TrustList({ data, error, busy, copied, accountName, onCopy, onVerify, onForget }: Props) {
  const problem = error && (
    <p className="inline-error" role="alert">
      {error}
    </p>
  );
  if (!data) return problem || <p className="muted">Loading…</p>;
  return (
    <>
      {problem}
      <section aria-labelledby="own-keys-title">
        <h3 id="own-keys-title">Your keys</h3>
        {data.own.length === 0 ? (
          <p className="muted">None yet: a key is made with an account’s first private conversation.</p>
        ) : (
          <ul className="key-list">
            {data.own.map((o) => (
              <li key={o.accountId} className="key-row" data-testid="own-key">
                <div className="key-text">
                  <span className="key-owner">{o.jid}</span>
                  <code className="fingerprint">{o.fingerprint}</code>
                  {!o.stored && <span className="hint">Kept only until Klatsch quits: it could not be stored securely.</span>}
                </div>
                <button type="button" className="button small" onClick={() => onCopy(o.fingerprint)}>
                  {copied === o.fingerprint ? 'Copied' : 'Copy'}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="contact-keys-title">
        <h3 id="contact-keys-title">Contacts’ keys</h3>
        {data.contacts.length === 0 ? (
          <p className="muted">No contact keys yet: they appear with your first private conversations.</p>
        ) : (
          <table className="key-table">
            <thead>
              <tr>
                <th scope="col">Contact</th>
                <th scope="col">Fingerprint</th>
                <th scope="col">Trust</th>
                <th scope="col">Seen</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.contacts.map((c) => (
                <tr key={`${c.accountId} ${c.peer} ${c.fingerprint}`} data-testid="contact-key" data-peer={c.peer} data-trust={c.trust}>
                  <td>
                    <span className="key-owner">{c.peer}</span>
                    {data.own.length > 1 && <span className="hint"> ({accountName(c.accountId)})</span>}
                    {c.inUse && <span className="tag">in use</span>}
                  </td>
                  <td>
                    <code className="fingerprint">{c.fingerprint}</code>
                  </td>
                  <td className={`trust trust-${c.trust}`}>{trustLabel[c.trust]}</td>
                  <td className="hint">
                    {formatShortDate(c.firstSeen)}
                    {c.lastUsed !== undefined && c.lastUsed !== c.firstSeen && <> – {formatShortDate(c.lastUsed)}</>}
                  </td>
                  <td className="key-actions">
                    {c.trust === 'unverified' ? (
                      <button type="button" className="button small" disabled={busy} data-testid="key-verify" onClick={() => onVerify(c, true)}>
                        Verify
                      </button>
                    ) : (
                      <button type="button" className="button small" disabled={busy} data-testid="key-unverify" onClick={() => onVerify(c, false)}>
                        Unverify
                      </button>
                    )}
                    <button type="button" className="button small subtle" disabled={busy} data-testid="key-forget" onClick={() => onForget(c)}>
                      Forget
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
