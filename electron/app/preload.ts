/**
 * The renderer's only door to the main process: one named function per request
 * of the contract and one subscription per event, nothing generic. Listeners
 * never see Electron's event object; each subscription returns its unsubscribe.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventChannel, eventNames, requestChannel, requestNames, type KlatschApi } from '../../shared/contract.js';

const api: Record<string, unknown> = {};
for (const name of requestNames) {
  api[name] = (payload: unknown) => ipcRenderer.invoke(requestChannel(name), payload);
}
const on: Record<string, unknown> = {};
for (const name of eventNames) {
  on[name] = (listener: (payload: unknown) => void) => {
    const wrapped = (_event: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(eventChannel(name), wrapped);
    return () => {
      ipcRenderer.removeListener(eventChannel(name), wrapped);
    };
  };
}
api.on = on;

contextBridge.exposeInMainWorld('klatsch', api as KlatschApi);
