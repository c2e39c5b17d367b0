/**
 * What of Klatsch's data on this computer cannot be read or saved, as a reason (shared/error-reasons.ts,
 * `storage-*`) for the renderer to word; the English beside it is for logs only.
 */
import type { WordedReason } from '../../../shared/contract.js';
import type { DataStore, ErrorReason } from '../../../shared/error-reasons.js';
import { DatabaseKeyProblem } from '../db/keys.js';
import { NewerDatabase } from '../db/migrations.js';
import { DatabaseDamaged } from '../db/open.js';
import type { FileDamage } from './encrypted-file-store.js';

export type StorageReason = Extract<ErrorReason, `storage-${string}`>;

export function storageProblem(reason: StorageReason, store: DataStore, file: string | undefined, text: string): WordedReason {
  return { reason, params: file === undefined ? { store } : { store, file }, text };
}

/** Why a database could not be opened, by reason. */
export function databaseReason(error: unknown): StorageReason {
  if (error instanceof NewerDatabase) return 'storage-newer';
  if (error instanceof DatabaseDamaged) return 'storage-damaged';
  if (error instanceof DatabaseKeyProblem) return error.kind === 'wrong-key' ? 'storage-wrong-key' : error.kind === 'unreadable' ? 'storage-unreadable' : 'storage-damaged';
  return 'storage-unreadable';
}

/** Why an encrypted file (EncryptedFileStore) could not be read, by reason. */
export function damageReason(damage: FileDamage): StorageReason {
  switch (damage.kind) {
    case 'unreadable':
      return 'storage-unreadable';
    case 'locked':
      return 'storage-locked';
    case 'wrong-key':
      return 'storage-wrong-key';
    default:
      return 'storage-damaged';
  }
}
