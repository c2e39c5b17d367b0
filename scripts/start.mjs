// `npm start`: runs Klatsch in Electron. Where Electron's binary is missing
// (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1), runs the same core and UI
// through the development host instead and prints the address to open.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
let electronBinary;
try {
  electronBinary = require('electron'); // the path of the binary, when it was downloaded
} catch {
  electronBinary = undefined;
}

const passThrough = process.argv.slice(2);
if (typeof electronBinary === 'string' && existsSync(electronBinary)) {
  const child = spawn(electronBinary, ['.', ...passThrough], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  const profile = path.join(os.homedir(), '.klatsch-dev');
  console.log("Electron's binary is not installed here; starting the development host instead.");
  console.log(`Profile: ${profile}.`);
  const child = spawn(process.execPath, ['--import', 'tsx', 'electron/devhost/main.ts', '--profile', profile, ...passThrough], {
    stdio: 'inherit',
  });
  child.on('exit', (code) => process.exit(code ?? 0));
}
