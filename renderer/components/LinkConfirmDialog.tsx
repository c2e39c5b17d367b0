/**
 * "Open this link?": the full address as the URL parser reads it (hosts in
 * punycode, so a lookalike domain shows), warnings for international letters,
 * and no way to open what Klatsch will not open (http, a name before @).
 * Cancel is the default (first, and Escape).
 */
import { useTexts } from '../i18n/i18n';
import { canOpen, type LinkInfo } from '../links';
import { ModalDialog } from './ModalDialog';

type Props = {
  info: LinkInfo;
  busy: boolean;
  error: string | null;
  onOpen: () => void;
  onCancel: () => void;
};

export function LinkConfirmDialog({ info, busy, error, onOpen, onCancel }: Props) {
  const t = useTexts().links;
  const openable = canOpen(info);
  const question = info.scheme === 'mailto' ? t.mailQuestion : info.scheme === 'xmpp' ? t.xmppQuestion : t.webQuestion;
  const openLabel = info.scheme === 'mailto' ? t.openMail : info.scheme === 'xmpp' ? t.openXmpp : t.openWeb;
  return (
    <ModalDialog className="link-dialog" testId="link-dialog" labelledBy="link-dialog-title" onClose={onCancel}>
      <h2 id="link-dialog-title">{t.title}</h2>
      {openable && <p>{question}</p>}
      <p className="link-address" data-testid="link-address">
        {info.href}
      </p>
      {info.host && (
        <p className="link-host">
          {t.goesTo}: <strong data-testid="link-host">{info.host}</strong>
        </p>
      )}
      {info.international && (
        <p className="warning" role="note" data-testid="link-international">
          {t.international(info.writtenHost ?? info.host ?? info.href, info.host ?? info.href)}
        </p>
      )}
      {info.problem && (
        <p className="warning" role="alert" data-testid="link-refused">
          {info.problem === 'credentials'
            ? t.credentials(info.userInfo ?? '', info.host ?? '')
            : info.problem === 'insecure'
              ? t.insecure
              : t.unsupported}
        </p>
      )}
      {error && (
        <p className="inline-error" role="alert">
          {t.failed(error)}
        </p>
      )}
      <div className="button-row">
        <button type="button" className="button" data-testid="link-cancel" autoFocus onClick={onCancel}>
          {t.cancel}
        </button>
        {openable && (
          <button type="button" className="button primary" data-testid="link-open" disabled={busy} onClick={onOpen}>
            {openLabel}
          </button>
        )}
      </div>
    </ModalDialog>
  );
}
