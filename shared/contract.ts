/**
 * The one IPC contract between the renderer and the main process.
 *
 * Requests go renderer → main and answer with a `Result`; events go main → renderer.
 * Every request payload is parsed by main with the schema below before a handler
 * sees it, so handlers only ever get typed, bounded values.
 *
 * This file imports neither Node nor the DOM: both sides, and the development
 * host, import it as it is.
 */
import { z } from 'zod';
import { PolicyView, XmppLinkEvent } from './policy-view.js';

export { PolicyView, XmppLinkEvent };

// ---------------------------------------------------------------------------
// Building blocks

/** Bounded so that a hostile or buggy renderer cannot hand main megabytes of junk. */
const text = (max: number) => z.string().max(max);

export const AccountId = z.string().regex(/^[a-zA-Z0-9-]{1,64}$/, 'not an account id');
export type AccountId = z.infer<typeof AccountId>;

/** A bare JID as typed by a user: `local@domain`. Checked further by the core's JID parser. */
export const BareJid = z
  .string()
  .min(3)
  .max(3071)
  .regex(/^[^@/\s]+@[^@/\s]+$/, 'expected an address like user@example.com');
export type BareJid = z.infer<typeof BareJid>;

export const PresenceShow = z.enum(['online', 'away', 'dnd', 'offline']);
export type PresenceShow = z.infer<typeof PresenceShow>;

/** What the user can choose for themselves ("offline" is signing out, not a presence). */
export const OwnShow = z.enum(['online', 'away', 'dnd']);
export type OwnShow = z.infer<typeof OwnShow>;

export const Presence = z.object({ show: PresenceShow, status: text(1024) });
export type Presence = z.infer<typeof Presence>;

export const CertificateInfo = z.object({
  subject: z.string(),
  issuer: z.string(),
  validFrom: z.string(),
  validTo: z.string(),
  /** SHA-256 of the DER certificate, colon-separated uppercase hex. */
  sha256: z.string(),
  selfSigned: z.boolean(),
  /** Why Node refused it, in words (e.g. "self-signed certificate"). */
  problem: z.string(),
});
export type CertificateInfo = z.infer<typeof CertificateInfo>;

export const ErrorCode = z.enum([
  'invalid-request',
  'not-found',
  'already-exists',
  'auth-failed',
  'tls-required',
  'untrusted-certificate',
  'certificate-changed',
  'host-not-found',
  'connection-refused',
  'connection-lost',
  /** No connection to the server could be made at all (as opposed to one that was made and dropped). */
  'server-unreachable',
  'timeout',
  'stream-error',
  'not-connected',
  'storage',
  'internal',
  /** The administrator's policy does not allow it. */
  'forbidden-by-policy',
  /** The XMPP server refused a request (a roster change, …); the message says what it answered. */
  'server-error',
  /** Data arrived on the connection before it was encrypted: someone on the network may be tampering with it. */
  'connection-tampered',
  /** The server broke the stream's rules (a stanza before sign-in, one too large): Klatsch ended the connection. */
  'protocol-violation',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

const ErrorParamsSchema = z.record(z.string().max(64), z.union([z.string().max(4096), z.number()]));

export const AppError = z.object({
  code: ErrorCode,
  message: z.string(),
  /** Present with `untrusted-certificate` and `certificate-changed`. */
  certificate: CertificateInfo.optional(),
  /** Where a sign-in tried to connect: the domain looked up and the host:port endpoints tried, so the UI can name them. */
  where: z.object({ domain: z.string().max(1024), tried: z.array(z.string().max(1100)).max(16) }).optional(),
  /**
   * With `forbidden-by-policy` from the remote allow/deny lists: what was refused (a message to, adding or
   * entering `address`) and what refuses it (`blocked`: its domain, or the address alone), for the UI to word.
   */
  remote: z
    .object({ action: z.enum(['message', 'contact', 'room']), address: z.string().max(3071), blocked: z.string().max(3071) })
    .optional(),
  /**
   * What exactly went wrong (shared/error-reasons.ts) and its parameters, for the UI to word; `message` is the
   * core's English for logs. Any short string: a reason from a newer core still parses, and shows `message`.
   */
  reason: z.string().max(64).optional(),
  params: ErrorParamsSchema.optional(),
});
export type AppError = z.infer<typeof AppError>;

/**
 * Why something is as it is, by reason (shared/error-reasons.ts) with its parameters, for the UI to word;
 * `text` is the core's English (logs, and a reason this renderer does not know).
 */
export const WordedReason = z.object({ reason: z.string().max(64), params: ErrorParamsSchema.optional(), text: z.string().max(4096) });
export type WordedReason = z.infer<typeof WordedReason>;
/** Why a message was not sent. */
export const NotSentReason = WordedReason;
export type NotSentReason = WordedReason;

export type Result<T> = { ok: true; value: T } | { ok: false; error: AppError };

export const ConnectionState = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('offline') }),
  z.object({ kind: z.literal('connecting') }),
  z.object({ kind: z.literal('online'), jid: z.string() }),
  z.object({
    kind: z.literal('reconnecting'),
    /** Epoch ms of the next attempt, so the UI can count down. */
    retryAt: z.number(),
    attempt: z.number().int(),
    reason: z.string(),
    /** What `reason` is, by code (i18n): the UI words it in the user's language, `reason` as the detail. */
    reasonCode: ErrorCode.optional(),
  }),
  z.object({ kind: z.literal('error'), error: AppError }),
]);
export type ConnectionState = z.infer<typeof ConnectionState>;

export const AccountView = z.object({
  id: AccountId,
  jid: z.string(),
  host: z.string().optional(),
  port: z.number().int().optional(),
  directTls: z.boolean(),
  rememberPassword: z.boolean(),
  /** True when a password is stored (encrypted); false means the user must type it. */
  hasStoredPassword: z.boolean(),
  pinnedCertificate: z.string().optional(),
  connection: ConnectionState,
  ownPresence: z.object({ show: OwnShow, status: z.string() }),
  /** The account's own OTR key: its fingerprint once made; `generating` while it is being made. */
  otrKey: z
    .object({ fingerprint: z.string().optional(), generating: z.boolean(), notStoredReason: z.string().optional() })
    .optional(),
  /**
   * Senders whose messages or contact requests were not shown since Klatsch started because the administrator's
   * policy blocks them: a whole domain (federation's deny list) or a single address. One entry each, first come
   * first listed, at most MAX_BLOCKED_SENDERS: the UI says so once per sender, never with what they wrote.
   */
  blockedSenders: z.array(z.string().max(1023)).max(10).optional(),
});
export type AccountView = z.infer<typeof AccountView>;
export const MAX_BLOCKED_SENDERS = 10;

export const OtrPolicy = z.enum(['never', 'manual', 'opportunistic', 'always']);
export type OtrPolicy = z.infer<typeof OtrPolicy>;

/**
 * How the UI shows where a conversation stands: plaintext, private (verified when the key is trusted), or
 * ended without the user ending it. Derived from `Contact.e2ee` in one place (renderer/store/contactTrust.ts).
 */
export const Privacy = z.enum(['plaintext', 'private', 'private-verified', 'finished']);
export type Privacy = z.infer<typeof Privacy>;

/** An end-to-end encryption scheme by its name: 'otr' (OMEMO's will be 'omemo'). */
export const E2eeScheme = z.string().regex(/^[a-z][a-z0-9-]{0,31}$/);
export type E2eeScheme = z.infer<typeof E2eeScheme>;

/** How far a contact's key is trusted: checked by hand (fingerprints compared) or by SMP (question or shared secret). */
export const TrustLevel = z.enum(['unverified', 'verified-manual', 'verified-smp']);
export type TrustLevel = z.infer<typeof TrustLevel>;

/**
 * Where authenticating the contact (OTR's Socialist Millionaires' Protocol) stands.
 * `weStarted`: we asked (question or shared secret); else the contact did and we answered.
 */
export const SmpView = z.discriminatedUnion('phase', [
  /**
   * The contact asked: show `question` (absent: a shared secret) and an answer field. `id` names this
   * request: the answer says which request it answers (a request replaced meanwhile is not answered).
   */
  z.object({ phase: z.literal('asked'), id: z.string(), question: z.string().optional() }),
  /** Messages are being exchanged; `step` of 4. */
  z.object({ phase: z.literal('running'), weStarted: z.boolean(), question: z.string().optional(), step: z.number().int().min(1).max(4) }),
  /**
   * Both typed the same. `weVerifiedThem`: we now trust their key (we asked, or a shared secret);
   * false after answering their question: they verified us, we learnt nothing about them.
   */
  z.object({ phase: z.literal('succeeded'), weStarted: z.boolean(), question: z.string().optional(), weVerifiedThem: z.boolean() }),
  /** The answers or secrets differ (or someone cheated). */
  z.object({ phase: z.literal('failed'), weStarted: z.boolean(), question: z.string().optional() }),
  /** `replaced`: the contact sent a new request before the user answered; both were cancelled. */
  z.object({ phase: z.literal('aborted'), byPeer: z.boolean(), replaced: z.boolean().optional() }),
  /** The authentication broke off (a protocol problem): said in plain words by the UI, never the engine's text. */
  z.object({ phase: z.literal('error') }),
]);
export type SmpView = z.infer<typeof SmpView>;

/** Where a conversation's end-to-end encryption stands, whatever the scheme: header, banners and roster derive from it. */
export const E2eeView = z.object({
  scheme: E2eeScheme,
  /** 'finished': ended without the user ending it (by the contact, or a connection lost): nothing is sent until the user decides. */
  state: z.enum(['plaintext', 'private', 'finished']),
  /** The key the conversation is private with is verified. */
  verified: z.boolean(),
  /** The contact's key in the private conversation, as the user compares it ("XXXXXXXX XXXXXXXX …"; public: safe to show). */
  fingerprint: z.string().optional(),
  /**
   * The contact shows up with a key not seen before although other keys of theirs are known
   * (`changedFromVerified`: one of those was verified). Nothing is sent until the user accepts it.
   */
  keyWarning: z.object({ fingerprint: z.string(), changedFromVerified: z.boolean() }).optional(),
  /** Authentication in progress or its last result (OTR's SMP; absent for a scheme without one). */
  auth: SmpView.optional(),
  /**
   * 'no-devices': the chat is set to this scheme (the user's override, or the only one the policy allows) but the
   * contact announced no devices for it, so nothing can be sent (never in plaintext) until that changes.
   */
  unavailable: z.literal('no-devices').optional(),
  /** Schemes that trust per device (OMEMO): each device of the contact with its key's fingerprint and trust. */
  devices: z
    .array(z.object({ id: z.string().max(32), fingerprint: z.string().max(128), trust: z.enum(['blind', 'verified', 'held', 'distrusted', 'unknown']), label: z.string().max(128).optional() }))
    .max(500)
    .optional(),
});
export type E2eeView = z.infer<typeof E2eeView>;

export const Contact = z.object({
  jid: z.string(),
  /** The conversation's end-to-end encryption; absent: plaintext, with nothing to say about keys. */
  e2ee: E2eeView.optional(),
  /** The contact's own OTR policy, when it differs from the account's default. */
  otrPolicy: OtrPolicy.optional(),
  /** The scheme the user set for this contact (OMEMO or OTR); absent: automatic (OMEMO when the contact announces devices). */
  e2eeScheme: E2eeScheme.optional(),
  /** True when the user chose to keep this contact's private messages in the local history. */
  keepPrivateHistory: z.boolean().optional(),
  name: z.string().optional(),
  subscription: z.enum(['none', 'to', 'from', 'both', 'remove']),
  groups: z.array(z.string()),
  presence: Presence,
  unread: z.number().int(),
  /** We asked to see the contact's presence and they have not answered yet (RFC 6121 ask='subscribe'). */
  ask: z.literal('subscribe').optional(),
  /** The contact is typing to us now (XEP-0085); absent: not (or paused, or gone). */
  chatState: z.enum(['composing']).optional(),
});
export type Contact = z.infer<typeof Contact>;

/** Someone asks to see our presence (RFC 6121 §3.1.3) and waits for the user's answer. */
export const SubscriptionRequest = z.object({
  jid: z.string(),
  /** Epoch ms of the first time it arrived. */
  receivedAt: z.number(),
  /** What they wrote with it, if anything (shown as text). */
  text: z.string().optional(),
});
export type SubscriptionRequest = z.infer<typeof SubscriptionRequest>;

// ---- Notices in a chat, by kind (i18n): the UI says each in the user's language; `body` keeps the core's English text. ----
/** The notices the core writes; their texts are the renderer catalog's `notices` section. */
export const NOTICE_KINDS = [
  'ended-by-us',
  'peer-offline',
  'key-replaced',
  'ended-otr-off',
  'private-message-otr-off',
  'private-request-otr-off',
  'private-refreshed',
  'private-started-verified',
  'private-started-unverified',
  'new-key-after-verified',
  'new-key',
  'smp-question',
  'smp-secret',
  'smp-cancelled-by-peer',
  'smp-cancelled',
  'smp-replaced',
  'smp-error',
  'smp-verified',
  'smp-verified-by-them',
  'smp-failed',
  'trust-not-saved',
  'ended-by-peer',
  'unreadable',
  'unreadable-resent',
  'peer-error',
  'not-encrypted',
  'other-device-private',
  'archive-private',
  'own-offline',
  'key-accepted',
  'verified-by-fingerprint',
  'unverified-by-fingerprint',
  'key-forgotten',
  'v2-refused',
  'private-not-kept',
  // Encryption scheme switched (detail: the scheme the chat uses now); OMEMO device trust (detail: the device key's fingerprint).
  'ended-for-other-scheme',
  'ended-scheme-not-allowed',
  // A group chat message that could not be shown (detail: who sent it, "nick (address)", or the nick alone).
  'room-message-sender-unknown',
  'room-message-held',
  'room-message-not-for-us',
  'room-message-undecryptable',
  'omemo-device-new',
  'omemo-device-held',
  'omemo-device-verified',
  'omemo-device-unverified',
  'omemo-device-accepted',
  'omemo-device-distrusted',
  'omemo-device-forgotten',
  'omemo-device-removed',
] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];
/**
 * The notices that ask the user for something (the contact's authentication request): like a message,
 * they count as unread and raise a desktop notification when the user does not see them.
 */
export function asksTheUser(message: Pick<ChatMessage, 'direction' | 'notice'>): boolean {
  return message.direction === 'notice' && (message.notice?.kind === 'smp-question' || message.notice?.kind === 'smp-secret');
}
/**
 * Which notice it is, and its one variable part (the question asked, the peer app's error). The kind is
 * any short string, not an enum: history written by a newer Klatsch still loads, and an unknown kind shows `body`.
 * A kind may also be an error reason (shared/error-reasons.ts) of at most one parameter, `detail` (a room that let us go).
 */
export const ChatNotice = z.object({
  kind: z.string().max(64),
  detail: z.string().max(4096).optional(),
  /** The engine's or the peer app's own words (protocol terms): for bug reports, never shown as the notice's text. */
  debug: z.string().max(4096).optional(),
});
export type ChatNotice = z.infer<typeof ChatNotice>;

export const ChatMessage = z.object({
  id: z.string(),
  peer: z.string(),
  /** 'notice': said by Klatsch about the conversation (it went private, the peer ended it, …), not by a person. */
  direction: z.enum(['in', 'out', 'notice']),
  body: z.string(),
  /** Sent or received inside a private (OTR) conversation. */
  encrypted: z.boolean().optional(),
  /** Epoch ms: when sent (ours) or when received / stamped by the sender's server (theirs). */
  timestamp: z.number(),
  /** 'waiting': held until the conversation is private (never sent in plaintext). 'delivered': the peer's app confirmed it (XEP-0184). */
  state: z.enum(['sending', 'waiting', 'sent', 'failed', 'received', 'delivered']),
  /**
   * 'failed': why. 'waiting': set when it waits for a private conversation up to PRIVATE_WAIT_MS (shared/private-wait.ts) from `timestamp`.
   * A reason for the UI to word, or English (written by an older Klatsch, kept in the history: shown as it is).
   */
  error: z.union([z.string(), NotSentReason]).optional(),
  /** The text was corrected after it was first sent (XEP-0308); `body` is the corrected text. */
  edited: z.boolean().optional(),
  /**
   * 'waiting' only: our server could not reach this domain's server (federation: it is down, unknown or its
   * certificate does not verify). The message is kept and goes again by itself.
   */
  waitingForServer: z.string().max(1023).optional(),
  /** Group chats only: the sender's nickname in the room (`peer` is the room's address). */
  nick: z.string().optional(),
  /** The id our server's archive gave it (XEP-0313/XEP-0359), to recognize it when fetched again. */
  archiveId: z.string().max(256).optional(),
  /** On notices: which one (i18n), so the UI can say it in the user's language. Older history has none: `body` shows. */
  notice: ChatNotice.optional(),
});
export type ChatMessage = z.infer<typeof ChatMessage>;

export const SecretStorageStatus = z.object({
  available: z.boolean(),
  /** Why passwords cannot be remembered, when they cannot, for the UI to word: no secure storage at all, or no keyring running (Linux). */
  why: z.enum(['no-secure-storage', 'no-keyring']).optional(),
  /** The same in the core's English (logs, and the core's own messages). */
  reason: z.string().optional(),
});
export type SecretStorageStatus = z.infer<typeof SecretStorageStatus>;

// ---------------------------------------------------------------------------
// App-wide settings (the settings screen) and desktop notifications

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
// Group chats (XEP-0045). End-to-end encrypted (OMEMO) only in members-only, non-anonymous rooms; every
// other room is plaintext to the server and every occupant.

/** Someone in a room, as the room says (role and affiliation: XEP-0045 §5). */
export const Occupant = z.object({
  nick: z.string(),
  role: z.enum(['moderator', 'participant', 'visitor', 'none']),
  affiliation: z.enum(['owner', 'admin', 'member', 'outcast', 'none']),
  show: PresenceShow,
  /** The occupant's real address, when the room shows it (non-anonymous rooms). */
  jid: z.string().optional(),
});
export type Occupant = z.infer<typeof Occupant>;

export const RoomView = z.object({
  /** The room's bare address, room@conference.example.com. */
  jid: z.string(),
  /** Our nickname in the room. */
  nick: z.string(),
  /**
   * 'joining': asked to enter; 'joined': in the room; 'offline': the account is offline (rejoined when it is back);
   * 'removed': kicked, banned, the room was destroyed or could not be entered again (`error` says why).
   */
  state: z.enum(['joining', 'joined', 'offline', 'removed']),
  subject: z.string().optional(),
  /** Sorted by nickname; at most the core's bound (`occupantsOmitted` counts the rest). */
  occupants: z.array(Occupant),
  occupantsOmitted: z.number().int().optional(),
  /** We created the room just now. */
  created: z.boolean().optional(),
  /** 'removed': why. */
  error: WordedReason.optional(),
  /**
   * The room is end-to-end encrypted with `scheme` (OMEMO in a members-only, non-anonymous room): what the user
   * writes there goes out encrypted for every member or not at all. Absent: not end-to-end encrypted.
   */
  e2ee: z.object({ scheme: z.string().max(32) }).optional(),
  unread: z.number().int(),
});
export type RoomView = z.infer<typeof RoomView>;

/**
 * An invitation to a group chat waiting for the user's answer: direct (XEP-0249) or handed on by the
 * room (`mediated`, XEP-0045 §7.8.2). `stranger`: the inviter is not a contact (show the full address).
 * A password it carried stays in the core (`passwordProtected` only says there is one).
 */
export const Invitation = z.object({
  id: z.string(),
  room: z.string(),
  from: z.string(),
  reason: z.string().optional(),
  stranger: z.boolean(),
  mediated: z.boolean(),
  passwordProtected: z.boolean().optional(),
  receivedAt: z.number(),
});
export type Invitation = z.infer<typeof Invitation>;

export const Snapshot = z.object({
  accounts: z.array(AccountView),
  rosters: z.record(z.string(), z.array(Contact)),
  chats: z.record(z.string(), z.record(z.string(), z.array(ChatMessage))),
  secretStorage: SecretStorageStatus,
  /** Set when the settings file could not be read; nothing is saved until it is fixed. */
  storageProblem: z.string().optional(),
  /** The administrator's policy: what is locked and why. */
  policy: PolicyView.optional(),
  /** Subscription requests waiting for an answer, per account (absent or missing account: none). */
  subscriptionRequests: z.record(z.string(), z.array(SubscriptionRequest)).optional(),
  /** Pictures per account and bare JID (the account's own included), as data: URLs of checked images. */
  avatars: z.record(z.string(), z.record(z.string(), z.string())).optional(),
  /** The app-wide settings (language, theme, notifications) and their locks. */
  settings: SettingsView.optional(),
  /** Group chats per account, and their messages (account → room → messages, oldest first). */
  rooms: z.record(z.string(), z.array(RoomView)).optional(),
  roomMessages: z.record(z.string(), z.record(z.string(), z.array(ChatMessage))).optional(),
  /** Invitations to group chats waiting for an answer, per account. */
  invitations: z.record(z.string(), z.array(Invitation)).optional(),
});
export type Snapshot = z.infer<typeof Snapshot>;

/** One message found by `searchHistory`: where it is, and the text around the match (plain text). */
export const SearchHit = z.object({
  accountId: AccountId,
  peer: z.string(),
  id: z.string(),
  direction: z.enum(['in', 'out', 'notice']),
  timestamp: z.number(),
  snippet: z.string(),
  /** [start, end) of the matched words in `snippet`. */
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
});
export type SearchHit = z.infer<typeof SearchHit>;

// ---------------------------------------------------------------------------
// Requests: renderer → main

const Password = z.string().min(1).max(1024);
/** A contact's name in the roster ('' on rename: no name, the address is shown). */
const ContactName = z.string().max(256);
/** Roster groups of one contact (RFC 6121 §2.1.2.4), bounded in count and length. */
const ContactGroups = z.array(z.string().max(256)).max(32);

export const requests = {
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
  sendMessage: {
    request: z.object({ accountId: AccountId, to: BareJid, body: z.string().min(1).max(65536) }).strict(),
    response: ChatMessage,
  },
  markRead: { request: z.object({ accountId: AccountId, peer: BareJid }).strict(), response: z.object({}) },
  /** Sends a message that failed again, with the same id (the receiver de-duplicates). */
  resendMessage: {
    request: z.object({ accountId: AccountId, peer: BareJid, id: z.string().min(1).max(256) }).strict(),
    response: ChatMessage,
  },
  /** Start (or refresh) a private conversation, with `scheme` or the preferred one (OTR: sends a query). */
  startPrivate: { request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme.optional() }).strict(), response: z.object({}) },
  /** End the private conversation: the peer is told, messages go in plaintext again (where the policy allows). */
  endPrivate: { request: z.object({ accountId: AccountId, peer: BareJid }).strict(), response: z.object({}) },
  // ---- OTR only: authenticating with the Socialist Millionaires' Protocol (SMP) ----
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
  // ---- Keys and trust, of any scheme: a key is named by its scheme and its fingerprint ----
  /** Accept the contact's new key (`keyWarning`): what waited is sent now. */
  acceptKey: { request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme, key: z.string().max(128) }).strict(), response: z.object({}) },
  /** Mark a contact's key verified by hand (fingerprints compared) or not verified. */
  setTrust: {
    request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme, key: z.string().max(128), verified: z.boolean() }).strict(),
    response: z.object({}),
  },
  /**
   * Verify OMEMO devices of `peer` named by an `xmpp:` URI (XmppLinkEvent.omemoDevices): each by its id and
   * fingerprint together. `unmatched`: devices for which no device with that id and key is known.
   */
  verifyOmemoDevices: {
    request: z
      .object({
        accountId: AccountId,
        peer: BareJid,
        devices: z.array(z.object({ deviceId: z.number().int().min(1).max(2 ** 31 - 1), fingerprint: z.string().max(128) })).min(1).max(16),
      })
      .strict(),
    response: z.object({ verified: z.number().int(), unmatched: z.number().int() }),
  },
  /** Forget a contact's key (its trust with it). */
  forgetKey: {
    request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme, key: z.string().max(128) }).strict(),
    response: z.object({}),
  },
  /** Every known key: the accounts' own and their contacts', with trust. */
  listTrust: {
    request: z.object({}).strict(),
    response: z.object({
      own: z.array(
        z.object({
          accountId: AccountId,
          jid: z.string(),
          fingerprint: z.string(),
          stored: z.boolean(),
          /** Absent: OTR's key. OMEMO: this device's key, one per version (`label` names it). */
          scheme: E2eeScheme.optional(),
          label: z.string().max(64).optional(),
          /** OMEMO: this device as the `xmpp:` URI other clients scan (Conversations' omemo-sid form), for a QR code. */
          uri: z.string().max(4096).optional(),
        }),
      ),
      contacts: z.array(
        z.object({
          accountId: AccountId,
          peer: z.string(),
          /** The key's scheme: trust requests name it with the fingerprint. */
          scheme: E2eeScheme,
          fingerprint: z.string(),
          trust: TrustLevel,
          firstSeen: z.number(),
          lastUsed: z.number().optional(),
          /** The key of the private conversation open now. */
          inUse: z.boolean(),
          /**
           * Schemes that trust per device (OMEMO): the device with this key (`peer` the account's own JID: another
           * device of ours), its version as `label`, and its state (inactive: no longer on the device list).
           */
          device: z
            .object({
              id: z.string().max(32),
              label: z.string().max(64),
              state: z.enum(['verified', 'trusted-blindly', 'held', 'inactive']),
              /** The name the device gave itself (omemo:2 device list label): untrusted text, sanitised by the core, shown as text. */
              name: z.string().max(64).optional(),
            })
            .optional(),
        }),
      ),
    }),
  },
  /**
   * Import keys, instance tags and trust from a libotr client's folder (Pidgin: ~/.purple), which main
   * asks the user to choose. `replaceKeys`: replace keys Klatsch already made (else 'already-exists').
   */
  importLibotr: {
    request: z.object({ replaceKeys: z.boolean().optional() }).strict(),
    response: z.object({
      cancelled: z.boolean(),
      accounts: z.array(z.object({ jid: z.string(), fingerprint: z.string() })),
      fingerprints: z.number().int(),
    }),
  },
  /** Write the keys, instance tags and trust as libotr files into a folder main asks the user to choose. */
  exportLibotr: { request: z.object({}).strict(), response: z.object({ cancelled: z.boolean(), folder: z.string().optional() }) },
  /** The encryption scheme for one contact; `scheme` absent: automatic again. Refused while the policy names one scheme. */
  setE2eeScheme: {
    request: z.object({ accountId: AccountId, peer: BareJid, scheme: E2eeScheme.optional() }).strict(),
    response: z.object({}),
  },
  /** The OTR policy for one contact; `policy` absent: back to the account's default. */
  setOtrPolicy: {
    request: z.object({ accountId: AccountId, peer: BareJid, policy: OtrPolicy.optional() }).strict(),
    response: z.object({}),
  },
  /** Whether this contact's private messages are kept in the local history (off by default; off also deletes them). */
  setKeepPrivateHistory: {
    request: z.object({ accountId: AccountId, peer: BareJid, keep: z.boolean() }).strict(),
    response: z.object({}),
  },
  /** Put the address into the roster (with a name and groups) and ask to see the contact's presence. */
  addContact: {
    request: z.object({ accountId: AccountId, jid: BareJid, name: ContactName.optional(), groups: ContactGroups.optional() }).strict(),
    response: z.object({}),
  },
  /** Remove from the roster; the server cancels the presence subscriptions both ways. */
  removeContact: { request: z.object({ accountId: AccountId, jid: BareJid }).strict(), response: z.object({}) },
  /** Set the contact's name in the roster ('' removes it). */
  renameContact: { request: z.object({ accountId: AccountId, jid: BareJid, name: ContactName }).strict(), response: z.object({}) },
  /** Set the contact's roster groups (an empty list: no group). */
  setContactGroups: {
    request: z.object({ accountId: AccountId, jid: BareJid, groups: ContactGroups }).strict(),
    response: z.object({}),
  },
  /** Let the requester see our presence (and ask to see theirs, if we do not yet). */
  approveSubscription: { request: z.object({ accountId: AccountId, jid: BareJid }).strict(), response: z.object({}) },
  /** Refuse a subscription request. */
  denySubscription: { request: z.object({ accountId: AccountId, jid: BareJid }).strict(), response: z.object({}) },
  /** Set our picture (XEP-0084): base64 of a PNG, JPEG, GIF or WebP of at most 128 KiB; absent: remove it. */
  setAvatar: {
    request: z.object({ accountId: AccountId, image: z.string().min(4).max(174_764).regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64').optional() }).strict(),
    response: z.object({}),
  },
  /** What the user is doing in the chat with `peer` (XEP-0085); only changes go out, never while private. */
  setChatState: {
    request: z.object({ accountId: AccountId, peer: BareJid, state: z.enum(['active', 'composing', 'paused', 'inactive']) }).strict(),
    response: z.object({}),
  },
  /** Correct our last sent plaintext message (XEP-0308); not in a private conversation. */
  correctMessage: {
    request: z.object({ accountId: AccountId, peer: BareJid, id: z.string().min(1).max(256), body: z.string().min(1).max(65536) }).strict(),
    response: ChatMessage,
  },

  // --- accounts-search: history search and links (own block) ---
  /**
   * The stored history's messages containing every word of `query` (case and accents ignored), newest
   * first, at most `limit`; in one account or all. Private messages only where the user keeps them.
   */
  searchHistory: {
    request: z.object({ query: z.string().min(1).max(256), accountId: AccountId.optional(), limit: z.number().int().min(1).max(200).optional() }).strict(),
    response: z.object({
      hits: z.array(SearchHit),
      more: z.boolean(),
      /** Chats with private messages that were not kept (so cannot be searched), and how many: the panel says so. */
      unkept: z.array(z.object({ accountId: AccountId, peer: z.string(), count: z.number().int().min(1) })).optional(),
    }),
  },
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
  // Group chats (XEP-0045): not end-to-end encrypted; refused when the administrator requires OTR for everything.
  /**
   * Enter a room (created if it does not exist, as an instant room). `room`: its address, or only a name,
   * which is looked for on the account's server's group chat service.
   */
  joinRoom: {
    request: z
      .object({
        accountId: AccountId,
        room: z.string().min(1).max(3071).regex(/^[^/\s]+$/, 'expected a room name or address like team@conference.example.com'),
        nick: z.string().min(1).max(64),
        password: z.string().min(1).max(1024).optional(),
      })
      .strict(),
    response: RoomView,
  },
  /** Leave the room and forget it (not rejoined any more); its history stays. */
  leaveRoom: { request: z.object({ accountId: AccountId, room: BareJid }).strict(), response: z.object({}) },
  /** Say something in the room (everyone in it, and the server, can read it). */
  sendRoomMessage: {
    request: z.object({ accountId: AccountId, room: BareJid, body: z.string().min(1).max(65536) }).strict(),
    response: ChatMessage,
  },
  /** Change the room's subject (the room decides who may). */
  setRoomSubject: {
    request: z.object({ accountId: AccountId, room: BareJid, subject: z.string().max(1024) }).strict(),
    response: z.object({}),
  },
  /** The user read the room's messages. */
  markRoomRead: { request: z.object({ accountId: AccountId, room: BareJid }).strict(), response: z.object({}) },
  /** The public rooms of the account's server's group chat service (XEP-0030 disco#items). */
  listRooms: {
    request: z.object({ accountId: AccountId }).strict(),
    response: z.object({ service: z.string().optional(), rooms: z.array(z.object({ jid: z.string(), name: z.string().optional() })) }),
  },
  /**
   * Invite a contact to a room we are in: directly (XEP-0249, the default; carries the room's password
   * when it has one) or through the room (`via: 'room'`, XEP-0045 mediated; members-only rooms need it).
   */
  inviteToRoom: {
    request: z
      .object({ accountId: AccountId, room: BareJid, contact: BareJid, reason: z.string().max(1024).optional(), via: z.enum(['direct', 'room']).optional() })
      .strict(),
    response: z.object({}),
  },
  /** Accept an invitation: enter its room with this nickname (and the password it carried). */
  acceptInvitation: {
    request: z.object({ accountId: AccountId, id: z.string().min(1).max(64), nick: z.string().min(1).max(64) }).strict(),
    response: RoomView,
  },
  /** Decline an invitation (a mediated one: the inviter is told, through the room). */
  declineInvitation: { request: z.object({ accountId: AccountId, id: z.string().min(1).max(64) }).strict(), response: z.object({}) },
  // --- Message archive (XEP-0313) ---
  /** Fetch the page of the chat's history before its oldest message from the server's archive (plaintext only). */
  loadOlderMessages: {
    request: z.object({ accountId: AccountId, peer: BareJid }).strict(),
    /** `added`: messages that are new here; `complete`: the archive holds nothing older. */
    response: z.object({ added: z.number().int().min(0), complete: z.boolean() }),
  },
} as const;

export type RequestName = keyof typeof requests;
export type RequestOf<K extends RequestName> = z.input<(typeof requests)[K]['request']>;
export type ResponseOf<K extends RequestName> = z.infer<(typeof requests)[K]['response']>;
export const requestNames = Object.keys(requests) as RequestName[];

// ---------------------------------------------------------------------------
// Events: main → renderer

export const events = {
  accountUpdated: AccountView,
  accountRemoved: z.object({ accountId: AccountId }),
  rosterReplaced: z.object({ accountId: AccountId, contacts: z.array(Contact) }),
  contactUpdated: z.object({ accountId: AccountId, contact: Contact }),
  /** A new message, or a new state of one already sent (same id): upsert. */
  messageUpserted: z.object({ accountId: AccountId, message: ChatMessage }),
  /** The user opened an `xmpp:` link (RFC 5122) with Klatsch. */
  xmppLinkOpened: XmppLinkEvent,
  /** Some key's trust changed, or a key was seen or forgotten: a trust list on screen should be fetched again. */
  trustChanged: z.object({ accountId: AccountId }),
  /** The account's waiting subscription requests, all of them, after any change. */
  subscriptionRequestsChanged: z.object({ accountId: AccountId, requests: z.array(SubscriptionRequest) }),
  /** A contact's (or the account's own) picture changed; `avatar` absent: none any more. */
  avatarChanged: z.object({ accountId: AccountId, jid: z.string(), avatar: z.string().optional() }),
  /** The app-wide settings changed (here, or by the tray). */
  settingsChanged: SettingsView,
  /** The user clicked a notification: show this chat. */
  chatOpenRequested: ChatRef,
  /** A group chat's state, occupants or subject changed (the whole room). */
  roomUpdated: z.object({ accountId: AccountId, room: RoomView }),
  /** The user left a room: it is gone from the list. */
  roomRemoved: z.object({ accountId: AccountId, room: z.string() }),
  /** A group chat message, new or in a new state (same id): upsert. `message.peer` is the room. */
  roomMessageUpserted: z.object({ accountId: AccountId, message: ChatMessage }),
  /** The account's invitations to group chats waiting for an answer, all of them, after any change. */
  invitationsChanged: z.object({ accountId: AccountId, invitations: z.array(Invitation) }),
  /** The administrator's policy changed while the app runs: it applies now; `changed` names the keys whose value changed. */
  policyChanged: z.object({ policy: PolicyView, changed: z.array(z.string().max(64)).max(64) }),
} as const;

export type EventName = keyof typeof events;
export type EventOf<K extends EventName> = z.infer<(typeof events)[K]>;
export const eventNames = Object.keys(events) as EventName[];

// ---------------------------------------------------------------------------
// What the preload (or the development bridge) puts on `window.klatsch`.

export type KlatschApi = {
  [K in RequestName]: (payload: RequestOf<K>) => Promise<Result<ResponseOf<K>>>;
} & {
  on: { [E in EventName]: (listener: (payload: EventOf<E>) => void) => () => void };
};

/** Channel names used on Electron's IPC. */
export const requestChannel = (name: RequestName): string => `klatsch:request:${name}`;
export const eventChannel = (name: EventName): string => `klatsch:event:${name}`;
