import { useState, type FormEvent } from 'react';
import type { E2eeView, SmpView } from '../../shared/contract';
import { useTexts } from '../i18n/i18n';
import { smpFormKey } from '../forms';
import { smpResultText } from '../i18n/smpTexts';
import { smpWording } from '../store/contactTrust';
import { ConfirmDialog } from './ConfirmDialog';

type Props = {
  peerName: string;
  smp: SmpView | undefined;
  /** Whether the header says the contact is verified: the banner's words agree with it (smpWording). */
  verified: boolean;
  /** The chat was opened with a request waiting: the answer field takes the keyboard, not the composer. */
  focusAnswer: boolean;
  keyWarning: E2eeView['keyWarning'];
  busy: boolean;
  error: string | null;
  /** The answer to request `requestId` (the one on screen when the user sent it). */
  onAnswer: (requestId: string, secret: string) => void;
  onAbort: () => void;
  onDismiss: () => void;
  onAskBack: () => void;
  /** After a failure the user asked about: the form again, to ask once more. */
  onTryAgain: () => void;
  onAuthenticate: () => void;
  onAcceptKey: (fingerprint: string) => void;
};

/**
 * Under the chat header: a contact's new key that waits for the user, an
 * authentication request to answer, one in progress, or how one ended —
 * each said in plain words, with what to do next.
 */
export function AuthPanel(props: Props) {
  const { keyWarning, smp } = props;
  if (!keyWarning && !smp) return null;
  return (
    <div className="auth-panels">
      {keyWarning && <KeyWarning {...props} keyWarning={keyWarning} />}
      {/* Keyed by the request: a new request starts with an empty answer field, never with the answer typed for another. */}
      {smp && <SmpStatus key={smpFormKey(smp)} {...props} smp={smp} />}
    </div>
  );
}

function KeyWarning({ peerName, keyWarning, busy, onAuthenticate, onAcceptKey }: Props & { keyWarning: NonNullable<E2eeView['keyWarning']> }) {
  const t = useTexts().auth;
  /** Accepting a key unverified is asked once more: it is what someone in the middle hopes for. */
  const [confirming, setConfirming] = useState(false);
  return (
    <section className="auth-panel warning" data-testid="key-warning" role="alert" aria-labelledby="key-warning-title">
      <h3 id="key-warning-title">{keyWarning.changedFromVerified ? t.keyChanged(peerName) : t.newKey(peerName)}</h3>
      <p>
        {keyWarning.changedFromVerified ? t.keyChangedExplain(peerName) : t.newKeyExplain(peerName)} {t.nothingSent(peerName)}
      </p>
      <p className="fingerprint" data-testid="key-warning-fingerprint">
        {keyWarning.fingerprint}
      </p>
      <div className="button-row start">
        <button type="button" className="button primary" data-testid="key-warning-authenticate" onClick={onAuthenticate}>
          {t.authenticate(peerName)}
        </button>
        <button type="button" className="button" data-testid="key-warning-accept" disabled={busy} onClick={() => setConfirming(true)}>
          {t.acceptKey}
        </button>
      </div>
      {confirming && (
        <ConfirmDialog
          testId="accept-key-confirm"
          title={t.acceptTitle(peerName)}
          confirmLabel={t.acceptConfirm}
          cancelLabel={t.cancel}
          busy={busy}
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            onAcceptKey(keyWarning.fingerprint);
          }}
        >
          <p>{t.acceptExplain(peerName)}</p>
          <p className="fingerprint">{keyWarning.fingerprint}</p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function SmpStatus({ peerName, smp, verified, focusAnswer, busy, error, onAnswer, onAbort, onDismiss, onAskBack, onTryAgain }: Props & { smp: SmpView }) {
  const t = useTexts().auth;
  const wording = smpWording({ verified, smp });
  const said = smpResultText(t, { verified, smp }, peerName);
  const [answer, setAnswer] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (answer !== '' && smp.phase === 'asked') onAnswer(smp.id, answer);
  };
  const dismiss = (
    <button type="button" className="button" data-testid="smp-dismiss" onClick={onDismiss}>
      {t.ok}
    </button>
  );

  switch (smp.phase) {
    case 'asked':
      return (
        <section className="auth-panel request" data-testid="smp-request" aria-labelledby="smp-request-title">
          <h3 id="smp-request-title">{t.wantsToAuthenticate(peerName)}</h3>
          <form className="form" onSubmit={submit}>
            {smp.question !== undefined ? (
              <p>
                {t.asks(peerName)} <strong data-testid="smp-question">{smp.question}</strong>
              </p>
            ) : (
              <p>{t.typeSecret(peerName)}</p>
            )}
            <label className="field">
              <span>{smp.question !== undefined ? t.yourAnswer : t.sharedSecret}</span>
              <input
                className="input"
                data-testid="smp-answer"
                type={smp.question !== undefined ? 'text' : 'password'}
                autoComplete="off"
                value={answer}
                maxLength={4096}
                autoFocus={focusAnswer}
                aria-describedby="smp-capitals"
                onChange={(e) => setAnswer(e.target.value)}
              />
            </label>
            <p className="hint small" id="smp-capitals" data-testid="smp-capitals">
              {t.capitalsCount}
            </p>
            {error && (
              <p className="inline-error" role="alert">
                {error}
              </p>
            )}
            <div className="button-row start">
              <button type="submit" className="button primary" data-testid="smp-answer-submit" disabled={busy || answer === ''}>
                {t.answer}
              </button>
              <button type="button" className="button" data-testid="smp-decline" onClick={onAbort}>
                {t.decline}
              </button>
            </div>
          </form>
        </section>
      );
    case 'running':
      return (
        <section className="auth-panel" data-testid="smp-running" aria-live="polite">
          <h3>{t.authenticating(peerName)}</h3>
          <p>{smp.weStarted ? t.waitingFor(peerName) : t.comparing}</p>
          <progress className="smp-progress" max={4} value={smp.step} aria-label={t.progress} />
          <div className="button-row start">
            <button type="button" className="button" data-testid="smp-cancel" onClick={onAbort}>
              {t.cancel}
            </button>
          </div>
        </section>
      );
    case 'succeeded':
      return wording?.phase === 'succeeded' && wording.says === 'we-verified-them' ? (
        <section className="auth-panel success" data-testid="smp-result" data-result="verified" role="status">
          <h3>{said?.title}</h3>
          <p data-testid="smp-result-text">{said?.body}</p>
          <div className="button-row start">{dismiss}</div>
        </section>
      ) : (
        <section className="auth-panel success" data-testid="smp-result" data-result="verified-by-them" role="status">
          <h3>{said?.title}</h3>
          <p data-testid="smp-result-text">{said?.body}</p>
          <div className="button-row start">
            <button type="button" className="button primary" data-testid="smp-ask-back" onClick={onAskBack}>
              {t.askBack}
            </button>
            {dismiss}
          </div>
        </section>
      );
    case 'failed':
      return (
        <section className="auth-panel failure" data-testid="smp-result" data-result="failed" role="alert">
          <h3>{said?.title}</h3>
          <p data-testid="smp-result-text">{said?.body}</p>
          <div className="button-row start">
            {/* The side that asked can ask again; the side that answered waits for the contact (the text says so). */}
            {wording?.phase === 'failed' && wording.retry === 'ask' && (
              <button type="button" className="button primary" data-testid="smp-try-again" onClick={onTryAgain}>
                {t.tryAgain}
              </button>
            )}
            {dismiss}
          </div>
        </section>
      );
    case 'aborted':
      return (
        <section className="auth-panel" data-testid="smp-result" data-result="aborted" role="status">
          <p data-testid="smp-result-text">{said?.body}</p>
          <div className="button-row start">{dismiss}</div>
        </section>
      );
    case 'error':
      return (
        <section className="auth-panel failure" data-testid="smp-result" data-result="error" role="alert">
          <p data-testid="smp-result-text">{said?.body}</p>
          <div className="button-row start">
            <button type="button" className="button primary" data-testid="smp-try-again" onClick={onTryAgain}>
              {t.tryAgain}
            </button>
            {dismiss}
          </div>
        </section>
      );
  }
}
