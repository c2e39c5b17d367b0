/**
 * Electron fuses, flipped in the packaged binary before it is signed (see
 * after-pack.ts). The map is typed as a Record over every FuseV1Options key:
 * when an Electron upgrade brings a new fuse, this file stops compiling until
 * someone decides its value. `strictlyRequireAllFuses` checks the same at
 * packaging time.
 */
import { FuseV1Options, FuseVersion, type FuseV1Config } from '@electron/fuses';

export const FUSES = {
  /** ELECTRON_RUN_AS_NODE would turn the signed binary into a plain Node for anyone. */
  [FuseV1Options.RunAsNode]: false,
  /** Cookies (and other network state) encrypted at rest with the OS keyring. */
  [FuseV1Options.EnableCookieEncryption]: true,
  /** NODE_OPTIONS could inject code into the main process. */
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  /** --inspect and friends would open a debugger on the main process. */
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  /** The app.asar must match the hash embedded in the signed binary (macOS, Windows). */
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  /** Code runs only from the (integrity-checked) app.asar, never from a loose folder next to it. */
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  /** We ship no custom browser-process V8 snapshot. */
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  /** file:// pages get no extra privileges (fetch, service workers); our page needs none. */
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
  /** Electron's default: V8 bounds-checks WebAssembly with signal handlers; turning it off only costs speed. */
  [FuseV1Options.WasmTrapHandlers]: true,
} as const satisfies Record<FuseV1Options, boolean>;

export function fuseConfig(platform: string, arch: string): FuseV1Config {
  return {
    version: FuseVersion.V1,
    strictlyRequireAllFuses: true,
    // Flipping fuses breaks the ad-hoc signature of arm64 macOS binaries; signing afterwards replaces it.
    resetAdHocDarwinSignature: platform === 'darwin' && arch === 'arm64',
    ...FUSES,
  };
}
