import { useEffect, useState } from 'react';
import { ModalDialog } from '../components/ModalDialog';
import { TrustList, type TrustListData } from '../components/TrustList';
import { useActions, useAppState } from './context';

/** The trust manager: a dialog over everything, fetched again whenever main says trust changed. */
export function TrustManager({ onClose }: { onClose: () => void }) {
  const actions = useActions();
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
      } else setError(result.error.message);
    });
    return () => {
      current = false;
    };
  }, [actions, revision]);

  async function run(request: Promise<{ ok: boolean; error?: { message: string } }>) {
    setBusy(true);
    const result = await request;
    setBusy(false);
    setError(result.ok ? null : (result.error?.message ?? 'That did not work.'));
  }

  async function importFiles(replaceKeys: boolean) {
    setBusy(true);
    const result = await actions.importLibotr(replaceKeys);
    setBusy(false);
    setConflict(null);
    setMoved(null);
    if (!result.ok) {
      if (result.error.code === 'already-exists') setConflict(result.error.message);
      else setError(result.error.message);
      return;
    }
    setError(null);
    if (result.value.cancelled) return;
    const keys = result.value.accounts.map((a) => a.jid).join(', ');
    setMoved(`Imported the key of ${keys} and ${result.value.fingerprints} contact key${result.value.fingerprints === 1 ? '' : 's'}.`);
  }

  async function exportFiles() {
    setBusy(true);
    const result = await actions.exportLibotr();
    setBusy(false);
    setMoved(null);
    if (!result.ok) setError(result.error.message);
    else if (!result.value.cancelled) setMoved(`Saved otr.private_key, otr.fingerprints and otr.instance_tags in ${result.value.folder}.`);
  }

  return (
    <ModalDialog className="trust-dialog" testId="trust-manager" labelledBy="trust-title" onClose={onClose}>
      <h2 id="trust-title">Encryption keys</h2>
      <p className="muted">
        Each private conversation is made with a key. A verified key means you made sure it belongs to that contact.
      </p>
      <TrustList
        data={data}
        error={error}
        busy={busy}
        copied={copied}
        accountName={(id) => accounts.find((a) => a.id === id)?.jid ?? id}
        onCopy={(fingerprint) => {
          void navigator.clipboard?.writeText(fingerprint).then(
            () => setCopied(fingerprint),
            () => setError('Could not copy: select the fingerprint and copy it by hand.'),
          );
        }}
        onVerify={(key, verified) => void run(actions.setTrust(key.accountId, key.peer, key.fingerprint, verified))}
        onForget={(key) => void run(actions.forgetFingerprint(key.accountId, key.peer, key.fingerprint))}
      />
      <section className="libotr-move" aria-labelledby="libotr-title">
        <h3 id="libotr-title">Move from Pidgin or another OTR app</h3>
        <p className="hint">
          Bring your key and the keys you verified from a libotr app (Pidgin keeps them in its .purple folder), or save
          Klatsch’s for one. The private key file is secret: keep it to yourself.
        </p>
        {conflict && (
          <div className="auth-panel warning" role="alert" data-testid="libotr-conflict">
            <p>{conflict}</p>
            <div className="button-row start">
              <button type="button" className="button" disabled={busy} data-testid="libotr-replace" onClick={() => void importFiles(true)}>
                Replace the key
              </button>
              <button type="button" className="button subtle" onClick={() => setConflict(null)}>
                Keep Klatsch’s key
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
            Import from a folder…
          </button>
          <button type="button" className="button small" disabled={busy} data-testid="libotr-export" onClick={() => void exportFiles()}>
            Export to a folder…
          </button>
        </div>
      </section>
      <div className="button-row">
        <button type="button" className="button primary" data-testid="trust-close" onClick={onClose}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}
