import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestNames } from '../../shared/contract/index.js';
import { accountRequests } from '../../shared/contract/requests/accounts.js';
import { archiveRequests } from '../../shared/contract/requests/archive.js';
import { chatRequests } from '../../shared/contract/requests/chat.js';
import { contactRequests } from '../../shared/contract/requests/contacts.js';
import { e2eeRequests } from '../../shared/contract/requests/e2ee.js';
import { roomRequests } from '../../shared/contract/requests/rooms.js';
import { settingsRequests } from '../../shared/contract/requests/settings.js';
import { smpRequests } from '../../shared/contract/requests/smp.js';

test('every request of the contract is in exactly one domain group (a spread would silently keep the last of two)', () => {
  const groups = [accountRequests, chatRequests, e2eeRequests, smpRequests, contactRequests, roomRequests, settingsRequests, archiveRequests];
  const grouped = groups.flatMap((group) => Object.keys(group));
  assert.equal(new Set(grouped).size, grouped.length, 'a request name is in two groups');
  assert.deepEqual([...grouped].sort(), [...requestNames].sort());
});
