/**
 * App-wide settings (the settings screen) and desktop notifications.
 */
import { z } from 'zod';
import { AccountId, BareJid } from './values.js';

/** 'system': the OS's preferred languages decide (English when none of them is spoken). */
export const LanguageSetting = z.enum(['system', 'en', 'de']);
export type LanguageSetting = z.infer<typeof LanguageSetting>;
/** 'system': follows the OS's light or dark mode. */
export const ThemeSetting = z.enum(['system', 'light', 'dark']);
export type ThemeSetting = z.infer<typeof ThemeSetting>;
/** What a desktop notification of a new message shows: who and what, only who, or nothing at all. */
export const NotificationSetting = z.enum(['sender-and-text', 'sender-only', 'off']);
export type NotificationSetting = z.infer<typeof NotificationSetting>;

export const OmemoTrustMode = z.enum(['blind', 'ask']);
export type OmemoTrustMode = z.infer<typeof OmemoTrustMode>;

export const AppSettings = z.object({
  language: LanguageSetting,
  theme: ThemeSetting,
  notifications: NotificationSetting,
  /** Notifications play the OS's sound. */
  notificationSound: z.boolean(),
  /** Private conversations in OTR version 3 only: version 2 (old apps) is refused, so an attacker cannot force it. */
  otrV3Only: z.boolean(),
  /**
   * The first message to a contact whose app is known to speak OTR waits (as 'waiting') until the
   * conversation is private, instead of going out in plaintext with the OTR offer.
   */
  waitForPrivate: z.boolean(),
  /**
   * OMEMO devices of a contact: 'blind' uses new ones until the user verified one of the contact's devices
   * (then a new one is held until the user decides); 'ask' holds every new device until the user decides.
   */
  omemoTrust: OmemoTrustMode,
});
export type AppSettings = z.infer<typeof AppSettings>;

/** The settings in force, and the ones the administrator locked (setting → why, for the user). */
export const SettingsView = z.object({
  values: AppSettings,
  locked: z.object({ notifications: z.string().optional(), otrV3Only: z.string().optional(), waitForPrivate: z.string().optional(), omemoTrust: z.string().optional() }),
});
export type SettingsView = z.infer<typeof SettingsView>;

/** A chat, named by account and peer (a notification that was clicked). */
export const ChatRef = z.object({ accountId: AccountId, peer: BareJid });
export type ChatRef = z.infer<typeof ChatRef>;
