/**
 * electron-builder's afterPack hook: runs after the app is assembled and
 * before anything is signed, so the signature covers the flipped fuses.
 */
import path from 'node:path';
import { flipFuses } from '@electron/fuses';
import type { AfterPackContext } from 'electron-builder';
import { Arch } from 'electron-builder';
import { fuseConfig } from './fuses.js';

/** The Electron binary (or macOS bundle) that carries the fuse wire. */
export function electronBinary(context: Pick<AfterPackContext, 'appOutDir' | 'electronPlatformName'> & { packager: { appInfo: { productFilename: string } } }): string {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
  if (electronPlatformName === 'win32') return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  // Linux: the executable is named by linux.executableName (LinuxPackager.executableName).
  return path.join(appOutDir, (packager as { executableName?: string }).executableName ?? 'klatsch');
}

export async function afterPack(context: AfterPackContext): Promise<void> {
  await flipFuses(electronBinary(context), fuseConfig(context.electronPlatformName, Arch[context.arch]));
}
