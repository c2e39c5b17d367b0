/**
 * Requests about accounts: adding, signing in and out, certificates, own presence and picture; the snapshot.
 */
import { z } from 'zod';
import { AccountView } from '../accounts.js';
import { text } from '../bounds.js';
import { Snapshot } from '../snapshot.js';
import { AccountId, BareJid, OwnShow } from '../values.js';

const Password = z.string().min(1).max(1024);

export const accountRequests = {
  getSnapshot: { request: z.object({}).strict(), response: Snapshot },
  addAccount: {
    request: z
      .object({
        jid: BareJid,
        password: Password,
        rememberPassword: z.boolean(),
        host: z.string().min(1).max(253).optional(),
        port: z.number().int().min(1).max(65535).optional(),
        directTls: z.boolean().optional(),
        /** Set after the user saw the certificate of an `untrusted-certificate` error and chose to trust it. */
        trustCertificate: z.string().max(128).optional(),
      })
      .strict(),
    response: AccountView,
  },
  connectAccount: {
    request: z.object({ accountId: AccountId, password: Password.optional(), rememberPassword: z.boolean().optional() }).strict(),
    response: z.object({}),
  },
  disconnectAccount: { request: z.object({ accountId: AccountId }).strict(), response: z.object({}) },
  removeAccount: { request: z.object({ accountId: AccountId }).strict(), response: z.object({}) },
  /** Pin (or, after a warning, re-pin) the certificate last presented for this account. */
  trustCertificate: {
    request: z.object({ accountId: AccountId, sha256: z.string().max(128) }).strict(),
    response: z.object({}),
  },
  setPresence: {
    request: z.object({ accountId: AccountId, show: OwnShow, status: text(1024) }).strict(),
    response: z.object({}),
  },
  /** Set our picture (XEP-0084): base64 of a PNG, JPEG, GIF or WebP of at most 128 KiB; absent: remove it. */
  setAvatar: {
    request: z.object({ accountId: AccountId, image: z.string().min(4).max(174_764).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64').optional() }).strict(),
    response: z.object({}),
  },
} as const;
