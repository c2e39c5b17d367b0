/**
 * What the core asks of the desktop around the window: notifications, the
 * unread count on the dock or taskbar, the tray icon, bringing the window
 * forward. Electron's implementation is electron/desktop-shell.ts (thin); the
 * development host records instead (electron/devhost/recording-shell.ts).
 */
import type { ChatRef, PresenceShow } from '../../../shared/contract.js';
import type { Catalog } from '../../../shared/i18n/catalog.js';

/** What the main process says itself (shared/i18n: one catalog with the renderer's). */
export type ShellTexts = Catalog['shell'];
export type TrayTexts = Catalog['shell']['tray'];

export interface DesktopNotification {
  title: string;
  body: string;
  /** false: the OS plays its notification sound. */
  silent: boolean;
  /** The chat a click opens. */
  chat: ChatRef;
  /** Whether the body shows what was written (false: only who wrote); tests assert nothing private leaks. */
  showsText: boolean;
}

export interface DesktopShell {
  /** Shows a notification; `onClick` when the user clicks it. */
  notify(notification: DesktopNotification, onClick: () => void): void;
  /** Unread messages of every account (0: no badge). */
  setUnreadCount(count: number): void;
  /** The tray icon's colour and its menu, in the UI's language. */
  setTrayPresence(presence: PresenceShow, texts: TrayTexts): void;
  /** Shows, restores and focuses the window. */
  focusWindow(): void;
}

/** A shell that does nothing: the core without a desktop (tests of other parts). */
export const NO_SHELL: DesktopShell = {
  notify: () => {},
  setUnreadCount: () => {},
  setTrayPresence: () => {},
  focusWindow: () => {},
};
