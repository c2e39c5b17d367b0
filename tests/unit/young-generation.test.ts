import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const MB = 1024 * 1024;

/**
 * In a fresh process (a heap that has not grown yet), with or without keepYoungGenerationSmall():
 * a burst like a large roster's sign-in, many new objects that stay alive for a while, and the
 * young generation's largest size meanwhile (bytes).
 */
async function youngGenerationPeak(keepSmall: boolean): Promise<number> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-young-'));
  const script = path.join(dir, 'burst.mts');
  const moduleUrl = new URL('../../electron/core/young-generation.ts', import.meta.url).href;
  await fs.writeFile(
    script,
    `import v8 from 'node:v8';\n` +
      `import { keepYoungGenerationSmall } from ${JSON.stringify(moduleUrl)};\n` +
      `if (process.argv[2] === 'small') keepYoungGenerationSmall();\n` +
      `const youngSize = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;\n` +
      `const start = youngSize();\n` +
      `let peak = start;\n` +
      `const contacts = [];\n` +
      `const recent = new Array(50000);\n` +
      `for (let i = 0; i < 1500000; i++) {\n` +
      `  const contact = { jid: 'c' + i + '@example.org', name: 'Contact ' + i, groups: ['Team ' + (i % 40)] };\n` +
      `  recent[i % recent.length] = contact;\n` +
      `  if (i % 300 === 0) contacts.push(contact);\n` +
      `  if (i % 1000 === 0) peak = Math.max(peak, youngSize());\n` +
      `}\n` +
      `console.log(JSON.stringify({ start, peak, kept: contacts.length + recent.length }));\n`,
  );
  try {
    const repo = fileURLToPath(new URL('../..', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, keepSmall ? 'small' : 'default'], { cwd: repo, timeout: 60_000 });
    return (JSON.parse(stdout.trim()) as { peak: number }).peak;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

test('the young generation stays at its starting size through a burst of long-lived new objects', async () => {
  const kept = await youngGenerationPeak(true);
  // It starts at 1–2 MB per semi-space (tsx's start grew it to 2); a page or two more while a scavenge runs.
  assert.ok(kept < 16 * MB, `young generation grew to ${(kept / MB).toFixed(1)} MB`);
  // The same burst without it: V8 grows the young generation (what made the main process's RSS 130–146 MB).
  const grown = await youngGenerationPeak(false);
  assert.ok(grown >= 32 * MB, `without keepYoungGenerationSmall() the burst grew the young generation only to ${(grown / MB).toFixed(1)} MB`);
});
