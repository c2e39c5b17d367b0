import { useEffect, useState } from 'react';
import type { Contact, Result } from '../../shared/contract';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { FingerprintComparison } from '../components/FingerprintComparison';
import { ModalDialog } from '../components/ModalDialog';
import { TrustList, type TrustListData } from '../components/TrustList';
import { errorText, useTexts } from '../i18n/i18n';
import { useActions, useAppState } from './context';
import { XmppLinkPanel } from './XmppLinkPanel';

type ContactKey = TrustListData['contacts'][number];

/** The trust manager: a dialog over everything, fetched again whenever main says trust changed. */
export function TrustManager({ onClose }: { onClose: () => void }) {
  const actions = useActions();
  const texts = useTexts();
  const t = texts.trust;
  const revision = useAppState((s) => s.trustRevision);
  // OMEMO devices come and go with the contacts' device lists (a new one held): the list follows them.
  const devices = useAppState((s) => deviceSignature(s.rosters));
  const accounts = useAppState((s) => s.accounts);
  const [data, setData] = useState<TrustListData | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);
  /** What the last import or export did, in words; or a key conflict the user must decide. */
  const [moved, setMoved] = useState<string | null>(null);
  const [conflict, setConflict] = useState<string | null>(null);
  /** A contact key being verified (the fingerprints compared first), or a verified one about to be forgotten. */
  const [verifying, setVerifying] = useState<ContactKey | null>(null);
  const [forgetting, setForgetting] = useState<ContactKey | null>(null);
  /** An `xmpp:` URI with OMEMO fingerprints the user pasted (scanned elsewhere, or copied from a contact's app). */
  const [pasted, setPasted] = useState('');
  const linkWithDevices = useAppState((s) => s.xmppLink?.omemoDevices !== undefined);

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
  }, [actions, revision, devices, texts]);

  async function run(request: Promise<Result<unknown>>) {
    setBusy(true);
    const result = await request;
    setBusy(false);
    setError(result.ok ? null : errorText(texts, result.error));
  }

  /** Ours to compare with the contact's key: of the same scheme (and OMEMO version). */
  const ownFingerprint = (key: ContactKey) =>
    data?.own.find((o) => o.accountId === key.accountId && (o.scheme ?? 'otr') === key.scheme && o.label === key.device?.label)?.fingerprint;

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
        onVerify={(key, verified) => {
          // Verifying means comparing first; taking a verification back needs no proof.
          if (verified) setVerifying(key);
          else void run(actions.setTrust(key.accountId, key.peer, { scheme: key.scheme, key: key.fingerprint }, false));
        }}
        onAccept={(key) => void run(actions.acceptKey(key.accountId, key.peer, { scheme: key.scheme, key: key.fingerprint }))}
        onForget={(key) => {
          if (key.trust !== 'unverified') setForgetting(key);
          else void run(actions.forgetKey(key.accountId, key.peer, { scheme: key.scheme, key: key.fingerprint }));
        }}
      />
      <form
        className="omemo-uri"
        data-testid="omemo-uri-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (pasted.trim() !== '') void run(actions.openXmppUri(pasted)).then(() => setPasted(''));
        }}
      >
        <label>
          <span>{t.pasteUri}</span>
          <input className="input" data-testid="omemo-uri-input" value={pasted} placeholder="xmpp:name@example.com?omemo-sid-…" onChange={(e) => setPasted(e.target.value)} />
        </label>
        <button type="submit" className="button small" data-testid="omemo-uri-read" disabled={busy || pasted.trim() === ''}>
          {t.readUri}
        </button>
      </form>
      {/* The link's devices, to verify here: the chat behind this dialog is out of reach while it is open. */}
      {linkWithDevices && <XmppLinkPanel />}
      {verifying && (
        <VerifyKeyDialog
          contactKey={verifying}
          ownFingerprint={ownFingerprint(verifying)}
          busy={busy}
          onCancel={() => setVerifying(null)}
          onVerify={() => {
            setVerifying(null);
            void run(actions.setTrust(verifying.accountId, verifying.peer, { scheme: verifying.scheme, key: verifying.fingerprint }, true));
          }}
        />
      )}
      {forgetting && (
        <ConfirmDialog
          testId="forget-key-confirm"
          title={t.forgetTitle(forgetting.peer)}
          confirmLabel={t.forgetConfirm}
          cancelLabel={t.cancel}
          busy={busy}
          onCancel={() => setForgetting(null)}
          onConfirm={() => {
            setForgetting(null);
            void run(actions.forgetKey(forgetting.accountId, forgetting.peer, { scheme: forgetting.scheme, key: forgetting.fingerprint }));
          }}
        >
          <p>{t.forgetExplain(forgetting.peer)}</p>
          <p className="fingerprint">{forgetting.fingerprint}</p>
        </ConfirmDialog>
      )}
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

/** The contacts' OMEMO devices and their trust, as one string: it changes when one of them does. */
function deviceSignature(rosters: Record<string, Contact[]>): string {
  const parts: string[] = [];
  for (const contacts of Object.values(rosters)) {
    for (const c of contacts) for (const d of c.e2ee?.devices ?? []) parts.push(`${c.jid}/${d.id}/${d.trust}`);
  }
  return parts.join(' ');
}

/** Verifying a contact's key by hand: both fingerprints side by side, and the user's word that they compared them. */
function VerifyKeyDialog({
  contactKey,
  ownFingerprint,
  busy,
  onCancel,
  onVerify,
}: {
  contactKey: ContactKey;
  ownFingerprint: string | undefined;
  busy: boolean;
  onCancel: () => void;
  onVerify: () => void;
}) {
  const texts = useTexts();
  const [compared, setCompared] = useState(false);
  return (
    <ModalDialog className="auth-dialog" testId="verify-key-dialog" labelledBy="verify-key-title" onClose={onCancel}>
      <h2 id="verify-key-title">{texts.trust.verifyTitle(contactKey.peer)}</h2>
      <FingerprintComparison
        peerName={contactKey.peer}
        ownFingerprint={ownFingerprint}
        theirFingerprint={contactKey.fingerprint}
        confirmed={compared}
        onConfirmed={setCompared}
      />
      <div className="button-row">
        <button type="button" className="button" data-testid="verify-key-cancel" onClick={onCancel}>
          {texts.trust.cancel}
        </button>
        <button type="button" className="button primary" data-testid="verify-key-confirm" disabled={busy || !compared} onClick={onVerify}>
          {texts.trust.markVerified}
        </button>
      </div>
    </ModalDialog>
  );
}
