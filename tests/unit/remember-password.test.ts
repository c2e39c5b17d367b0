// Why a password cannot be remembered is said in the user's language: the core gives a code
// (SecretStorageStatus.why) beside its English, and no English reaches a German screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SecretStorageStatus } from '../../shared/contract.js';
import { catalogFor } from '../../shared/i18n/catalog.js';
import { SafeStorageSecretBox } from '../../electron/core/store/secret-box.js';
import { noSecretStorageText } from '../../renderer/i18n/errors.js';

/** What the "remember password" field says under it (RememberPasswordField). */
function shown(language: 'en' | 'de', secretStorage: SecretStorageStatus): string {
  return noSecretStorageText(catalogFor(language), secretStorage);
}

test('no keyring on Linux: the reason is worded in German, without the core’s English', () => {
  const box = new SafeStorageSecretBox({ isEncryptionAvailable: () => true, encryptString: () => Buffer.alloc(0), decryptString: () => '', getSelectedStorageBackend: () => 'basic_text' }, 'linux');
  const german = shown('de', box.status());
  assert.match(german, /Schlüsselbund/);
  assert.doesNotMatch(german, /keyring is running|Klatsch will ask/);
  assert.match(shown('en', box.status()), /^No keyring \(such as GNOME Keyring or KWallet\) is running.*You will be asked for the password at every start\.$/);
});

test('no secure storage at all: said once, in the user’s language', () => {
  const box = new SafeStorageSecretBox({ isEncryptionAvailable: () => false, encryptString: () => Buffer.alloc(0), decryptString: () => '' }, 'win32');
  assert.equal(shown('de', box.status()), 'Dieses System bietet keinen sicheren Speicher für Passwörter. Sie werden bei jedem Start nach dem Passwort gefragt.');
  assert.equal(shown('en', box.status()), 'This system offers no secure storage for passwords. You will be asked for the password at every start.');
});
