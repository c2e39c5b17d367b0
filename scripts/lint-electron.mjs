// Runs @doyensec/electronegativity over the code that runs in Electron (main,
// preload, the renderer and its page) and fails on any HIGH or MEDIUM finding
// that security/electronegativity-explained.json does not explain, and on an
// explanation that no longer matches a finding (so the file stays true).
// Findings are matched by check, file and code sample, not by line number.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { judge } from './electronegativity-judge.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const explainedFile = path.join(root, 'security', 'electronegativity-explained.json');
const electronVersion = JSON.parse(await readFile(path.join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;

// One folder with everything, so that the global checks (navigation limits, permission handler, CSP) see it all at once.
const work = await mkdtemp(path.join(os.tmpdir(), 'klatsch-electronegativity-'));
try {
  await cp(path.join(root, 'electron'), path.join(work, 'electron'), { recursive: true, filter: (src) => !src.includes(`${path.sep}devhost`) });
  await cp(path.join(root, 'renderer'), path.join(work, 'renderer'), { recursive: true, filter: (src) => !src.endsWith('dev-bridge.ts') });
  const csv = path.join(work, 'findings.csv');
  const bin = path.join(root, 'node_modules', '.bin', 'electronegativity');
  // The tool runs on the machine's own Node, not the scripts' Node 24 from node_modules: its old `got`
  // crashes Node 24 (an uncaught p-cancelable error) when its translation download fails offline, as in CI.
  const toolNode = machineNode() ?? process.execPath;
  // Once in a while electronegativity ends without a word and an empty report (it always reports at
  // least the global CSP checks here): that is a failed run of the tool, not a clean code base, so it
  // runs again; whatever the last run finds is judged as usual.
  let findings = [];
  for (let attempt = 1; attempt <= 3 && findings.length === 0; attempt++) {
    if (attempt > 1) console.error(`electronegativity reported nothing at all: running it again (attempt ${attempt})`);
    await rm(csv, { force: true });
    try {
      await promisify(execFile)(toolNode, [bin, '-i', work, '-r', '-v', 'false', '-e', electronVersion, '-o', csv], { cwd: work, timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
    } catch (error) {
      console.error(`electronegativity failed to run: ${error.message}`);
      process.exit(2);
    }
    const report = await readFile(csv, 'utf8').catch(() => '');
    findings = parseCsv(report).map((f) => ({ ...f, file: f.filename.replace(/\\/g, '/') }));
  }
  const explained = JSON.parse(await readFile(explainedFile, 'utf8'));
  const { relevant, unexplained, stale, explanationOf } = judge(findings, explained);
  for (const f of findings) {
    const why = explanationOf(f);
    console.log(`${f.severity.padEnd(13)} ${f.issue} ${f.file}:${f.location}${why ? ` — explained: ${why.why}` : f.severity === 'LOW' || f.severity === 'INFORMATIONAL' ? ' (low)' : ' — UNEXPLAINED'}`);
  }
  for (const f of unexplained) console.error(`unexplained ${f.severity} finding: ${f.issue} in ${f.file}:${f.location}: ${f.sample}`);
  for (const e of stale) console.error(`stale explanation (no such finding any more): ${e.check} in ${e.file}${e.sample ? ` (${e.sample})` : ''}`);
  console.log(`electronegativity: ${findings.length} findings, ${relevant.length} high or medium, ${unexplained.length} unexplained, ${stale.length} stale explanations`);
  if (unexplained.length > 0 || stale.length > 0) process.exit(1);
} finally {
  await rm(work, { recursive: true, force: true });
}

/** The first `node` on PATH that is not the project's own (node_modules/.bin/node). */
function machineNode() {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir || dir.includes(`${path.sep}node_modules${path.sep}`) || dir.endsWith(`${path.sep}node_modules`)) continue;
    const candidate = path.join(dir, process.platform === 'win32' ? 'node.exe' : 'node');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** electronegativity's CSV: a header, then quoted or bare fields separated by commas. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  const endField = () => {
    row.push(field.trim());
    field = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\n') {
      endField();
      rows.push(row);
      row = [];
    } else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) {
    endField();
    rows.push(row);
  }
  const [header = [], ...data] = rows;
  const names = header.map((h) => h.trim());
  return data.filter((r) => r.length >= names.length).map((r) => Object.fromEntries(names.map((n, i) => [n, r[i] ?? ''])));
}
