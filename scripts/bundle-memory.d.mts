import type { Plugin } from 'esbuild';
export const zodEnglishOnly: Plugin;
export function latin1Only(file: string): Promise<void>;
