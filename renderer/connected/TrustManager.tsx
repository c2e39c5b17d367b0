import { useEffect, useRef, useState } from 'react';
import { TrustList, type TrustListData } from '../components/TrustList';
import { useActions, useAppState } from './context';

/** The trust manager: a dialog over everything, fetched again whenever main says trust changed. */
export function TrustManager({ onClose }: { onClose: () => void }) {
  const actions = useActions();
  const revision = useAppState((s) => s.trustRevision);
  const accounts = useAppState((s) => s.accounts);
  const ref = useRef<HTMLDialogElement>(null);
  const [data, setData] = useState<TrustListData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

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

  return (
    <dialog
      ref={ref}
      className="dialog trust-dialog"
      data-testid="trust-manager"
      aria-labelledby="trust-title"
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
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
      <div className="button-row">
        <button type="button" className="button primary" data-testid="trust-close" onClick={onClose}>
          Close
        </button>
      </div>
    </dialog>
  );
}
