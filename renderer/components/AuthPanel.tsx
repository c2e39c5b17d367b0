import { useState, type FormEvent } from 'react';
import type { Contact, SmpView } from '../../shared/contract';

type Props = {
  peerName: string;
  smp: SmpView | undefined;
  keyWarning: Contact['keyWarning'];
  busy: boolean;
  error: string | null;
  onAnswer: (secret: string) => void;
  onAbort: () => void;
  onDismiss: () => void;
  onAskBack: () => void;
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
      {smp && <SmpStatus {...props} smp={smp} />}
    </div>
  );
}

function KeyWarning({ peerName, keyWarning, busy, onAuthenticate, onAcceptKey }: Props & { keyWarning: NonNullable<Contact['keyWarning']> }) {
  return (
    <section className="auth-panel warning" data-testid="key-warning" role="alert" aria-labelledby="key-warning-title">
      <h3 id="key-warning-title">{keyWarning.changedFromVerified ? `${peerName}’s key has changed` : `${peerName} is using a new key`}</h3>
      <p>
        {keyWarning.changedFromVerified
          ? `You had verified another key of ${peerName}. A new key can mean a new device — or someone in between.`
          : `${peerName} used other keys before. This can be a new device — or someone in between.`}{' '}
        Nothing you write is sent until you authenticate {peerName} or accept the new key.
      </p>
      <p className="fingerprint" data-testid="key-warning-fingerprint">
        {keyWarning.fingerprint}
      </p>
      <div className="button-row start">
        <button type="button" className="button primary" data-testid="key-warning-authenticate" onClick={onAuthenticate}>
          Authenticate {peerName}
        </button>
        <button type="button" className="button" data-testid="key-warning-accept" disabled={busy} onClick={() => onAcceptKey(keyWarning.fingerprint)}>
          Accept the new key
        </button>
      </div>
    </section>
  );
}

function SmpStatus({ peerName, smp, busy, error, onAnswer, onAbort, onDismiss, onAskBack }: Props & { smp: SmpView }) {
  const [answer, setAnswer] = useState('');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (answer !== '') onAnswer(answer);
  };
  const dismiss = (
    <button type="button" className="button" data-testid="smp-dismiss" onClick={onDismiss}>
      OK
    </button>
  );

  switch (smp.phase) {
    case 'asked':
      return (
        <section className="auth-panel request" data-testid="smp-request" aria-labelledby="smp-request-title">
          <h3 id="smp-request-title">{peerName} wants to authenticate you</h3>
          <form className="form" onSubmit={submit}>
            {smp.question !== undefined ? (
              <p>
                {peerName} asks: <strong data-testid="smp-question">{smp.question}</strong>
              </p>
            ) : (
              <p>Type the secret you agreed on with {peerName}. If both match, you have verified each other.</p>
            )}
            <label className="field">
              <span>{smp.question !== undefined ? 'Your answer' : 'Shared secret'}</span>
              <input
                className="input"
                data-testid="smp-answer"
                type={smp.question !== undefined ? 'text' : 'password'}
                autoComplete="off"
                value={answer}
                maxLength={4096}
                onChange={(e) => setAnswer(e.target.value)}
              />
            </label>
            {error && (
              <p className="inline-error" role="alert">
                {error}
              </p>
            )}
            <div className="button-row start">
              <button type="submit" className="button primary" data-testid="smp-answer-submit" disabled={busy || answer === ''}>
                Answer
              </button>
              <button type="button" className="button" data-testid="smp-decline" onClick={onAbort}>
                Decline
              </button>
            </div>
          </form>
        </section>
      );
    case 'running':
      return (
        <section className="auth-panel" data-testid="smp-running" aria-live="polite">
          <h3>Authenticating {peerName}…</h3>
          <p>{smp.weStarted ? `Waiting for ${peerName} to answer.` : 'Comparing your answer.'}</p>
          <progress className="smp-progress" max={4} value={smp.step} aria-label="Authentication progress" />
          <div className="button-row start">
            <button type="button" className="button" data-testid="smp-cancel" onClick={onAbort}>
              Cancel
            </button>
          </div>
        </section>
      );
    case 'succeeded':
      return smp.weVerifiedThem ? (
        <section className="auth-panel success" data-testid="smp-result" data-result="verified" role="status">
          <h3>{peerName} is verified</h3>
          <p>
            {smp.weStarted && smp.question !== undefined
              ? `${peerName} answered your question correctly. This private conversation is with ${peerName}.`
              : `You both typed the same secret: you have verified each other.`}
          </p>
          <div className="button-row start">{dismiss}</div>
        </section>
      ) : (
        <section className="auth-panel success" data-testid="smp-result" data-result="verified-by-them" role="status">
          <h3>{peerName} has verified you</h3>
          <p>
            Your answer was right, so {peerName} knows this conversation is with you. You have not verified {peerName} yet: ask a
            question back that only {peerName} can answer.
          </p>
          <div className="button-row start">
            <button type="button" className="button primary" data-testid="smp-ask-back" onClick={onAskBack}>
              Ask a question back
            </button>
            {dismiss}
          </div>
        </section>
      );
    case 'failed':
      return (
        <section className="auth-panel failure" data-testid="smp-result" data-result="failed" role="alert">
          <h3>Authentication failed</h3>
          <p>
            {smp.weStarted
              ? `The answer did not match yours. ${peerName} is not verified. It may be a typo — or someone else.`
              : `Your answer did not match. ${peerName} could not verify you.`}
          </p>
          <div className="button-row start">{dismiss}</div>
        </section>
      );
    case 'aborted':
      return (
        <section className="auth-panel" data-testid="smp-result" data-result="aborted" role="status">
          <p>{smp.byPeer ? `${peerName} cancelled the authentication.` : 'The authentication was cancelled.'}</p>
          <div className="button-row start">{dismiss}</div>
        </section>
      );
    case 'error':
      return (
        <section className="auth-panel failure" data-testid="smp-result" data-result="error" role="alert">
          <p>The authentication did not work: {smp.message}.</p>
          <div className="button-row start">{dismiss}</div>
        </section>
      );
  }
}
