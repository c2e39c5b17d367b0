import { useState } from 'react';
import type { ChatMessage, Contact, Result } from '../../shared/contract';
import { AuthenticateDialog, type AuthMethod } from '../components/AuthenticateDialog';
import { AuthPanel } from '../components/AuthPanel';
import { ChatHeader } from '../components/ChatHeader';
import { Composer } from '../components/Composer';
import { MessageList, type OlderHistory } from '../components/MessageList';
import { PrivateHistorySetting } from '../components/PrivateHistorySetting';
import { errorText, policyReasonText, useTexts } from '../i18n/i18n';
import { contactTrust } from '../store/contactTrust';
import { displayName } from '../store/transitions';
import { chatKeyString } from '../store/types';
import { useActions, useAppState } from './context';

const noMessages: never[] = [];
/** The end-to-end encryption schemes Klatsch has, in its own order of preference. */
const KNOWN_SCHEMES: readonly string[] = ['omemo', 'otr'];

function ChatView({ accountId, peer }: { accountId: string; peer: string }) {
  const actions = useActions();
  const texts = useTexts();
  const rosterContact = useAppState((s) => s.rosters[accountId]?.find((c) => c.jid === peer));
  const messages = useAppState((s) => s.chats[accountId]?.[peer] ?? noMessages);
  const draft = useAppState((s) => s.drafts[chatKeyString({ accountId, peer })] ?? '');
  const lockedOtr = useAppState((s) => s.policy?.otrPolicy);
  const policyProblem = useAppState((s) => s.policy?.problem);
  const policySource = useAppState((s) => s.policy?.source);
  const policyReason = policyReasonText(texts, { problem: policyProblem, source: policySource });
  const lockedPolicy = lockedOtr ? { policy: lockedOtr, reason: policyReason } : undefined;
  const historyOff = useAppState((s) => s.policy?.keepHistory === false);
  const allowedSchemes = useAppState((s) => s.policy?.encryptionSchemes);
  const schemeLocked = useAppState((s) => s.policy?.encryptionSchemeLocked === true);
  // The schemes Klatsch has, in the policy's order where it names them.
  const schemeOptions = (allowedSchemes ?? KNOWN_SCHEMES).filter((s) => KNOWN_SCHEMES.includes(s));
  const schemes = schemeLocked && schemeOptions[0] ? { options: schemeOptions, locked: { scheme: schemeOptions[0], reason: policyReason } } : { options: schemeOptions };
  const ownFingerprint = useAppState((s) => s.accounts.find((a) => a.id === accountId)?.otrKey?.fingerprint);
  const expectedFingerprint = useAppState((s) => s.expectedFingerprints[chatKeyString({ accountId, peer })]);
  const focus = useAppState((s) => (s.focusMessage?.accountId === accountId && s.focusMessage.peer === peer ? s.focusMessage : undefined));
  const [error, setError] = useState<string | null>(null);
  /** The authenticate dialog, open with this method first. */
  const [authOpen, setAuthOpen] = useState<AuthMethod | null>(null);
  /** The question the dialog starts with (Try again: the one that failed). */
  const [authQuestion, setAuthQuestion] = useState<string | undefined>(undefined);
  const [authError, setAuthError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Our message being corrected (XEP-0308), if any. */
  const [editing, setEditing] = useState<ChatMessage | null>(null);
  /** Older history from the server's archive (XEP-0313). */
  const [older, setOlder] = useState<Omit<OlderHistory, 'onLoad'>>({ status: 'idle' });
  const connected = useAppState((s) => s.accounts.find((a) => a.id === accountId)?.connection.kind === 'online');

  async function loadOlder() {
    setOlder({ status: 'loading' });
    const result = await actions.loadOlderMessages(accountId, peer);
    if (!result.ok) setOlder({ status: 'failed', error: errorText(texts, result.error) });
    else setOlder(result.value.complete ? { status: 'complete', added: result.value.added } : { status: 'idle', added: result.value.added });
  }

  const contact: Contact = rosterContact ?? {
    jid: peer,
    subscription: 'none',
    groups: [],
    presence: { show: 'offline', status: '' },
    unread: 0,
  };
  const name = displayName(contact);
  const chat = { accountId, peer };
  /** Header, banners and dialog say the same about trust: one derivation. */
  const trust = contactTrust(contact);
  /** Opened with the contact's request waiting: what the user types first is the answer, not a message. */
  const [answerFirst] = useState(() => trust.smp?.phase === 'asked');

  function openAuth(method: AuthMethod, question?: string) {
    setAuthError(null);
    setAuthQuestion(question);
    setAuthOpen(method);
  }

  /** Shows a failed request's reason under the composer. */
  async function report(request: Promise<Result<unknown>>) {
    const result = await request;
    setError(result.ok ? null : errorText(texts, result.error));
  }

  /** Runs an authentication request; closes the dialog when it went through. */
  async function authenticate(request: () => Promise<Result<unknown>>) {
    setBusy(true);
    const result = await request();
    setBusy(false);
    setAuthError(result.ok ? null : errorText(texts, result.error));
    if (result.ok) setAuthOpen(null);
  }

  /** Our last message, if it can be corrected: plaintext, sent, in a chat that is not private. */
  const plaintextChat = trust.privacy === 'plaintext' && (contact.otrPolicy ?? '') !== 'always';
  const lastOut = [...messages].reverse().find((m) => m.direction === 'out');
  const editable = plaintextChat && lastOut && !lastOut.encrypted && (lastOut.state === 'sent' || lastOut.state === 'delivered') ? lastOut : undefined;

  function startEdit(message: ChatMessage) {
    setEditing(message);
    actions.setDraft(chat, message.body);
  }

  function cancelEdit() {
    setEditing(null);
    actions.setDraft(chat, '');
  }

  /** False when it was not sent (the composer then sends no further parts). */
  async function send(text: string): Promise<boolean> {
    setError(null);
    if (editing) {
      const target = editing;
      setEditing(null);
      actions.setDraft(chat, '');
      const result = await actions.correctMessage(accountId, peer, target.id, text);
      if (!result.ok) {
        setError(texts.errors.notCorrected(errorText(texts, result.error)));
        actions.setDraft(chat, text);
      }
      return result.ok;
    }
    actions.setDraft(chat, '');
    actions.composerSent(accountId, peer);
    const result = await actions.sendMessage(accountId, peer, text);
    if (!result.ok) {
      setError(texts.errors.notSent(errorText(texts, result.error)));
      // Give the text back, unless the user has already started a new one.
      if (actions.getDraft(chat) === '') actions.setDraft(chat, text);
    }
    return result.ok;
  }

  return (
    <section className="chat-view" data-testid="chat-view" data-peer={peer} aria-label={texts.chat.chatWith(name)}>
      <ChatHeader
        contact={contact}
        onStartPrivate={() => void report(actions.startPrivate(accountId, peer))}
        onEndPrivate={() => void report(actions.endPrivate(accountId, peer))}
        onAuthenticate={() => openAuth(expectedFingerprint ? 'fingerprint' : 'question')}
        onPolicy={(policy) => void report(actions.setOtrPolicy(accountId, peer, policy))}
        schemes={schemes}
        onScheme={(scheme) => void report(actions.setE2eeScheme(accountId, peer, scheme))}
        {...(lockedPolicy ? { lockedPolicy } : {})}
        presenceKnown={connected}
      />
      <PrivateHistorySetting
        contactName={name}
        keep={contact.keepPrivateHistory ?? false}
        {...(historyOff ? { lockedReason: texts.chat.historyOff(policyReason) } : {})}
        onChange={(keep) => void report(actions.setKeepPrivateHistory(accountId, peer, keep))}
      />
      <AuthPanel
        peerName={name}
        smp={trust.smp}
        verified={trust.verified}
        focusAnswer={answerFirst}
        keyWarning={trust.keyWarning}
        busy={busy}
        error={authOpen === null ? authError : null}
        onAnswer={(requestId, secret) => void authenticate(() => actions.respondSmp(accountId, peer, requestId, secret))}
        onAbort={() => void report(actions.abortSmp(accountId, peer))}
        onDismiss={() => void report(actions.dismissSmp(accountId, peer))}
        onAskBack={() => {
          void actions.dismissSmp(accountId, peer);
          openAuth('question');
        }}
        onTryAgain={() => {
          const last = trust.smp;
          void actions.dismissSmp(accountId, peer);
          // The same way as last time: the question asked (to correct it), or a shared secret.
          const question = last && 'question' in last ? last.question : undefined;
          openAuth(last?.phase === 'failed' && question === undefined ? 'secret' : 'question', question);
        }}
        onAuthenticate={() => openAuth(expectedFingerprint ? 'fingerprint' : 'question')}
        onAcceptKey={(fingerprint) => {
          if (trust.scheme) void report(actions.acceptKey(accountId, peer, { scheme: trust.scheme, key: fingerprint }));
        }}
      />
      {authOpen && (
        <AuthenticateDialog
          peerName={name}
          theirFingerprint={trust.fingerprint}
          ownFingerprint={ownFingerprint}
          {...(expectedFingerprint ? { expectedFingerprint } : {})}
          verified={trust.verified}
          initialMethod={authOpen}
          {...(authQuestion !== undefined ? { initialQuestion: authQuestion } : {})}
          busy={busy}
          error={authError}
          onAsk={(question, answer) => void authenticate(() => actions.startSmp(accountId, peer, answer, question))}
          onSecret={(secret) => void authenticate(() => actions.startSmp(accountId, peer, secret))}
          onManual={(verified) =>
            void authenticate(() =>
              trust.scheme && trust.fingerprint
                ? actions.setTrust(accountId, peer, { scheme: trust.scheme, key: trust.fingerprint }, verified)
                : Promise.resolve({ ok: true, value: {} }),
            )
          }
          onStartPrivate={() => void report(actions.startPrivate(accountId, peer))}
          onClose={() => setAuthOpen(null)}
        />
      )}
      <MessageList
        peer={peer}
        peerName={name}
        messages={messages}
        onResend={(m) => void report(actions.resendMessage(accountId, peer, m.id))}
        {...(editable ? { editableId: editable.id } : {})}
        onEdit={startEdit}
        focus={focus}
        onFocusShown={actions.messageFocusDone}
        {...(connected || older.status !== 'idle' ? { older: { ...older, onLoad: () => void loadOlder() } } : {})}
      />
      <p className="hint typing-indicator" data-testid="typing-indicator" aria-live="polite">
        {contact.chatState === 'composing' ? texts.chat.typing(name) : ''}
      </p>
      <Composer
        peerName={name}
        value={draft}
        error={error}
        onChange={(text) => {
          actions.setDraft(chat, text);
          actions.composerChanged(accountId, peer, text);
        }}
        onSend={send}
        notPrivate={plaintextChat}
        {...(editable ? { onEditLast: () => startEdit(editable) } : {})}
        editing={editing !== null}
        onCancelEdit={cancelEdit}
      />
    </section>
  );
}

export function ChatPane({ accountId }: { accountId: string }) {
  const texts = useTexts();
  const selected = useAppState((s) => (s.selected?.accountId === accountId ? s.selected.peer : null));
  if (!selected) {
    return (
      <div className="chat-placeholder">
        <p className="muted">{texts.chat.chooseContact}</p>
      </div>
    );
  }
  return <ChatView key={selected} accountId={accountId} peer={selected} />;
}
