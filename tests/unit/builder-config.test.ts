/**
 * The packaging configuration (electron-builder.yml), checked as electron-builder
 * itself reads it: its command-line parser for the documented `-c.` overrides,
 * its config loader and its JSON-schema validation (electron-builder's
 * Packager.validateConfig does the same steps), then for what IT relies on:
 * targets, signing, notarization, fuses and the icon files in their sizes.
 * Packaging itself needs Electron's binary, which this machine cannot fetch.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FuseV1Options, FuseState, getCurrentFuseWire } from '@electron/fuses';
import type { Configuration } from 'electron-builder';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
type ConfigModule = {
  getConfig(projectDir: string, configPath: string | null, fromOptions: Configuration | null): Promise<Configuration>;
  validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
};
// electron-builder's own entry points: its CLI (electron-builder/out/builder.js) and config
// handling (app-builder-lib/out/util/config/config.js).
const builder = require('app-builder-lib/out/util/config/config.js') as ConfigModule;
const cli = require('electron-builder/out/builder.js') as {
  createYargs(): unknown;
  configureBuildCommand(yargs: unknown): { parse(args: string[]): Record<string, unknown> };
  normalizeOptions(args: Record<string, unknown>): { config?: Configuration | string | null };
};
const { DebugLogger, log } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown; log: { stream: NodeJS.WritableStream } };
// electron-builder logs to stdout, which the test runner reads as its own protocol: its lines go nowhere.
log.stream = new Writable({ write: (_chunk, _encoding, done) => done() });
const yaml = require('js-yaml') as { load(text: string): unknown };
const validate = (config: Configuration) => builder.validateConfiguration(config, new DebugLogger(false));

/** What `electron-builder <args>` ends up building with: its CLI parser, then electron-builder.yml found by default, overrides merged, validated. */
async function configFor(args: string[] = []): Promise<Configuration> {
  const options = cli.normalizeOptions(cli.configureBuildCommand(cli.createYargs()).parse(args));
  assert.notEqual(typeof options.config, 'string', 'no other config file');
  const config = await builder.getConfig(root, null, (options.config as Configuration | undefined) ?? null);
  await validate(config);
  return config;
}

const targets = (list: unknown): string[] => (list as ({ target: string } | string)[]).map((t) => (typeof t === 'string' ? t : t.target));

/** Electron's fuse sentinel (the fixed marker @electron/fuses searches the binary for). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

/** The documented overrides (docs/admin.md, "Build and sign the installers"). */
const AZURE = [
  '-c.win.azureSignOptions.publisherName=Klatsch GmbH',
  '-c.win.azureSignOptions.endpoint=https://weu.codesigning.azure.net',
  '-c.win.azureSignOptions.codeSigningAccountName=acct',
  '-c.win.azureSignOptions.certificateProfileName=prof',
];
const SIGNTOOL = ['-c.win.signtoolOptions.publisherName=Klatsch GmbH', '-c.win.signtoolOptions.certificateSha1=AB12', '-c.win.signtoolOptions.rfc3161TimeStampServer=http://ts.example/'];
const FEED = ['-c.publish.provider=generic', '-c.publish.url=https://updates.example.com/k/'];
const RELEASE = ['-c.forceCodeSigning=true'];

describe('electron-builder accepts the configuration', () => {
  test('electron-builder.yml is what `npm run dist` builds with, and it is valid against the schema', async () => {
    const config = await configFor();
    // Found by electron-builder's default lookup, read as written (the loader only wraps `files` in a file set).
    const written = yaml.load(readFileSync(path.join(root, 'electron-builder.yml'), 'utf8')) as Configuration;
    assert.deepEqual({ ...config, files: null }, { ...written, files: null });
    assert.deepEqual(config.files, [{ filter: written.files }]);
    assert.equal(config.appId, 'com.klatsch.desktop');
    assert.equal(config.productName, 'Klatsch');
    assert.equal(config.afterPack, undefined, 'fuses are electron-builder\'s electronFuses, no hook');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.dist, 'npm run build && electron-builder', 'no --config: electron-builder.yml is the default');
  });

  test('every documented override and their combinations are valid too', async () => {
    for (const args of [[], [...RELEASE, ...SIGNTOOL, ...FEED], [...RELEASE, ...AZURE, ...FEED], AZURE]) {
      await configFor(args);
    }
  });

  test('an unknown option or a wrong value is caught by that validation (the test can fail)', async () => {
    const config = await configFor();
    await assert.rejects(validate({ ...config, nsis: { ...config.nsis, perMachine: 'yes' } as never }), /perMachine/);
    await assert.rejects(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNodeX: false } as never }), /configuration\.electronFuses/);
    await assert.rejects(validate({ ...config, notarise: true } as never), /notarise/);
    await assert.rejects(configFor(['-c.win.signtoolOptions.signingHashAlgorithm=sha256']), /configuration\.win\.signtoolOptions/);
  });
});

describe('targets', () => {
  test('Windows: NSIS per user and MSI per machine, silent', async () => {
    const config = await configFor();
    assert.deepEqual(targets(config.win!.target), ['nsis', 'msi']);
    assert.equal(config.nsis!.perMachine, false);
    assert.equal(config.nsis!.allowElevation, false);
    assert.equal(config.msi!.perMachine, true);
    assert.equal(config.msi!.oneClick, true, 'no dialogs: msiexec /qn');
    assert.match(config.msi!.upgradeCode!, /^[0-9a-f-]{36}$/);
  });
  test('macOS: dmg and zip, hardened runtime with the entitlements file', async () => {
    const config = await configFor();
    assert.deepEqual(targets(config.mac!.target), ['dmg', 'zip']);
    assert.equal(config.mac!.hardenedRuntime, true);
    const entitlements = readFileSync(path.join(root, config.mac!.entitlements!), 'utf8');
    assert.match(entitlements, /com\.apple\.security\.cs\.allow-jit/);
    for (const relaxed of ['allow-unsigned-executable-memory', 'disable-library-validation', 'allow-dyld-environment-variables', 'get-task-allow']) {
      assert.doesNotMatch(entitlements, new RegExp(relaxed), relaxed);
    }
  });
  test('Linux: AppImage, deb, rpm', async () => {
    assert.deepEqual(targets((await configFor()).linux!.target), ['AppImage', 'deb', 'rpm']);
  });
  test('xmpp: links are registered', async () => {
    const config = await configFor();
    assert.deepEqual(config.protocols, [{ name: 'XMPP', schemes: ['xmpp'] }]);
    assert.ok(config.linux!.mimeTypes!.includes('x-scheme-handler/xmpp'), 'Linux handler');
  });
  test('only our bundles go into the package; the SMP worker stays outside app.asar', async () => {
    const config = await configFor();
    const files = (config.files as { filter: string[] }[])[0]!.filter;
    assert.ok(files.includes('!dist/devhost/**'), 'no development host');
    assert.ok(files.includes('!**/node_modules/**'), 'no node_modules');
    assert.equal(config.asar, true);
    // electron/core/otr/smp-worker-client.ts starts the worker from this file, which a worker thread cannot read inside app.asar.
    assert.deepEqual(config.asarUnpack, ['dist/electron/smp-worker.cjs']);
  });
});

describe('signing, notarization, updates', () => {
  test('signtool by default (SHA-256, timestamped); its publisher, certificate and timestamp server from the command line', async () => {
    const plain = await configFor();
    assert.deepEqual(plain.win!.signtoolOptions, { publisherName: 'Klatsch', signingHashAlgorithms: ['sha256'], rfc3161TimeStampServer: 'http://timestamp.digicert.com' });
    assert.equal(plain.win!.azureSignOptions, undefined);
    const named = await configFor(SIGNTOOL);
    assert.deepEqual(named.win!.signtoolOptions, { publisherName: 'Klatsch GmbH', signingHashAlgorithms: ['sha256'], rfc3161TimeStampServer: 'http://ts.example/', certificateSha1: 'AB12' });
    assert.equal(named.win!.azureSignOptions, undefined);
  });

  test('Azure Trusted Signing when its account is named (electron-builder then signs with Azure only)', async () => {
    const azure = await configFor(AZURE);
    assert.deepEqual(azure.win!.azureSignOptions, {
      publisherName: 'Klatsch GmbH',
      endpoint: 'https://weu.codesigning.azure.net',
      codeSigningAccountName: 'acct',
      certificateProfileName: 'prof',
    });
  });

  test('a release build must be signed', async () => {
    assert.equal((await configFor()).forceCodeSigning, false);
    // The command line gives the string "true"; the schema validation makes it the boolean electron-builder checks.
    assert.equal((await configFor(RELEASE)).forceCodeSigning, true);
  });

  test('notarization whenever Apple credentials are there (electron-builder reads them), a clear error when incomplete', async () => {
    assert.equal((await configFor()).mac!.notarize, true);
    const { MacTargetHelper } = require('app-builder-lib/out/mac/MacTargetHelper.js') as { MacTargetHelper: { getNotarizeOptions(appPath: string): Record<string, string> | undefined } };
    const names = ['APPLE_ID', 'APPLE_APP_SPECIFIC_PASSWORD', 'APPLE_TEAM_ID', 'APPLE_API_KEY', 'APPLE_API_KEY_ID', 'APPLE_API_ISSUER', 'APPLE_KEYCHAIN', 'APPLE_KEYCHAIN_PROFILE'];
    const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
    const withEnv = (env: Record<string, string>) => {
      for (const n of names) delete process.env[n];
      Object.assign(process.env, env);
      try {
        return MacTargetHelper.getNotarizeOptions('/o/Klatsch.app');
      } finally {
        for (const n of names) {
          if (saved[n] === undefined) delete process.env[n];
          else process.env[n] = saved[n];
        }
      }
    };
    assert.equal(withEnv({}), undefined, 'no credentials: skipped');
    assert.equal(withEnv({ APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: 'b', APPLE_TEAM_ID: 'c' })!.appleId, 'a');
    assert.equal(withEnv({ APPLE_API_KEY: '/k.p8', APPLE_API_KEY_ID: 'ID', APPLE_API_ISSUER: 'iss' })!.appleApiKeyId, 'ID');
    assert.throws(() => withEnv({ APPLE_ID: 'a' }), /APPLE_APP_SPECIFIC_PASSWORD/, 'incomplete credentials');
  });

  test('updates check the Windows publisher; no update feed unless one is named', async () => {
    const plain = await configFor();
    assert.equal(plain.publish, null, 'no update feed named: none');
    const config = await configFor([...FEED, ...SIGNTOOL]);
    assert.equal(config.win!.verifyUpdateCodeSignature, true);
    assert.deepEqual(config.publish, { provider: 'generic', url: 'https://updates.example.com/k/' });
    // electron-builder copies this publisher into app-update.yml (verifyUpdateCodeSignature), which electron/app/updates.ts requires.
    assert.equal(config.win!.signtoolOptions!.publisherName, 'Klatsch GmbH');
  });
});

/** electronFuses' key for a fuse: FuseV1Options.RunAsNode → runAsNode. */
const fuseKey = (name: string) => name[0]!.toLowerCase() + name.slice(1);
/** Fuses electron-builder 26.17 cannot set, left at Electron's default on purpose (electron-builder.yml says why). */
const LEFT_AT_DEFAULT: Record<string, boolean> = { WasmTrapHandlers: true };
const fuseNames = Object.keys(FuseV1Options).filter((k) => Number.isNaN(Number(k)));

describe('fuses', () => {
  test('every fuse has a decided value, the required ones as the issue says', async () => {
    const fuses = (await configFor()).electronFuses! as Record<string, boolean>;
    const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8')) as { definitions: { FuseOptionsV1: { properties: Record<string, unknown> } } };
    const settable = Object.keys(schema.definitions.FuseOptionsV1.properties);
    for (const name of fuseNames) {
      if (name in LEFT_AT_DEFAULT) {
        // When electron-builder learns this fuse, decide it in electron-builder.yml.
        assert.equal(settable.includes(fuseKey(name)), false, `${name}: electron-builder can set it now`);
      } else {
        assert.equal(typeof fuses[fuseKey(name)], 'boolean', `${name} is decided in electron-builder.yml`);
      }
    }
    assert.equal(fuses.runAsNode, false);
    assert.equal(fuses.enableNodeOptionsEnvironmentVariable, false);
    assert.equal(fuses.enableNodeCliInspectArguments, false);
    assert.equal(fuses.enableEmbeddedAsarIntegrityValidation, true);
    assert.equal(fuses.onlyLoadAppFromAsar, true);
    assert.equal(fuses.enableCookieEncryption, true);
    assert.equal(fuses.loadBrowserProcessSpecificV8Snapshot, false);
    assert.equal(fuses.grantFileProtocolExtraPrivileges, false);
    assert.equal(fuses.resetAdHocDarwinSignature, true);
  });

  test('electron-builder flips the fuse wire of the packaged binary as electron-builder.yml says', async () => {
    // A stand-in Electron binary: the sentinel, wire version 1, and one byte per fuse, all still at Electron's defaults.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-fuses-'));
    dirs.push(dir);
    const count = fuseNames.length;
    const defaults = Buffer.from('10111000'.padEnd(count, '1').slice(0, count), 'latin1');
    await fs.writeFile(path.join(dir, 'klatsch'), Buffer.concat([Buffer.from('ELF-ish prefix'), Buffer.from(SENTINEL), Buffer.from([1, count]), defaults, Buffer.from('rest')]));
    const config = await configFor();
    // electron-builder's own step after packing (PlatformPackager.doAddElectronFuses), run for a Linux packager.
    const { LinuxPackager, PlatformPackager } = require('app-builder-lib') as { LinuxPackager: { prototype: object }; PlatformPackager: { prototype: { doAddElectronFuses(context: unknown): Promise<unknown> } } };
    const packager = Object.create(LinuxPackager.prototype, { config: { value: config }, executableName: { value: 'klatsch' } }) as object;
    await PlatformPackager.prototype.doAddElectronFuses.call(packager, { appOutDir: dir, electronPlatformName: 'linux', arch: 1, packager });
    const wire = await getCurrentFuseWire(path.join(dir, 'klatsch'));
    const fuses = config.electronFuses as Record<string, boolean>;
    for (const name of fuseNames) {
      const expected = name in LEFT_AT_DEFAULT ? LEFT_AT_DEFAULT[name] : fuses[fuseKey(name)];
      assert.equal(wire[FuseV1Options[name as keyof typeof FuseV1Options]], expected ? FuseState.ENABLE : FuseState.DISABLE, name);
    }
  });
});

describe('icons', () => {
  const pngSize = (png: Buffer): [number, number] => {
    assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  };

  test('Linux: PNGs 16…1024, each of its size', async () => {
    const config = await configFor();
    const folder = path.join(root, config.linux!.icon!);
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      assert.deepEqual(pngSize(readFileSync(path.join(folder, `${size}x${size}.png`))), [size, size], `${size}`);
    }
  });

  test('Windows: icon.ico holds 16…256', async () => {
    const ico = readFileSync(path.join(root, (await configFor()).win!.icon!));
    assert.equal(ico.readUInt16LE(2), 1, 'an icon');
    const sizes = [];
    for (let i = 0; i < ico.readUInt16LE(4); i++) {
      const entry = 6 + 16 * i;
      const [w, h] = pngSize(ico.subarray(ico.readUInt32LE(entry + 12), ico.readUInt32LE(entry + 12) + ico.readUInt32LE(entry + 8)));
      assert.equal(w, ico[entry] || 256);
      sizes.push(w === h ? w : -1);
    }
    assert.deepEqual(sizes, [16, 24, 32, 48, 64, 128, 256]);
  });

  test('macOS: icon.icns holds 16…1024 (and the @2x variants)', async () => {
    const icns = readFileSync(path.join(root, (await configFor()).mac!.icon!));
    assert.equal(icns.subarray(0, 4).toString('latin1'), 'icns');
    assert.equal(icns.readUInt32BE(4), icns.length);
    const found: Record<string, number> = {};
    for (let at = 8; at < icns.length; ) {
      const type = icns.subarray(at, at + 4).toString('latin1');
      const length = icns.readUInt32BE(at + 4);
      found[type] = pngSize(icns.subarray(at + 8, at + length))[0];
      at += length;
    }
    assert.deepEqual(found, { icp4: 16, icp5: 32, icp6: 64, ic07: 128, ic08: 256, ic09: 512, ic10: 1024, ic11: 32, ic12: 64, ic13: 256, ic14: 512 });
  });
});
