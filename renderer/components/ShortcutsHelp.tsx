import { ESCAPE_HELP, SHORTCUTS, type Platform } from '../shortcuts';
import { ModalDialog } from './ModalDialog';

/** The "Keyboard shortcuts" help: what each key does, for this platform. */
export function ShortcutsHelp({ platform, onClose }: { platform: Platform; onClose: () => void }) {
  return (
    <ModalDialog className="shortcuts-dialog" testId="shortcuts-help" labelledBy="shortcuts-title" onClose={onClose}>
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <dl className="shortcut-list">
        {SHORTCUTS.map((s) => (
          <div className="shortcut" key={s.action} data-testid="shortcut" data-action={s.action}>
            <dt>
              {(platform === 'mac' ? s.macKeys : s.keys).map((k, i) => (
                <span key={k}>
                  {i > 0 && <span className="muted"> or </span>}
                  <kbd>{k}</kbd>
                </span>
              ))}
            </dt>
            <dd>{s.description}</dd>
          </div>
        ))}
        <div className="shortcut">
          <dt>
            <kbd>Esc</kbd>
          </dt>
          <dd>{ESCAPE_HELP}</dd>
        </div>
      </dl>
      <p className="hint">In the message field, Enter sends and Shift+Enter starts a new line.</p>
      <div className="button-row">
        <button type="button" className="button primary" data-testid="shortcuts-close" autoFocus onClick={onClose}>
          Close
        </button>
      </div>
    </ModalDialog>
  );
}
