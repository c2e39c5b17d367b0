import { useState, type FormEvent } from 'react';
import { useTexts } from '../i18n/i18n';
import { FingerprintComparison } from './FingerprintComparison';
import { ModalDialog } from './ModalDialog';

export type AuthMethod = 'question' | 'secret' | 'fingerprint';

type Props = {
  peerName: string;
  /** The contact's key in the private conversation; absent when the conversation is not private. */
  theirFingerprint: string | undefined;
  ownFingerprint: string | undefined;
  /** A fingerprint the user got elsewhere (an `xmpp:…?otr-fingerprint=` link), compared with theirs. */
  expectedFingerprint?: string;
  /** Whether the contact's key is verified now. */
  verified: boolean;
  initialMethod?: AuthMethod;
  /** The question asked last time (Try again after a failure). */
  initialQuestion?: string;
  busy: boolean;
  error: string | null;
  onAsk: (question: string, answer: string) => void;
  onSecret: (secret: string) => void;
  onManual: (verified: boolean) => void;
  /** Not private: the dialog offers this instead of a form that cannot work. */
  onStartPrivate: () => void;
  onClose: () => void;
};

const methods: AuthMethod[] = ['question', 'secret', 'fingerprint'];

/** The three ways to make sure a private conversation is with the right person. */
export function AuthenticateDialog(props: Props) {
  if (props.theirFingerprint === undefined) return <StartPrivateFirst {...props} />;
  return <AuthenticateForm {...props} />;
}

/** Authentication runs inside a private conversation: without one, the dialog offers to start it. */
function StartPrivateFirst({ peerName, onStartPrivate, onClose }: Props) {
  const t = useTexts().auth;
  return (
    <ModalDialog className="auth-dialog" testId="auth-dialog" labelledBy="auth-title" onClose={onClose}>
      <h2 id="auth-title">{t.dialogTitle(peerName)}</h2>
      <p data-testid="auth-not-private">{t.notPrivateExplain(peerName)}</p>
      <div className="button-row">
        <button type="button" className="button" data-testid="auth-cancel" onClick={onClose}>
          {t.cancel}
        </button>
        <button
          type="button"
          className="button primary"
          data-testid="auth-start-private"
          onClick={() => {
            onStartPrivate();
            onClose();
          }}
        >
          {t.startPrivate}
        </button>
      </div>
    </ModalDialog>
  );
}

function AuthenticateForm(props: Props) {
  const { peerName, theirFingerprint, ownFingerprint, verified, busy, error, onClose } = props;
  const [method, setMethod] = useState<AuthMethod>(props.initialMethod ?? 'question');
  const [question, setQuestion] = useState(props.initialQuestion ?? '');
  const [answer, setAnswer] = useState('');
  const [secret, setSecret] = useState('');
  const [checked, setChecked] = useState(verified);
  const t = useTexts().auth;

  // Answers are compared exactly as typed (as in Pidgin): only an empty one is refused.
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (method === 'question' && question.trim() !== '' && answer !== '') props.onAsk(question, answer);
    if (method === 'secret' && secret !== '') props.onSecret(secret);
    if (method === 'fingerprint') props.onManual(checked);
  };

  return (
    <ModalDialog className="auth-dialog" testId="auth-dialog" labelledBy="auth-title" onClose={onClose}>
      <h2 id="auth-title">{t.dialogTitle(peerName)}</h2>
      <p className="muted">{t.dialogIntro(peerName)}</p>
      <div className="tabs" role="tablist" aria-label={t.how}>
        {methods.map((m) => (
          <button
            key={m}
            type="button"
            role="tab"
            id={`auth-tab-${m}`}
            aria-selected={method === m}
            aria-controls="auth-panel"
            className="tab"
            data-testid={`auth-method-${m}`}
            onClick={() => setMethod(m)}
          >
            {t.methods[m]}
          </button>
        ))}
      </div>
      <form id="auth-panel" role="tabpanel" aria-labelledby={`auth-tab-${method}`} className="form" onSubmit={submit}>
        {method === 'question' && (
          <>
            <p className="hint">{t.questionHint(peerName)}</p>
            <label className="field">
              <span>{t.question}</span>
              <input className="input" data-testid="auth-question" value={question} maxLength={1024} onChange={(e) => setQuestion(e.target.value)} />
            </label>
            <label className="field">
              <span>{t.answerAsTyped(peerName)}</span>
              <input
                className="input"
                data-testid="auth-answer"
                value={answer}
                maxLength={4096}
                aria-describedby="auth-capitals"
                onChange={(e) => setAnswer(e.target.value)}
              />
            </label>
            <p className="hint small" id="auth-capitals">
              {t.capitalsCount}
            </p>
          </>
        )}
        {method === 'secret' && (
          <>
            <p className="hint">{t.secretHint(peerName)}</p>
            <label className="field">
              <span>{t.sharedSecret}</span>
              <input
                className="input"
                data-testid="auth-secret"
                type="password"
                autoComplete="off"
                value={secret}
                maxLength={4096}
                aria-describedby="auth-capitals"
                onChange={(e) => setSecret(e.target.value)}
              />
            </label>
            <p className="hint small" id="auth-capitals">
              {t.capitalsCount}
            </p>
          </>
        )}
        {method === 'fingerprint' && (
          <FingerprintComparison
            peerName={peerName}
            ownFingerprint={ownFingerprint}
            theirFingerprint={theirFingerprint}
            expectedFingerprint={props.expectedFingerprint}
            confirmed={checked}
            onConfirmed={setChecked}
          />
        )}
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <div className="button-row">
          <button type="button" className="button" data-testid="auth-cancel" onClick={onClose}>
            {t.cancel}
          </button>
          <button
            type="submit"
            className="button primary"
            data-testid="auth-submit"
            disabled={
              busy ||
              (method === 'question' && (question.trim() === '' || answer === '')) ||
              (method === 'secret' && secret === '')
            }
          >
            {method === 'fingerprint' ? t.save : busy ? t.starting : t.submit}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
