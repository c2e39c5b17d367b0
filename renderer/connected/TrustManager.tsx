import { useEffect, useState } from 'react';
import type { Result } from '../../shared/contract';
import { ModalDialog } from '../components/ModalDialog';
import { TrustList, type TrustListData } from '../components/TrustList';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';

/** The trust manager: a dialog over everything, fetched again whenever main says trust changed. */
export function TrustManager({ onClose }: { onClose: () => void }) {
  const actions = useActions();
  const texts = useTexts();
  const t = texts.trust;
  const revision = useAppState((s) => s.trustRevision);
  const accounts = useAppState((s) => s.accounts);
  const [data, setData] = useState<TrustListData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  /** What the last import or export did, in words; or a key conflict the user must decide. */
  const [moved, setMoved] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    void actions.listTrust().then((result) => {
      if (!current) return;
      if (result.ok) {
        setData(result.value);
        setError(null);
      } else setError(errorText(texts, result.error));
    });
    return () => {
      current = false;
    };
  }, [actions, revision, texts]);

  async function run(request: Promise<Result<unknown>>) {
    setBusy(true);
    const result = await request;
    setBusy(false);
    setError(result.ok ? null : errorText(texts, result.error));
  }

  async function importFiles(replaceKeys: boolean) {
    setBusy(true);
    const result = await actions.importLibotr(replaceKeys);
    setBusy(false);
    setConflict(null);
    setMoved(null);
    if (!result.ok) {
      if (result.error.code === 'already-exists') setConflict(errorText(texts, result.error));
      else setError(errorText(texts, result.error));
      return;
    }
    setError(null);
    if (result.value.cancelled) return;
    const keys = result.value.accounts.map((a) => a.jid).join(', ');
    setMoved(t.imported(keys, result.value.fingerprints));
  }

  async function exportFiles() {
    setBusy(true);
    const result = await actions.exportLibotr();
    setBusy(false);
    setMoved(null);
    if (!result.ok) setError(errorText(texts, result.error));
    else if (!result.value.cancelled) setMoved(t.exported(result.value.folder ?? ''));
  }

  return (
    <ModalDialog className="trust-dialog" testId="trust-manager" labelledBy="trust-title" onClose={onClose}>
      <h2 id="trust-title">{t.title}</h2>
      <p className="muted">{t.intro}</p>
      <TrustList
        data={data}
        error={error}
        busy={busy}
        copied={copied}
        accountName={(id) => accounts.find((a) => a.id === id)?.jid ?? id}
        onCopy={(fingerprint) => {
          void navigator.clipboard?.writeText(fingerprint).then(
            () => setCopied(fingerprint),
            () => setError(t.copyFailed),
          );
        }}
        onVerify={(key, verified) => void run(actions.setTrust(key.accountId, key.peer, key.fingerprint, verified))}
        onForget={(key) => void run(actions.forgetFingerprint(key.accountId, key.peer, key.fingerprint))}
      />
      <section className="libotr-move" aria-labelledby="libotr-title">
        <h3 id="libotr-title">{t.moveTitle}</h3>
        <p className="hint">{t.moveHint}</p>
        {conflict && (
          <div className="auth-panel warning" role="alert" data-testid="libotr-conflict">
            <p>{conflict}</p>
            <div className="button-row start">
              <button type="button" className="button" disabled={busy} data-testid="libotr-replace" onClick={() => void importFiles(true)}>
                {t.replaceKey}
              </button>
              <button type="button" className="button subtle" onClick={() => setConflict(null)}>
                {t.keepKey}
              </button>
            </div>
          </div>
        )}
        {moved && (
          <p className="hint" role="status" data-testid="libotr-result">
            {moved}
          </p>
        )}
        <div className="button-row start">
          <button type="button" className="button small" disabled={busy} data-testid="libotr-import" onClick={() => void importFiles(false)}>
            {t.import}
          </button>
          <button type="button" className="button small" disabled={busy} data-testid="libotr-export" onClick={() => void exportFiles()}>
            {t.export}
          </button>
        </div>
      </section>
      <div className="button-row">
        <button type="button" className="button primary" data-testid="trust-close" onClick={onClose}>
          {t.close}
        </button>
      </div>
    </ModalDialog>
  );
}
