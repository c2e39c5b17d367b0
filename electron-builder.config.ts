/**
 * Packaging for IT: signed installers for Windows (NSIS per user, MSI per
 * machine), macOS (dmg and zip, hardened runtime, notarized) and Linux
 * (AppImage, deb, rpm). Secrets and signing identities come from environment
 * variables only (docs/admin.md lists them); without them the build is
 * unsigned, and with KLATSCH_RELEASE=1 an unsigned build fails.
 *
 * tests/unit/builder-config.test.ts loads this file through
 * electron-builder's own loader and schema validation.
 */
import type { Configuration } from 'electron-builder';
import { afterPack } from './packaging/after-pack.js';

type Env = Record<string, string | undefined>;

/** Azure Trusted Signing when its account is named; otherwise signtool (CSC_LINK/CSC_KEY_PASSWORD, or a certificate in the store). */
function windowsSigning(env: Env, publisherName: string): Pick<NonNullable<Configuration['win']>, 'azureSignOptions' | 'signtoolOptions'> {
  if (env.KLATSCH_AZURE_SIGNING_ENDPOINT) {
    return {
      azureSignOptions: {
        publisherName,
        endpoint: env.KLATSCH_AZURE_SIGNING_ENDPOINT,
        codeSigningAccountName: env.KLATSCH_AZURE_CODE_SIGNING_ACCOUNT ?? '',
        certificateProfileName: env.KLATSCH_AZURE_CERTIFICATE_PROFILE ?? '',
        fileDigest: 'SHA256',
        timestampRfc3161: 'http://timestamp.acs.microsoft.com',
        timestampDigest: 'SHA256',
      },
    };
  }
  return {
      signtoolOptions: {
        publisherName,
        signingHashAlgorithms: ['sha256'],
        rfc3161TimeStampServer: env.KLATSCH_TIMESTAMP_URL ?? 'http://timestamp.digicert.com',
        // A certificate in the Windows store or on a token (CSC_LINK/CSC_KEY_PASSWORD are read by electron-builder itself).
        ...(env.KLATSCH_WIN_CERT_SHA1 ? { certificateSha1: env.KLATSCH_WIN_CERT_SHA1 } : {}),
      },
  };
}

/** Notarization credentials (electron-builder reads them from the environment): an API key, or Apple ID, or a keychain profile. */
function canNotarize(env: Env): boolean {
  return (
    !!(env.APPLE_API_KEY && env.APPLE_API_KEY_ID && env.APPLE_API_ISSUER) ||
    !!(env.APPLE_ID && env.APPLE_APP_SPECIFIC_PASSWORD && env.APPLE_TEAM_ID) ||
    !!env.APPLE_KEYCHAIN_PROFILE
  );
}

/** The configuration for the given environment (the tests pass their own). */
export function buildConfig(env: Env): Configuration {
  const release = env.KLATSCH_RELEASE === '1';
  /** Windows publisher (the certificate's subject CN): electron-updater checks updates against it. */
  const publisherName = env.KLATSCH_WIN_PUBLISHER_NAME ?? 'Klatsch';
  return {
    appId: 'com.klatsch.desktop',
    productName: 'Klatsch',
    copyright: 'Copyright © Klatsch',
    directories: { output: 'release', buildResources: 'assets' },
    files: [
      'package.json',
      'dist/electron/**',
      'dist/renderer/**',
      // The development host and its bridge are for development and tests only.
      '!dist/devhost/**',
      '!**/*.map',
      // Everything the app runs is bundled into dist/ (esbuild, Vite): no node_modules in the package.
      '!**/node_modules/**',
    ],
    asar: true,
    // A worker thread's script is read outside Electron's asar support: the SMP worker stays a plain file.
    asarUnpack: ['dist/electron/smp-worker.cjs'],
    // The tray's presence icons (npm run icons), read from the resources folder at run time.
    extraResources: [{ from: 'assets/tray', to: 'tray', filter: ['*.png'] }],
    protocols: [{ name: 'XMPP', schemes: ['xmpp'] }],
    // Fuses are flipped by our hook (typed, none forgotten), before signing.
    afterPack,
    forceCodeSigning: release,
    ...(env.KLATSCH_UPDATE_URL ? { publish: [{ provider: 'generic', url: env.KLATSCH_UPDATE_URL, publisherName: [publisherName] }] } : { publish: null }),

    win: {
      target: [
        { target: 'nsis', arch: ['x64', 'arm64'] },
        { target: 'msi', arch: ['x64'] },
      ],
      icon: 'assets/icon.ico',
      verifyUpdateCodeSignature: true,
      ...windowsSigning(env, publisherName),
    },
    nsis: {
      // Per user: no administrator rights needed; updates install silently for that user.
      oneClick: false,
      perMachine: false,
      allowElevation: false,
      allowToChangeInstallationDirectory: false,
      deleteAppDataOnUninstall: false,
      artifactName: '${productName}-${version}-${arch}-user-setup.${ext}',
    },
    msi: {
      // Per machine, for Group Policy, SCCM or Intune: `msiexec /i Klatsch.msi /qn`.
      perMachine: true,
      oneClick: true,
      runAfterFinish: false,
      createDesktopShortcut: false,
      createStartMenuShortcut: true,
      // Fixed for the product's lifetime: it lets a new MSI replace an older one.
      upgradeCode: '6c1f0a52-4d0e-4f0c-9a8e-3b3f2f8e7a11',
      artifactName: '${productName}-${version}-${arch}.${ext}',
    },

    mac: {
      target: [
        { target: 'dmg', arch: ['universal'] },
        { target: 'zip', arch: ['universal'] },
      ],
      category: 'public.app-category.business',
      icon: 'assets/icon.icns',
      hardenedRuntime: true,
      gatekeeperAssess: false,
      entitlements: 'assets/entitlements.mac.plist',
      entitlementsInherit: 'assets/entitlements.mac.plist',
      // CSC_LINK/CSC_KEY_PASSWORD or a keychain identity (CSC_NAME) sign; notarization needs the Apple variables.
      notarize: canNotarize(env),
      minimumSystemVersion: '12.0',
    },
    dmg: { sign: false },

    linux: {
      target: ['AppImage', 'deb', 'rpm'],
      category: 'Network;InstantMessaging',
      icon: 'assets/icons',
      executableName: 'klatsch',
      maintainer: 'Klatsch <it@klatsch.example>',
      vendor: 'Klatsch',
      synopsis: 'XMPP messenger for companies, with OTR encryption',
      mimeTypes: ['x-scheme-handler/xmpp'],
    },
    deb: { packageCategory: 'net', priority: 'optional' },
    rpm: { packageCategory: 'Applications/Internet' },
  };
}

export default function config(): Configuration {
  return buildConfig(process.env);
}
