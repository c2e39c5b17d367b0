import { useId, useRef, useState, type ChangeEvent } from 'react';
import { useTexts } from '../i18n/i18n';

/** The contract's bound on our picture (checked again, by its bytes, in main). */
const MAX_BYTES = 128 * 1024;
const TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

type Props = {
  jid: string;
  avatar: string | undefined;
  connected: boolean;
  /** base64 of the chosen image, or undefined to remove it; resolves with an error to show, or null. */
  onChange: (image: string | undefined) => Promise<string | null>;
};

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Our own picture: shown, changed from a file, or removed. */
export function OwnAvatar({ jid, avatar, connected, onChange }: Props) {
  const id = useId();
  const t = useTexts().avatar;
  const input = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function run(image: string | undefined) {
    setBusy(true);
    setError(await onChange(image));
    setBusy(false);
  }

  async function chosen(e: ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    e.target.value = '';
    if (!file) return;
    if (!TYPES.includes(file.type)) return setError(t.wrongType);
    if (file.size > MAX_BYTES) return setError(t.tooLarge(MAX_BYTES / 1024));
    await run(toBase64(new Uint8Array(await file.arrayBuffer())));
  }

  return (
    <div className="own-avatar" data-testid="own-avatar">
      {avatar ? (
        <img className="avatar large" src={avatar} alt={t.yours} data-testid="own-avatar-image" />
      ) : (
        <span className="avatar large avatar-initial" aria-hidden="true">
          {jid.slice(0, 1).toUpperCase()}
        </span>
      )}
      <div className="own-avatar-actions">
        <input
          ref={input}
          id={`${id}-file`}
          className="visually-hidden"
          type="file"
          accept={TYPES.join(',')}
          data-testid="own-avatar-file"
          aria-label={avatar ? t.change : t.set}
          tabIndex={-1}
          disabled={!connected || busy}
          onChange={(e) => void chosen(e)}
        />
        <button type="button" className="button small" disabled={!connected || busy} onClick={() => input.current?.click()}>
          {busy ? t.saving : avatar ? t.change : t.set}
        </button>
        {avatar && (
          <button type="button" className="button subtle small" data-testid="own-avatar-remove" disabled={!connected || busy} onClick={() => void run(undefined)}>
            {t.remove}
          </button>
        )}
      </div>
      {error && (
        <p className="inline-error small" role="alert" data-testid="own-avatar-error">
          {error}
        </p>
      )}
    </div>
  );
}
