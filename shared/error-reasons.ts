/**
 * What exactly went wrong, beyond the error's code: the core throws a reason with its parameters
 * (electron/core/errors.ts), the renderer words it (renderer/i18n/errors.ts, `errors.reasons`). Each reason
 * names its parameters in the order the catalog's text function takes them. The core's English `message`
 * stays the detail for logs, and the text shown for a reason this renderer does not know.
 */
export const ERROR_REASONS = {
  // accounts
  'account-exists': [],
  'account-not-saved': ['detail'],
  'password-needed': [],
  'settings-not-saved': ['detail'],
  'no-such-account': [],
  'certificate-not-presented': [],
  // requests to the server
  'no-answer': [],
  'lost-before-answer': [],
  'lost-nothing-sent': [],
  // contacts
  'own-address': [],
  'contacts-offline': [],
  'not-a-contact': [],
  'name-too-long': ['max'],
  'group-name-too-long': ['max'],
  'too-many-groups': ['max'],
  'contact-change-refused': ['condition'],
  'avatar-invalid': [],
  'avatar-offline': [],
  'avatar-refused': ['condition'],
  // rooms
  'nick-invalid': [],
  'room-address-invalid': [],
  'room-already-in': [],
  'room-already-entering': [],
  'too-many-rooms': ['max'],
  'room-no-answer': [],
  'rooms-offline': [],
  'room-not-in': [],
  'room-not-in-not-sent': [],
  'invitee-invalid': [],
  'no-room-service': [],
  'invitation-gone': [],
  // why entering a room failed (`said`: the room's own words, may be empty), or why the room no longer has us
  'room-nick-taken': ['nick'],
  'room-password': ['said'],
  'room-banned': ['said'],
  'room-members-only': ['said'],
  'room-unavailable': ['said'],
  'room-not-found': ['said'],
  'room-create-refused': ['said'],
  'room-nick-refused': ['said'],
  'room-refused': ['condition', 'said'],
  'room-server-not-found': ['domain'],
  'room-server-timeout': ['domain'],
  'room-destroyed': ['said'],
  'room-banned-now': ['said'],
  'room-kicked': ['said'],
  'room-membership-ended': ['said'],
  'room-service-shutdown': [],
  'room-left': [],
  'room-policy-refused': [],
  'room-plaintext-refused': [],
  'room-left-here': [],
  'room-left-elsewhere': [],
  'room-entering-lost': [],
  'closing': [],
  // chat
  'invalid-address': [],
  'offline-not-sent': [],
  'offline-correction-not-sent': [],
  'no-failed-message': [],
  'correction-not-found': [],
  'correction-private': [],
  // why a message was not sent (ChatMessage.error)
  'not-delivered': ['problem'],
  'not-prepared': [],
  'interrupted': [],
  'room-send-failed': [],
  'room-e2ee-unavailable': [],
  'room-not-encrypted': [],
  'room-no-devices': ['who'],
  // … and why one waits: for a private conversation with `peer`, at most `hours` after it was written
  'private-waiting': ['peer', 'hours'],
  // why a message was not sent in or for a private conversation (`peer`: the contact's address)
  'private-wait-expired': ['peer', 'hours'],
  'private-too-long': [],
  'private-not-encrypted': [],
  'private-ended-by-peer': ['peer'],
  'private-ended': [],
  'private-closed': [],
  'private-not-started': [],
  'private-queue-full': [],
  'private-turned-off': [],
  'private-not-available': [],
  'e2ee-not-allowed': [],
  'lost-before-sent': [],
  // archive
  'archive-offline': [],
  'archive-refused': ['condition'],
  'archive-bad-answer': [],
  // e2ee
  'private-offline': [],
  'private-unavailable': [],
  'smp-offline': [],
  'smp-needs-private': [],
  'smp-no-request': [],
  'smp-request-changed': [],
  'key-not-pending': [],
  'not-a-fingerprint': [],
  'not-an-omemo-fingerprint': [],
  'key-not-known': [],
  'unknown-scheme': ['scheme'],
  'otr-unavailable': [],
  'libotr-files-not-written': ['detail'],
  // importing libotr's files: nothing was imported (`file`: a file name; `accounts`, `found`: addresses, comma-separated)
  'libotr-file-missing': ['file', 'folder'],
  'libotr-file-unreadable': ['file'],
  'libotr-file-invalid': ['file'],
  'libotr-no-key': ['accounts', 'found'],
  'libotr-key-conflict': ['accounts'],
  // the OTR keys and trust (otr-store.json): `why` an import's keys cannot be stored (AccountView.otrKey.notStored), keys locked now, a failed save
  'otr-keys-not-importable': ['why'],
  'otr-keys-not-exportable': ['accounts'],
  'otr-store-not-saved': ['detail'],
  // settings and what the administrator locked (`why`: 'set' by the policy read from `source`, or locked safe because it was 'unreadable')
  'otr-policy-locked': ['why', 'source'],
  'history-off': ['why', 'source'],
  'notifications-locked': ['why', 'source'],
  'private-wait-locked': ['why', 'source'],
  'otr-versions-locked': ['why', 'source'],
  'group-chats-off': ['why', 'source'],
  'e2ee-scheme-locked': ['why', 'source'],
  'omemo-trust-locked': ['why', 'source'],
  // the policy read from `source` could not be read completely (`problems`: which keys, the administrator's own names)
  'policy-incomplete': ['source', 'problems'],
  // Klatsch's data on this computer that cannot be read or saved (`store`: a DataStore, `file`: which one)
  'storage-locked': ['store', 'file'],
  'storage-wrong-key': ['store', 'file'],
  'storage-damaged': ['store', 'file'],
  'storage-unreadable': ['store', 'file'],
  'storage-newer': ['store', 'file'],
  'storage-not-moved': ['store', 'file'],
  'storage-not-saved': ['store'],
  'storage-memory-only': ['store'],
  // the desktop
  'link-refused': [],
  'xmpp-link-unreadable': [],
  'links-unavailable': [],
  'folder-unavailable': [],
} as const satisfies Record<string, readonly string[]>;

export type ErrorReason = keyof typeof ERROR_REASONS;

/** Which of Klatsch's stores on this computer a `storage-*` reason is about. */
export const DATA_STORES = ['settings', 'history', 'outbox', 'otr', 'omemo'] as const;
export type DataStore = (typeof DATA_STORES)[number];
export type ErrorParams<R extends ErrorReason> = { [K in (typeof ERROR_REASONS)[R][number]]: string | number };

export function isErrorReason(value: string): value is ErrorReason {
  return Object.hasOwn(ERROR_REASONS, value);
}
