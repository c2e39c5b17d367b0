import { useState } from 'react';
import type { ResponseOf } from '../../shared/contract';
import { QrCode } from './QrCode';
import { formatShortDate } from '../format';
import { useLocale, useTexts } from '../i18n/i18n';

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
  /** Accept a held device key (OMEMO): it is used without verification. */
  onAccept: (key: ContactKey) => void;
};

/** The user's own keys and every contact key Klatsch knows, with their trust. */
export function TrustList({ data, error, busy, copied, accountName, onCopy, onVerify, onForget, onAccept }: Props) {
  const t = useTexts().trust;
  const locale = useLocale();
  /** The own key whose QR code is open (by its fingerprint). */
  const [qrOpen, setQrOpen] = useState<string | null>(null);
  const problem = error && (
    <p className="inline-error" role="alert">
      {error}
    </p>
  );
  if (!data) return problem || <p className="muted">{t.loading}</p>;
  return (
    <>
      {problem}
      <section aria-labelledby="own-keys-title">
        <h3 id="own-keys-title">{t.yourKeys}</h3>
        {data.own.length === 0 ? (
          <p className="muted">{t.noOwnKeys}</p>
        ) : (
          <ul className="key-list">
            {data.own.map((o) => (
              <li key={`${o.accountId} ${o.fingerprint}`} className="key-row" data-testid="own-key" data-scheme={o.scheme ?? 'otr'}>
                <div className="key-text">
                  <span className="key-owner">{o.jid}</span>
                  <span className="hint"> {o.label ?? t.otr}</span>
                  <code className="fingerprint">{o.fingerprint}</code>
                  {!o.stored && <span className="hint">{t.notStored}</span>}
                </div>
                <button type="button" className="button small" onClick={() => onCopy(o.fingerprint)}>
                  {copied === o.fingerprint ? t.copied : t.copy}
                </button>
                {o.uri && (
                  <button
                    type="button"
                    className="button small"
                    data-testid="own-qr-toggle"
                    aria-expanded={qrOpen === o.fingerprint}
                    onClick={() => setQrOpen(qrOpen === o.fingerprint ? null : o.fingerprint)}
                  >
                    {qrOpen === o.fingerprint ? t.hideQr : t.showQr}
                  </button>
                )}
                {o.uri && qrOpen === o.fingerprint && (
                  <div className="own-qr" data-testid="own-qr">
                    <QrCode value={o.uri} label={t.qrLabel(o.jid)} testId="own-qr-code" />
                    <p className="hint">{t.qrHint}</p>
                    <code className="qr-uri" data-testid="own-qr-uri">
                      {o.uri}
                    </code>
                  </div>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section aria-labelledby="contact-keys-title">
        <h3 id="contact-keys-title">{t.contactKeys}</h3>
        {data.contacts.length === 0 ? (
          <p className="muted">{t.noContactKeys}</p>
        ) : (
          <table className="key-table">
            <thead>
              <tr>
                <th scope="col">{t.contact}</th>
                <th scope="col">{t.fingerprint}</th>
                <th scope="col">{t.trust}</th>
                <th scope="col">{t.seen}</th>
                <th scope="col">
                  <span className="visually-hidden">{t.actions}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {data.contacts.map((c) => (
                <tr
                  key={`${c.accountId} ${c.peer} ${c.device?.id ?? ''} ${c.fingerprint}`}
                  data-testid="contact-key"
                  data-peer={c.peer}
                  data-trust={c.trust}
                  data-scheme={c.scheme}
                  data-device={c.device?.id}
                  data-device-state={c.device?.state}
                >
                  <td>
                    <span className="key-owner">{c.peer}</span>
                    {accountCount(data) > 1 && <span className="hint"> ({accountName(c.accountId)})</span>}
                    {c.inUse && <span className="tag">{t.inUse}</span>}
                    <br />
                    <span className="hint">{c.device ? t.device(c.device.label, c.device.id, ownJids(data).has(c.peer)) : t.otr}</span>
                    {/* The device's own name comes from the network: sanitised by the core, and only ever a text node. */}
                    {c.device?.name !== undefined && (
                      <span className="hint device-name" data-testid="device-name">
                        {' '}
                        “{c.device.name}”
                      </span>
                    )}
                  </td>
                  <td>
                    <code className="fingerprint">{c.fingerprint}</code>
                  </td>
                  <td className={`trust trust-${c.device ? c.device.state : c.trust}`}>{c.device ? t.deviceState[c.device.state] : t.level[c.trust]}</td>
                  <td className="hint">
                    {formatShortDate(c.firstSeen, locale)}
                    {c.lastUsed !== undefined && c.lastUsed !== c.firstSeen && <> – {formatShortDate(c.lastUsed, locale)}</>}
                  </td>
                  <td className="key-actions">
                    {c.device?.state === 'held' && (
                      <button type="button" className="button small" disabled={busy} data-testid="key-accept" onClick={() => onAccept(c)}>
                        {t.accept}
                      </button>
                    )}
                    {c.trust === 'unverified' ? (
                      <button type="button" className="button small" disabled={busy} data-testid="key-verify" onClick={() => onVerify(c, true)}>
                        {t.verify}
                      </button>
                    ) : (
                      <button type="button" className="button small" disabled={busy} data-testid="key-unverify" onClick={() => onVerify(c, false)}>
                        {t.unverify}
                      </button>
                    )}
                    <button type="button" className="button small subtle" disabled={busy} data-testid="key-forget" onClick={() => onForget(c)}>
                      {t.forget}
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

/** The accounts listed (OMEMO lists one own key per version: counted by account, not by row). */
function accountCount(data: TrustListData): number {
  return new Set(data.own.map((o) => o.accountId)).size;
}

/** The accounts' own JIDs: a device key of one of them is another device of the user's. */
function ownJids(data: TrustListData): Set<string> {
  return new Set(data.own.map((o) => o.jid.toLowerCase()));
}
