/**
 * Development host only: a `KlatschApi` over a WebSocket, for running the renderer in
 * an ordinary browser against the real core. NOT imported by the app and never part
 * of the Electron build: the development host bundles this file on its own (esbuild,
 * IIFE) and injects it as a classic script before the app's module script, so
 * `window.klatsch` exists by the time the app starts.
 *
 * Protocol (JSON text frames on ws://<host>/ipc):
 *   → {"type":"hello","token":T}                       first, once per socket
 *   ← {"type":"ready"}                                 the host let this socket in
 *   → {"type":"request","id":N,"name":NAME,"payload":P}
 *   ← {"type":"response","id":N,"result":RESULT}
 *   ← {"type":"event","name":NAME,"payload":P}
 *
 * The token comes from the page URL (`#token=…`) and is removed from the address bar
 * as soon as it has been read; it is kept in this tab's sessionStorage so that a reload
 * (or "Try again" after the socket dropped) can connect again. The host lets in one
 * socket at a time: right after a reload the old one may not be gone yet (4009), so the
 * hello is repeated a few times.
 */
import {
  eventNames,
  requestNames,
  type EventName,
  type KlatschApi,
  type RequestName,
  type Result,
} from '../shared/contract';

type Pending = { resolve: (result: Result<unknown>) => void };

const disconnected: Result<never> = {
  ok: false,
  error: { code: 'internal', message: 'development host disconnected' },
};

const TOKEN_KEY = 'klatsch-devhost-token';
/** Close codes of the host: wrong token (never retried) and "another page is connected". */
const BAD_TOKEN = 4003;
const BUSY = 4009;
const BUSY_RETRIES = 15;
const BUSY_RETRY_MS = 200;

function readToken(): string {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const fromUrl = params.get('token');
  params.delete('token');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  try {
    if (fromUrl) sessionStorage.setItem(TOKEN_KEY, fromUrl);
    return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return fromUrl ?? ''; // storage switched off: this page works until it is reloaded
  }
}

function createDevBridge(): KlatschApi {
  const token = readToken();
  const pending = new Map<number, Pending>();
  const listeners = new Map<EventName, Set<(payload: unknown) => void>>();
  /** Frames written before the host let the socket in. */
  const queue: string[] = [];
  let nextId = 1;
  let socket: WebSocket | null = null;
  let ready = false;
  let refused = false;

  for (const name of eventNames) listeners.set(name, new Set());

  function failPending(): void {
    queue.length = 0;
    for (const waiting of pending.values()) waiting.resolve(disconnected);
    pending.clear();
  }

  function connect(busyRetries = BUSY_RETRIES): void {
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ipc`);
    socket = ws;
    ready = false;
    ws.addEventListener('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.addEventListener('message', (event) => onFrame(event));
    ws.addEventListener('close', (event) => {
      if (socket !== ws) return;
      socket = null;
      ready = false;
      if (event.code === BUSY && busyRetries > 0) {
        setTimeout(() => connect(busyRetries - 1), BUSY_RETRY_MS);
        return;
      }
      if (event.code === BAD_TOKEN) refused = true;
      failPending();
      console.warn('[dev-bridge] development host disconnected');
    });
  }

  function onFrame(event: MessageEvent): void {
    if (typeof event.data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(event.data);
    } catch {
      console.warn('[dev-bridge] ignoring a frame that is not JSON');
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as { type?: unknown; id?: unknown; result?: unknown; name?: unknown; payload?: unknown };
    if (m.type === 'ready') {
      ready = true;
      for (const frame of queue.splice(0)) socket?.send(frame);
    } else if (m.type === 'response' && typeof m.id === 'number') {
      const waiting = pending.get(m.id);
      if (!waiting) return;
      pending.delete(m.id);
      waiting.resolve(m.result as Result<unknown>);
    } else if (m.type === 'event' && typeof m.name === 'string') {
      const set = listeners.get(m.name as EventName);
      if (!set) return;
      for (const listener of [...set]) {
        try {
          listener(m.payload);
        } catch (e) {
          // One broken listener must not keep the others from hearing the event.
          console.error('[dev-bridge] event listener failed', e);
        }
      }
    }
  }

  connect();

  function request(name: RequestName, payload: unknown): Promise<Result<unknown>> {
    if (refused) return Promise.resolve(disconnected);
    // A request after the socket dropped ("Try again") connects again with the kept token.
    if (!socket) connect();
    const id = nextId++;
    const frame = JSON.stringify({ type: 'request', id, name, payload });
    return new Promise((resolve) => {
      pending.set(id, { resolve });
      if (ready && socket?.readyState === WebSocket.OPEN) socket.send(frame);
      else queue.push(frame);
    });
  }

  const api: Record<string, unknown> = {};
  for (const name of requestNames) api[name] = (payload: unknown) => request(name, payload);
  const on: Record<string, unknown> = {};
  for (const name of eventNames) {
    on[name] = (listener: (payload: unknown) => void) => {
      const set = listeners.get(name)!;
      // Wrapped so that adding the same function twice gives two independent subscriptions.
      const entry = (payload: unknown) => listener(payload);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    };
  }
  api.on = Object.freeze(on);
  return Object.freeze(api) as KlatschApi;
}

if (window.klatsch) {
  console.warn('[dev-bridge] window.klatsch already exists; leaving it alone');
} else {
  Object.defineProperty(window, 'klatsch', { value: createDevBridge(), writable: false, configurable: false });
}
