/**
 * Wires the contract onto Electron's IPC. Every request is checked once here:
 * it must come from the main frame of our own window showing our own page;
 * then the dispatcher validates the payload against the contract's schema.
 */
import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import { eventChannel, requestChannel, requestNames, type Result } from '../../shared/contract.js';
import { createDispatcher } from '../core/ipc/dispatch.js';
import type { KlatschCore } from '../core/klatsch-core.js';
import { isTrustedSender } from './ipc-sender.js';

export function wireIpc(core: KlatschCore, window: BrowserWindow, appPageUrl: string, log: (line: string) => void): () => void {
  const dispatch = createDispatcher(core.handlers, (name, error) => log(`request ${name} failed: ${(error as Error)?.name ?? 'error'}`));

  const trusted = (event: IpcMainInvokeEvent): boolean => isTrustedSender(event, window, appPageUrl);

  for (const name of requestNames) {
    ipcMain.handle(requestChannel(name), async (event, payload: unknown): Promise<Result<unknown>> => {
      if (!trusted(event)) {
        log(`refused ${name} from an unexpected sender`);
        return { ok: false, error: { code: 'invalid-request', message: 'Refused: not sent by the Klatsch window.' } };
      }
      return dispatch(name, payload);
    });
  }
  const unsubscribe = core.onEvent((name, payload) => {
    if (!window.isDestroyed()) window.webContents.send(eventChannel(name), payload);
  });
  return () => {
    unsubscribe();
    for (const name of requestNames) ipcMain.removeHandler(requestChannel(name));
  };
}
