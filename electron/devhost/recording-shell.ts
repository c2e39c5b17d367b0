/**
 * The development host's DesktopShell: a browser page has no tray and no
 * native notifications, so what the app would show is recorded instead — one
 * JSON line per call in the file named by `--record-notifications FILE`, which
 * end-to-end tests read. A test surface only: without the flag nothing is kept.
 */
import { appendFileSync } from 'node:fs';
import type { PresenceShow } from '../../shared/contract.js';
import type { DesktopNotification, DesktopShell, TrayTexts } from '../core/desktop/desktop-shell.js';

export type RecordedShellCall =
  | ({ kind: 'notification' } & DesktopNotification)
  | { kind: 'unread'; count: number }
  | { kind: 'tray'; presence: PresenceShow; tooltip: string }
  | { kind: 'focus' };

export class RecordingShell implements DesktopShell {
  constructor(private readonly file: string | undefined) {}

  private record(call: RecordedShellCall): void {
    // Synchronous and appended: a test reading the file sees every call made before, in order.
    if (this.file) appendFileSync(this.file, `${JSON.stringify(call)}\n`, { mode: 0o600 });
  }

  notify(n: DesktopNotification): void {
    this.record({ kind: 'notification', ...n });
  }

  setUnreadCount(count: number): void {
    this.record({ kind: 'unread', count });
  }

  setTrayPresence(presence: PresenceShow, texts: TrayTexts): void {
    this.record({ kind: 'tray', presence, tooltip: texts.tooltip(texts[presence]) });
  }

  focusWindow(): void {
    this.record({ kind: 'focus' });
  }
}
