import { useState, type FormEvent } from 'react';
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
  busy: boolean;
  error: string | null;
  onAsk: (question: string, answer: string) => void;
  onSecret: (secret: string) => void;
  onManual: (verified: boolean) => void;
  onClose: () => void;
};

/** Fingerprints compared as 40 hex digits, whatever the spacing or case. */
const sameFingerprint = (a: string, b: string) => a.replace(/\s+/g, '').toLowerCase() === b.replace(/\s+/g, '').toLowerCase();

const methods: { id: AuthMethod; label: string }[] = [
  { id: 'question', label: 'Question and answer' },
  { id: 'secret', label: 'Shared secret' },
  { id: 'fingerprint', label: 'Compare fingerprints' },
];

/** The three ways to make sure a private conversation is with the right person. */
export function AuthenticateDialog(props: Props) {
  const { peerName, theirFingerprint, ownFingerprint, verified, busy, error, onClose } = props;
  const [method, setMethod] = useState<AuthMethod>(props.initialMethod ?? 'question');
  const [question, setQuestion] = useState('');
  const [answer, setAnswer] = useState('');
  const [secret, setSecret] = useState('');
  const [checked, setChecked] = useState(verified);


  const notPrivate = theirFingerprint === undefined;
  // Answers are compared exactly as typed (as in Pidgin): only an empty one is refused.
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (method === 'question' && question.trim() !== '' && answer !== '') props.onAsk(question, answer);
    if (method === 'secret' && secret !== '') props.onSecret(secret);
    if (method === 'fingerprint') props.onManual(checked);
  };

  return (
    <ModalDialog className="auth-dialog" testId="auth-dialog" labelledBy="auth-title" onClose={onClose}>
      <h2 id="auth-title">Authenticate {peerName}</h2>
      <p className="muted">
        Make sure the private conversation is really with {peerName}, and not with someone in between. Use something only the two
        of you know.
      </p>
      <div className="tabs" role="tablist" aria-label="How to authenticate">
        {methods.map((m) => (
          <button
            key={m.id}
            type="button"
            role="tab"
            id={`auth-tab-${m.id}`}
            aria-selected={method === m.id}
            aria-controls="auth-panel"
            className="tab"
            data-testid={`auth-method-${m.id}`}
            onClick={() => setMethod(m.id)}
          >
            {m.label}
          </button>
        ))}
      </div>
      <form id="auth-panel" role="tabpanel" aria-labelledby={`auth-tab-${method}`} className="form" onSubmit={submit}>
        {notPrivate && method !== 'fingerprint' && (
          <p className="inline-error" role="status">
            Start a private conversation first: authentication runs inside it.
          </p>
        )}
        {method === 'question' && (
          <>
            <p className="hint">
              {peerName} sees your question and types the answer. If it matches yours, you know it is them. They learn nothing about
              you: to be verified by them too, let them ask you a question.
            </p>
            <label className="field">
              <span>Question</span>
              <input className="input" data-testid="auth-question" value={question} maxLength={1024} onChange={(e) => setQuestion(e.target.value)} />
            </label>
            <label className="field">
              <span>Answer (exactly as {peerName} will type it)</span>
              <input className="input" data-testid="auth-answer" value={answer} maxLength={4096} onChange={(e) => setAnswer(e.target.value)} />
            </label>
          </>
        )}
        {method === 'secret' && (
          <>
            <p className="hint">
              A secret you agreed on in person or by phone. {peerName} types it too; if both match, you have verified each other.
            </p>
            <label className="field">
              <span>Shared secret</span>
              <input
                className="input"
                data-testid="auth-secret"
                type="password"
                autoComplete="off"
                value={secret}
                maxLength={4096}
                onChange={(e) => setSecret(e.target.value)}
              />
            </label>
          </>
        )}
        {method === 'fingerprint' && (
          <>
            <p className="hint">
              Compare these fingerprints with {peerName} over another channel you trust: in person, or by phone if you know their voice.
            </p>
            <dl className="fingerprints">
              <dt>Your fingerprint</dt>
              <dd className="fingerprint" data-testid="auth-own-fingerprint">
                {ownFingerprint ?? 'Not made yet: it is made with your first private conversation.'}
              </dd>
              <dt>{peerName}’s fingerprint</dt>
              <dd className="fingerprint" data-testid="auth-their-fingerprint">
                {theirFingerprint ?? 'Start a private conversation to see it.'}
              </dd>
            </dl>
            {props.expectedFingerprint && theirFingerprint && (
              <p
                className={sameFingerprint(props.expectedFingerprint, theirFingerprint) ? 'hint fingerprint-match' : 'inline-error'}
                data-testid="auth-expected-fingerprint"
                role="status"
              >
                {sameFingerprint(props.expectedFingerprint, theirFingerprint)
                  ? `It matches the fingerprint in the link you opened (${props.expectedFingerprint}).`
                  : `It does NOT match the fingerprint in the link you opened (${props.expectedFingerprint}). Do not mark it verified.`}
              </p>
            )}
            <label className="check-field">
              <input
                type="checkbox"
                className="check"
                data-testid="auth-manual-verified"
                checked={checked}
                disabled={notPrivate}
                onChange={(e) => setChecked(e.target.checked)}
              />
              <span>I have verified that this is {peerName}’s fingerprint</span>
            </label>
          </>
        )}
        {error && (
          <p className="inline-error" role="alert">
            {error}
          </p>
        )}
        <div className="button-row">
          <button type="button" className="button" data-testid="auth-cancel" onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            className="button primary"
            data-testid="auth-submit"
            disabled={
              busy ||
              notPrivate ||
              (method === 'question' && (question.trim() === '' || answer === '')) ||
              (method === 'secret' && secret === '')
            }
          >
            {method === 'fingerprint' ? 'Save' : busy ? 'Starting…' : 'Authenticate'}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}
