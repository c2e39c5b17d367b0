import { useEffect } from 'react';
import { useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

/**
 * An `xmpp:` link the user opened. A plain link opens the chat; a
 * subscription link asks first. A fingerprint in the link is shown so that
 * the user can compare it when verifying the contact.
 */
export function XmppLinkPanel() {
  const actions = useActions();
  const t = useTexts().xmppLink;
  const link = useAppState((s) => s.xmppLink);
  const accountId = useAppState((s) => s.activeAccountId);
  const dismiss = () => actions.clearXmppLink();

  useEffect(() => {
    if (link?.action === 'chat' && accountId && !link.otrFingerprint) {
      actions.selectChat({ accountId, peer: link.jid });
      actions.clearXmppLink();
    }
  }, [link, accountId, actions]);

  if (!link || !accountId || (link.action === 'chat' && !link.otrFingerprint)) return null;
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
      <div className="button-row">
        <button type="button" className="button small" onClick={dismiss}>
          {t.dismiss}
        </button>
        <button type="button" className="button small primary" data-testid="xmpp-link-open" onClick={open}>
          {link.action === 'add-contact' ? t.addAndOpenButton : t.openButton}
        </button>
      </div>
    </div>
  );
}
