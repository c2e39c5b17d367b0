/**
 * Requests: renderer → main. One table, put together from the domains' groups (requests/*.ts, the same
 * groups as the handlers in electron/core/handlers/). A name belongs to exactly one group
 * (tests/unit/contract-groups.test.ts): a spread would silently keep only the last of two.
 */
import { z } from 'zod';
import { accountRequests } from './requests/accounts.js';
import { archiveRequests } from './requests/archive.js';
import { chatRequests } from './requests/chat.js';
import { contactRequests } from './requests/contacts.js';
import { e2eeRequests } from './requests/e2ee.js';
import { roomRequests } from './requests/rooms.js';
import { settingsRequests } from './requests/settings.js';
import { smpRequests } from './requests/smp.js';

export const requests = {
  ...accountRequests,
  ...chatRequests,
  ...e2eeRequests,
  ...smpRequests,
  ...contactRequests,
  ...roomRequests,
  ...settingsRequests,
  ...archiveRequests,
} as const;

export type RequestName = keyof typeof requests;
export type RequestOf<K extends RequestName> = z.input<(typeof requests)[K]['request']>;
export type ResponseOf<K extends RequestName> = z.infer<(typeof requests)[K]['response']>;
export const requestNames = Object.keys(requests) as RequestName[];
