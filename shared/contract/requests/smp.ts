/**
 * OTR only: authenticating with the Socialist Millionaires' Protocol (SMP).
 */
import { z } from 'zod';
import { AccountId, BareJid } from '../values.js';

export const smpRequests = {
  /** Ask the contact `question` (or, without one, compare a shared secret); both sides learn whether the answers match. */
  startSmp: {
    request: z.object({ accountId: AccountId, peer: BareJid, secret: z.string().min(1).max(4096), question: z.string().min(1).max(1024).optional() }).strict(),
    response: z.object({}),
  },
  /** Answer the contact's question or shared-secret request `requestId` (SmpView 'asked' `id`); refused if that is no longer the open request. */
  respondSmp: {
    request: z.object({ accountId: AccountId, peer: BareJid, requestId: z.string().min(1).max(64), secret: z.string().min(1).max(4096) }).strict(),
    response: z.object({}),
  },
  /** Cancel an authentication in progress (or decline a request). */
  abortSmp: { request: z.object({ accountId: AccountId, peer: BareJid }).strict(), response: z.object({}) },
  /** Forget the shown result of the last authentication. */
  dismissSmp: { request: z.object({ accountId: AccountId, peer: BareJid }).strict(), response: z.object({}) },
} as const;
