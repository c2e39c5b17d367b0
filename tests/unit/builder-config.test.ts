/**
 * The packaging configuration, checked as electron-builder itself reads it:
 * through its own config loader and JSON-schema validation (app-builder-lib's
 * getConfig and validateConfiguration), then for what IT relies on: targets,
 * signing, notarization, fuses and the icon files in their sizes.
 * Packaging itself needs Electron's binary, which this machine cannot fetch.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FuseV1Options, FuseState, getCurrentFuseWire } from '@electron/fuses';
import type { Configuration } from 'electron-builder';
import { buildConfig } from '../../electron-builder.config.js';
import { afterPack, electronBinary } from '../../packaging/after-pack.js';
import { FUSES, fuseConfig } from '../../packaging/fuses.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);
type ConfigModule = {
  getConfig(projectDir: string, configPath: string | null, fromOptions: Configuration | null): Promise<Configuration>;
  validateConfiguration(config: Configuration, logger: unknown): Promise<void>;
};
// electron-builder's own entry points (app-builder-lib/out/util/config/config.js).
const builder = require('app-builder-lib/out/util/config/config.js') as ConfigModule;
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const validate = (config: Configuration) => builder.validateConfiguration(config, new DebugLogger(false));

const targets = (list: unknown): string[] => (list as ({ target: string } | string)[]).map((t) => (typeof t === 'string' ? t : t.target));

/** Electron's fuse sentinel (the fixed marker @electron/fuses searches the binary for). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

describe('electron-builder accepts the configuration', () => {
  test('loaded by its own loader (as `npm run dist` does) and valid against its schema', async () => {
    const config = await builder.getConfig(root, 'electron-builder.config.ts', null);
    await validate(config);
    assert.equal(config.appId, 'com.klatsch.desktop');
    assert.equal(config.productName, 'Klatsch');
    assert.equal(typeof config.afterPack, 'function');
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.match(pkg.scripts.dist!, /electron-builder --config electron-builder\.config\.ts/);
  });

  test('every signing variant is valid too', async () => {
    for (const env of [
      {},
      { KLATSCH_RELEASE: '1', KLATSCH_WIN_PUBLISHER_NAME: 'Klatsch GmbH', KLATSCH_UPDATE_URL: 'https://updates.example.com/klatsch/' },
      { KLATSCH_AZURE_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net', KLATSCH_AZURE_CODE_SIGNING_ACCOUNT: 'acct', KLATSCH_AZURE_CERTIFICATE_PROFILE: 'prof' },
      { APPLE_API_KEY: '/k.p8', APPLE_API_KEY_ID: 'ID', APPLE_API_ISSUER: 'iss', KLATSCH_WIN_CERT_SHA1: 'ABCDEF' },
    ]) {
      await validate(buildConfig(env));
    }
  });

  test('a wrong option is caught by that validation (the test can fail)', async () => {
    await assert.rejects(validate({ ...buildConfig({}), nsis: { perMachine: 'yes' } as never }), /perMachine/);
  });
});

describe('targets', () => {
  const config = buildConfig({});
  test('Windows: NSIS per user and MSI per machine, silent', () => {
    assert.deepEqual(targets(config.win!.target), ['nsis', 'msi']);
    assert.equal(config.nsis!.perMachine, false);
    assert.equal(config.nsis!.allowElevation, false);
    assert.equal(config.msi!.perMachine, true);
    assert.equal(config.msi!.oneClick, true, 'no dialogs: msiexec /qn');
    assert.match(config.msi!.upgradeCode!, /^[0-9a-f-]{36}$/);
  });
  test('macOS: dmg and zip, hardened runtime with the entitlements file', () => {
    assert.deepEqual(targets(config.mac!.target), ['dmg', 'zip']);
    assert.equal(config.mac!.hardenedRuntime, true);
    const entitlements = readFileSync(path.join(root, config.mac!.entitlements!), 'utf8');
    assert.match(entitlements, /com\.apple\.security\.cs\.allow-jit/);
    for (const relaxed of ['allow-unsigned-executable-memory', 'disable-library-validation', 'allow-dyld-environment-variables', 'get-task-allow']) {
      assert.doesNotMatch(entitlements, new RegExp(relaxed), relaxed);
    }
  });
  test('Linux: AppImage, deb, rpm', () => {
    assert.deepEqual(targets(config.linux!.target), ['AppImage', 'deb', 'rpm']);
  });
  test('xmpp: links are registered', () => {
    assert.deepEqual(config.protocols, [{ name: 'XMPP', schemes: ['xmpp'] }]);
    assert.ok(config.linux!.mimeTypes!.includes('x-scheme-handler/xmpp'));
  });
  test('only our bundles go into the package', () => {
    const files = config.files as string[];
    assert.ok(files.includes('!dist/devhost/**'));
    assert.ok(files.includes('!**/node_modules/**'));
    assert.equal(config.asar, true);
  });
});

describe('signing, notarization, updates', () => {
  test('signtool by default, Azure Trusted Signing when its account is named', () => {
    const plain = buildConfig({ KLATSCH_WIN_PUBLISHER_NAME: 'Klatsch GmbH', KLATSCH_WIN_CERT_SHA1: 'AB12' });
    assert.equal(plain.win!.signtoolOptions!.publisherName, 'Klatsch GmbH');
    assert.deepEqual(plain.win!.signtoolOptions!.signingHashAlgorithms, ['sha256']);
    assert.equal(plain.win!.signtoolOptions!.certificateSha1, 'AB12');
    assert.equal(plain.win!.azureSignOptions, undefined);
    const azure = buildConfig({ KLATSCH_AZURE_SIGNING_ENDPOINT: 'https://weu.codesigning.azure.net', KLATSCH_AZURE_CODE_SIGNING_ACCOUNT: 'a', KLATSCH_AZURE_CERTIFICATE_PROFILE: 'p' });
    assert.deepEqual(
      { endpoint: azure.win!.azureSignOptions!.endpoint, account: azure.win!.azureSignOptions!.codeSigningAccountName, profile: azure.win!.azureSignOptions!.certificateProfileName },
      { endpoint: 'https://weu.codesigning.azure.net', account: 'a', profile: 'p' },
    );
    assert.equal(azure.win!.signtoolOptions, undefined);
  });

  test('a release build must be signed; notarization whenever Apple credentials are there', () => {
    assert.equal(buildConfig({}).forceCodeSigning, false);
    assert.equal(buildConfig({ KLATSCH_RELEASE: '1' }).forceCodeSigning, true);
    assert.equal(buildConfig({}).mac!.notarize, false);
    assert.equal(buildConfig({ APPLE_ID: 'a', APPLE_APP_SPECIFIC_PASSWORD: 'b', APPLE_TEAM_ID: 'c' }).mac!.notarize, true);
    assert.equal(buildConfig({ APPLE_ID: 'a' }).mac!.notarize, false, 'incomplete credentials');
  });

  test('updates check the Windows publisher', () => {
    const config = buildConfig({ KLATSCH_UPDATE_URL: 'https://updates.example.com/k/', KLATSCH_WIN_PUBLISHER_NAME: 'Klatsch GmbH' });
    assert.equal(config.win!.verifyUpdateCodeSignature, true);
    assert.deepEqual(config.publish, [{ provider: 'generic', url: 'https://updates.example.com/k/', publisherName: ['Klatsch GmbH'] }]);
    assert.equal(buildConfig({}).publish, null, 'no update feed named: none');
  });
});

describe('fuses', () => {
  test('every fuse has a decided value, the required ones as the issue says', () => {
    const keys = Object.values(FuseV1Options).filter((v): v is FuseV1Options => typeof v === 'number');
    assert.deepEqual(Object.keys(FUSES).map(Number).sort(), keys.sort());
    assert.equal(FUSES[FuseV1Options.RunAsNode], false);
    assert.equal(FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable], false);
    assert.equal(FUSES[FuseV1Options.EnableNodeCliInspectArguments], false);
    assert.equal(FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation], true);
    assert.equal(FUSES[FuseV1Options.OnlyLoadAppFromAsar], true);
    assert.equal(FUSES[FuseV1Options.EnableCookieEncryption], true);
    assert.equal(fuseConfig('linux', 'x64').strictlyRequireAllFuses, true);
    assert.equal(fuseConfig('darwin', 'arm64').resetAdHocDarwinSignature, true);
  });

  test('the afterPack hook flips the fuse wire of the packaged binary', async () => {
    // A stand-in Electron binary: the sentinel, wire version 1, and one byte per fuse, all still at Electron's defaults.
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-fuses-'));
    dirs.push(dir);
    const count = Object.keys(FUSES).length;
    const defaults = Buffer.from('10111000'.padEnd(count, '1').slice(0, count), 'latin1');
    await fs.writeFile(path.join(dir, 'klatsch'), Buffer.concat([Buffer.from('ELF-ish prefix'), Buffer.from(SENTINEL), Buffer.from([1, count]), defaults, Buffer.from('rest')]));
    const context = { appOutDir: dir, electronPlatformName: 'linux', arch: 1, packager: { appInfo: { productFilename: 'Klatsch' }, executableName: 'klatsch' } };
    await afterPack(context as never);
    const wire = await getCurrentFuseWire(path.join(dir, 'klatsch'));
    for (const [key, value] of Object.entries(FUSES)) {
      assert.equal(wire[Number(key) as FuseV1Options], value ? FuseState.ENABLE : FuseState.DISABLE, FuseV1Options[Number(key)]);
    }
  });

  test('the hook finds the binary on every platform', () => {
    const packager = { appInfo: { productFilename: 'Klatsch' }, executableName: 'klatsch' };
    assert.equal(electronBinary({ appOutDir: '/o', electronPlatformName: 'darwin', packager }), '/o/Klatsch.app');
    assert.equal(electronBinary({ appOutDir: '/o', electronPlatformName: 'win32', packager }), '/o/Klatsch.exe');
    assert.equal(electronBinary({ appOutDir: '/o', electronPlatformName: 'linux', packager }), '/o/klatsch');
  });
});

describe('icons', () => {
  const pngSize = (png: Buffer): [number, number] => {
    assert.equal(png.subarray(0, 8).toString('hex'), '89504e470d0a1a0a', 'a PNG');
    return [png.readUInt32BE(16), png.readUInt32BE(20)];
  };

  test('Linux: PNGs 16…1024, each of its size', () => {
    const config = buildConfig({});
    const folder = path.join(root, config.linux!.icon!);
    for (const size of [16, 24, 32, 48, 64, 128, 256, 512, 1024]) {
      assert.deepEqual(pngSize(readFileSync(path.join(folder, `${size}x${size}.png`))), [size, size], `${size}`);
    }
  });

  test('Windows: icon.ico holds 16…256', () => {
    const ico = readFileSync(path.join(root, buildConfig({}).win!.icon!));
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

  test('macOS: icon.icns holds 16…1024 (and the @2x variants)', () => {
    const icns = readFileSync(path.join(root, buildConfig({}).mac!.icon!));
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
