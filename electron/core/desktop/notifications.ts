/**
 * Which new messages become a desktop notification, and what it shows. The
 * rules, in order (each has a test in tests/unit/notifications.test.ts):
 *
 * 1. The setting (the administrator's policy, then the user's) is 'off': none.
 * 2. Only a message someone else wrote to us: no notice of Klatsch's, nothing
 *    of ours (not our own messages copied from another device either). The
 *    exception is the notice that asks the user for something (the contact's
 *    authentication request, `asksTheUser`): the contact waits for an answer.
 * 3. Only what arrives now ('live', or a carbon of a message another of our
 *    devices received): nothing restored from the local history or fetched
 *    from the server's archive, which the user may have seen long ago.
 * 4. Not while the user's presence on that account is "do not disturb".
 * 5. Not when the user sees it: the window has the focus and the chat is open.
 *
 * What it shows: 'sender-and-text': the sender's name as the title and the
 * text; 'sender-only': "New message from Alice". A private (OTR) message never
 * shows its text, whatever the setting: the OS keeps notifications (Windows'
 * action centre, macOS' notification centre, a Linux daemon's history) where
 * our encryption and "not in the history" promises do not reach, so a private
 * message is announced as "New private message from Alice". An authentication
 * request says only that: "Alice wants to authenticate you" (never the question).
 */
import { asksTheUser, type ChatMessage, type ChatRef, type NotificationSetting, type OwnShow, type PresenceShow } from '../../../shared/contract.js';
import { catalogFor, type Language } from '../../../shared/i18n/catalog.js';
import type { DesktopNotification, DesktopShell, ShellTexts } from './desktop-shell.js';

/** Where a message comes from: arriving now, a carbon of one received on another device, the local history, the server's archive. */
export type MessageSource = 'live' | 'carbon' | 'history' | 'archive';

export interface IncomingMessage {
  chat: ChatRef;
  /** The contact's name in the roster, else the address. */
  senderName: string;
  message: ChatMessage;
  source: MessageSource;
  /** The user's own presence on the account the message came to. */
  ownShow: OwnShow;
}

export interface WindowState {
  focused: boolean;
  /** The chat on screen (null: none). */
  openChat: ChatRef | null;
}

export interface NotificationPrefs {
  notifications: NotificationSetting;
  sound: boolean;
}

const TEXT_PREVIEW = 200;
const NAME_PREVIEW = 64;

/** One line of at most `max` characters: control characters and line breaks become spaces. */
export function preview(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  const line = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
  const chars = [...line]; // by code point, so that an emoji is never cut in half
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : line;
}

/** The notification for a message, or null when there is none (the rules above). */
export function notificationFor(incoming: IncomingMessage, window: WindowState, prefs: NotificationPrefs, texts: ShellTexts): DesktopNotification | null {
  const { message, chat } = incoming;
  if (prefs.notifications === 'off') return null;
  const authRequest = asksTheUser(message);
  if (message.direction !== 'in' && !authRequest) return null;
  if (incoming.source !== 'live' && incoming.source !== 'carbon') return null;
  if (incoming.ownShow === 'dnd') return null;
  const open = window.openChat;
  if (window.focused && open && open.accountId === chat.accountId && open.peer === chat.peer) return null;
  const name = preview(incoming.senderName, NAME_PREVIEW) || chat.peer;
  const base = { silent: !prefs.sound, chat: { ...chat } };
  if (authRequest) return { ...base, title: 'Klatsch', body: texts.wantsToAuthenticate(name), showsText: false };
  if (message.encrypted) return { ...base, title: 'Klatsch', body: texts.newPrivateMessageFrom(name), showsText: false };
  if (prefs.notifications === 'sender-only') return { ...base, title: 'Klatsch', body: texts.newMessageFrom(name), showsText: false };
  return { ...base, title: name, body: preview(message.body, TEXT_PREVIEW), showsText: true };
}

export interface NotifierDeps {
  shell: DesktopShell;
  /** The notification setting in force (policy first), the sound, and the UI's language. */
  prefs: () => NotificationPrefs & { language: Language };
  /** A notification was clicked: the window comes forward, the renderer opens the chat. */
  openChat: (chat: ChatRef) => void;
}

/** Feeds the desktop shell: notifications by the rules above, the unread count and the tray's presence (each only when it changed). */
export class Notifier {
  /** Until the window says otherwise, the user is assumed not to be looking. */
  private window: WindowState = { focused: false, openChat: null };
  private unread: number | undefined;
  private presence: PresenceShow | undefined;
  private trayLanguage: Language | undefined;

  constructor(private readonly deps: NotifierDeps) {}

  windowState(state: WindowState): void {
    this.window = { focused: state.focused, openChat: state.openChat ? { ...state.openChat } : null };
  }

  /** Electron's own word on the focus (BrowserWindow focus/blur), which may come before the renderer's. */
  windowFocused(focused: boolean): void {
    this.window = { ...this.window, focused };
  }

  /** A message was shown in a chat; returns the notification it made, if any. */
  incoming(incoming: IncomingMessage): DesktopNotification | null {
    const prefs = this.deps.prefs();
    const notification = notificationFor(incoming, this.window, prefs, catalogFor(prefs.language).shell);
    if (!notification) return null;
    const chat = notification.chat;
    this.deps.shell.notify(notification, () => {
      this.deps.shell.focusWindow();
      this.deps.openChat(chat);
    });
    return notification;
  }

  unreadCount(count: number): void {
    if (count === this.unread) return;
    this.unread = count;
    this.deps.shell.setUnreadCount(count);
  }

  /** The tray shows this presence; its menu is redrawn when the presence or the language changed. */
  trayPresence(presence: PresenceShow): void {
    const language = this.deps.prefs().language;
    if (presence === this.presence && language === this.trayLanguage) return;
    this.presence = presence;
    this.trayLanguage = language;
    this.deps.shell.setTrayPresence(presence, catalogFor(language).shell.tray);
  }
}
