/**
 * App-wide settings, the window's state, and links opened from messages.
 */
import { z } from 'zod';
import { AppSettings, ChatRef, SettingsView } from '../settings.js';

export const settingsRequests = {
  /**
   * Open a link from a message, after the user confirmed the address in Klatsch: main parses it again and
   * opens only https:, mailto: (the system's browser or mail program) and xmpp: (inside Klatsch).
   */
  openExternalLink: {
    request: z.object({ url: z.string().min(1).max(8192) }).strict(),
    response: z.object({ opened: z.enum(['external', 'in-app']) }),
  },
  /** Change app-wide settings (only the ones named); a setting locked by the administrator is refused. */
  setSettings: { request: AppSettings.partial().strict(), response: SettingsView },
  /**
   * Whether the window has the focus and which chat is open: notifications are shown only for
   * messages the user cannot see.
   */
  windowStateChanged: {
    request: z.object({ focused: z.boolean(), openChat: ChatRef.nullable() }).strict(),
    response: z.object({}),
  },
} as const;
