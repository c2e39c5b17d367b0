import { useTexts } from '../i18n/i18n';
import { SHORTCUTS, type Platform } from '../shortcuts';
import { ModalDialog } from './ModalDialog';

/** The "Keyboard shortcuts" help: what each key does, for this platform. */
export function ShortcutsHelp({ platform, onClose }: { platform: Platform; onClose: () => void }) {
  const t = useTexts().shortcuts;
  return (
    <ModalDialog className="shortcuts-dialog" testId="shortcuts-help" labelledBy="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">{t.title}</h2>
      <dl className="shortcut-list">
        {SHORTCUTS.map((s) => (
          <div className="shortcut" key={s.action} data-testid="shortcut" data-action={s.action}>
            <dt>
              {(platform === 'mac' ? s.macKeys : s.keys).map((k, i) => (
                <span key={k}>
                  {i > 0 && <span className="muted">{t.or}</span>}
                  <kbd>{k}</kbd>
                </span>
              ))}
            </dt>
            <dd>{t.actions[s.action]}</dd>
          </div>
        ))}
        <div className="shortcut">
          <dt>
            <kbd>Esc</kbd>
          </dt>
          <dd>{t.escape}</dd>
        </div>
      </dl>
      <p className="hint">{t.composerHint}</p>
      <div className="button-row">
        <button type="button" className="button primary" data-testid="shortcuts-close" autoFocus onClick={onClose}>
          {t.close}
        </button>
      </div>
    </ModalDialog>
  );
}
