import { useTexts } from '../i18n/i18n';

type Props = {
  title: string;
  message: string;
  actionLabel?: string;
  onAction?: () => void;
};

/** A full-window message for when the app cannot work at all. */
export function ErrorScreen({ title, message, actionLabel, onAction }: Props) {
  return (
    <main className="center-screen">
      <section className="card error-screen" role="alert" aria-labelledby="error-screen-title">
        <h1 id="error-screen-title">{title}</h1>
        <p>{message}</p>
        {actionLabel && onAction && (
          <button type="button" className="button primary" onClick={onAction}>
            {actionLabel}
          </button>
        )}
      </section>
    </main>
  );
}

export function LoadingScreen() {
  const texts = useTexts();
  return (
    <main className="center-screen" aria-busy="true">
      <p className="muted">{texts.app.loading}</p>
    </main>
  );
}
