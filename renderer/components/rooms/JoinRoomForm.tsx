import { useState, type FormEvent } from 'react';
import { useTexts } from '../../i18n/i18n';

type Props = {
  connected: boolean;
  /** A nickname to start with (the account's local part). */
  initialNick: string;
  /** Resolves with an error to show (the dialog stays open to try another nickname), or null when joined. */
  onSubmit: (values: { room: string; nick: string; password?: string }) => Promise<string | null>;
  onCancel: () => void;
  /** The public rooms of the server's group chat service (XEP-0030), or an error to show. */
  onBrowse: () => Promise<{ jid: string; name?: string }[] | string>;
};

/** Room address or name, nickname, optional password. */
export function JoinRoomForm({ connected, initialNick, onSubmit, onCancel, onBrowse }: Props) {
  const texts = useTexts().groupChat;
  const [room, setRoom] = useState('');
  const [nick, setNick] = useState(initialNick);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<{ message: string; field?: 'room' | 'nick' } | null>(null);
  const [busy, setBusy] = useState(false);
  /** The server's public rooms once asked for (null: not asked; 'loading' while asking). */
  const [found, setFound] = useState<{ jid: string; name?: string }[] | 'loading' | null>(null);

  async function browse() {
    setFound('loading');
    const answer = await onBrowse();
    if (typeof answer === 'string') {
      setFound(null);
      setError({ message: answer });
    } else setFound(answer);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (busy) return;
    if (room.trim() === '') return setError({ message: texts.missingRoom, field: 'room' });
    if (nick.trim() === '') return setError({ message: texts.missingNick, field: 'nick' });
    setBusy(true);
    const problem = await onSubmit({ room: room.trim(), nick: nick.trim(), ...(password ? { password } : {}) });
    setBusy(false);
    setError(problem ? { message: problem } : null);
  }

  const invalid = (field: 'room' | 'nick') => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': 'join-room-error' } : {});
  return (
    <form className="form" onSubmit={submit} noValidate data-testid="join-room-form">
      <p className="muted">{texts.dialogHint}</p>
      <p className="room-not-encrypted small">{texts.joinEncryptionNote}</p>
      <label className="field">
        <span>{texts.roomLabel}</span>
        <input
          data-testid="join-room-address"
          type="text"
          autoFocus
          spellCheck={false}
          autoComplete="off"
          placeholder={texts.roomPlaceholder}
          value={room}
          onChange={(e) => setRoom(e.target.value)}
          {...invalid('room')}
        />
      </label>
      <div className="room-browse">
        <button type="button" className="button small subtle" data-testid="browse-rooms" disabled={!connected || found === 'loading'} onClick={() => void browse()}>
          {found === 'loading' ? texts.browsing : texts.browse}
        </button>
        {Array.isArray(found) &&
          (found.length === 0 ? (
            <p className="muted small" role="status">
              {texts.browseNone}
            </p>
          ) : (
            <ul className="room-browse-list" aria-label={texts.browseHeading} data-testid="public-rooms">
              {found.map((r) => (
                <li key={r.jid}>
                  <button type="button" className="button small subtle" data-testid="public-room" data-room={r.jid} aria-label={texts.pickRoom(r.jid)} onClick={() => setRoom(r.jid)}>
                    {r.name ? `${r.name} (${r.jid})` : r.jid}
                  </button>
                </li>
              ))}
            </ul>
          ))}
      </div>
      <label className="field">
        <span>{texts.nickLabel}</span>
        <input data-testid="join-room-nick" type="text" autoComplete="off" maxLength={64} value={nick} onChange={(e) => setNick(e.target.value)} {...invalid('nick')} />
      </label>
      <label className="field">
        <span>
          {texts.passwordLabel} <span className="optional">{texts.optional}</span>
        </span>
        <input data-testid="join-room-password" type="password" autoComplete="off" value={password} onChange={(e) => setPassword(e.target.value)} />
      </label>
      {!connected && <p className="hint small">{texts.notConnected}</p>}
      {error && (
        <p className="inline-error" role="alert" id="join-room-error" data-testid="join-room-error">
          {error.message}
        </p>
      )}
      {/* As in every other dialog: an ordinary Cancel, then the primary action, at the right. */}
      <div className="button-row">
        <button type="button" className="button" onClick={onCancel}>
          {texts.cancel}
        </button>
        <button type="submit" className="button primary" data-testid="join-room-submit" disabled={busy || !connected}>
          {busy ? texts.joining : texts.submit}
        </button>
      </div>
    </form>
  );
}
