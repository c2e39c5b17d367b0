/**
 * Puts an account and a long chat history into a fresh profile before the app
 * starts, the way the app itself would have stored them: settings.json with
 * the account (no stored password: the app asks for it), and the encrypted
 * history file written by the app's own HistoryStore with the profile's
 * file-key SecretBox (the development host's). For tests and benchmarks of
 * long chats; thousands of messages take well under a second to write.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { ChatMessage } from '../../shared/contract.js';
import { HistoryStore } from '../../electron/core/store/history-store.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';

export interface SeedAccount {
  id: string;
  jid: string;
  host: string;
  port: number;
}

export async function seedProfile(profileDir: string, account: SeedAccount, chats: Record<string, ChatMessage[]>): Promise<void> {
  const settings = {
    version: 1,
    accounts: [
      {
        id: account.id,
        jid: account.jid,
        host: account.host,
        port: account.port,
        directTls: false,
        rememberPassword: false,
        ownPresence: { show: 'online', status: '' },
      },
    ],
  };
  await fs.writeFile(path.join(profileDir, 'settings.json'), `${JSON.stringify(settings)}\n`, { mode: 0o600 });
  const secretBox = await FileKeySecretBox.open(path.join(profileDir, 'dev-secret.key'));
  const history = await HistoryStore.open(HistoryStore.fileInProfile(profileDir, account.id), secretBox);
  for (const list of Object.values(chats)) for (const message of list) history.put(message);
  await history.close();
}

/**
 * `count` plaintext messages with `peer`, alternating in and out, one a minute up to now
 * (so they span days and show day separators), with texts of varying length (rows of varying height).
 */
export function longChat(peer: string, count: number, now = Date.now()): ChatMessage[] {
  const words = ['lorem', 'ipsum', 'dolor', 'sit', 'amet', 'consectetur', 'adipiscing', 'elit', 'sed', 'do', 'eiusmod', 'tempor'];
  const messages: ChatMessage[] = [];
  for (let i = 0; i < count; i++) {
    const length = 3 + ((i * 7919) % 40);
    const body = `#${i} ${Array.from({ length }, (_, k) => words[(i + k) % words.length]).join(' ')}`;
    const out = i % 2 === 1;
    messages.push({
      id: `seed-${i}`,
      peer,
      direction: out ? 'out' : 'in',
      body,
      timestamp: now - (count - i) * 60_000,
      state: out ? 'delivered' : 'received',
      encrypted: false,
    });
  }
  return messages;
}
