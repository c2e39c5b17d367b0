import { useEffect, useState } from 'react';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

/**
 * An `xmpp:` link the user opened. A plain link opens the chat; a
 * subscription link asks first. A fingerprint in the link is shown so that
 * the user can compare it when verifying the contact. OMEMO devices named in the
 * link (Conversations' QR code) are verified on the user's word, each by its id and
 * key together: the core verifies only a device whose id and key both match.
 */
export function XmppLinkPanel() {
  const actions = useActions();
  const texts = useTexts();
  const t = texts.xmppLink;
  const link = useAppState((s) => s.xmppLink);
  const accountId = useAppState((s) => s.activeAccountId);
  const dismiss = () => actions.clearXmppLink();
  /** What verifying the link's devices did, for that link only (a new link starts without). */
  const [verified, setVerified] = useState<{ link: object; text: string } | null>(null);
  const outcome = verified && verified.link === link ? verified.text : null;
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (link?.action === 'chat' && accountId && !link.otrFingerprint && !link.omemoDevices) {
      actions.selectChat({ accountId, peer: link.jid });
      actions.clearXmppLink();
    }
  }, [link, accountId, actions]);

  if (!link || !accountId || (link.action === 'chat' && !link.otrFingerprint && !link.omemoDevices)) return null;
  const verifyDevices = async () => {
    if (!link.omemoDevices) return;
    setBusy(true);
    const result = await actions.verifyOmemoDevices(accountId, link.jid, link.omemoDevices);
    setBusy(false);
    setVerified({ link, text: result.ok ? t.omemoVerified(link.jid, result.value.verified, result.value.unmatched) : errorText(texts, result.error) });
  };
  const open = () => {
    const chat = { accountId, peer: link.jid };
    // Asked first (this panel): only now is the subscription request sent.
    if (link.action === 'add-contact') void actions.addContact(accountId, link.jid);
    if (link.otrFingerprint) actions.rememberExpectedFingerprint(chat, link.otrFingerprint);
    actions.selectChat(chat);
    if (link.body) actions.setDraft({ accountId, peer: link.jid }, link.body);
    actions.clearXmppLink();
  };
  return (
    <div className="storage-problem xmpp-link" role="dialog" aria-label={t.label} data-testid="xmpp-link">
      <p>
        {link.action === 'add-contact' ? t.addAndOpen(link.jid) : t.open(link.jid)}
      </p>
      {link.otrFingerprint && (
        <p>
          {t.fingerprint} <code data-testid="xmpp-link-fingerprint">{link.otrFingerprint}</code>
        </p>
      )}
      {link.omemoDevices && (
        <>
          <p>{t.omemoDevices(link.jid)}</p>
          <ul className="key-list">
            {link.omemoDevices.map((d) => (
              <li key={d.deviceId} data-testid="xmpp-link-omemo-device" data-device={d.deviceId}>
                {t.omemoDevice(String(d.deviceId))} <code className="fingerprint">{d.fingerprint}</code>
              </li>
            ))}
          </ul>
          {outcome && (
            <p role="status" data-testid="xmpp-link-omemo-outcome">
              {outcome}
            </p>
          )}
        </>
      )}
      <div className="button-row">
        <button type="button" className="button small" onClick={dismiss}>
          {t.dismiss}
        </button>
        {link.omemoDevices && (
          <button type="button" className="button small" data-testid="xmpp-link-omemo-verify" disabled={busy} onClick={() => void verifyDevices()}>
            {t.omemoVerify}
          </button>
        )}
        <button type="button" className="button small primary" data-testid="xmpp-link-open" onClick={open}>
          {link.action === 'add-contact' ? t.addAndOpenButton : t.openButton}
        </button>
      </div>
    </div>
  );
}
