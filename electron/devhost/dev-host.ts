/**
 * Development host: the core in plain Node, the renderer in any browser, the
 * same IPC contract carried over a WebSocket on 127.0.0.1. For development and
 * tests only; the packaged app never contains it (electron-builder.yml leaves
 * `dist/devhost` out).
 *
 * Who may talk to the core: the one page that presents the token printed at
 * start. The socket must come from our own origin and say the token first, and
 * only one socket is let in at a time: while a page is connected, any other is
 * refused (4009), even with the token. The page keeps the token in its
 * sessionStorage (its origin and tab only), so after a reload or a dropped
 * socket the same page can come back once the old socket is gone.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { promises as fs } from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import type { EventName } from '../../shared/contract.js';
import { createDispatcher } from '../core/ipc/dispatch.js';
import type { KlatschCore } from '../core/klatsch-core.js';

// Required, not imported: an ES import of node:http makes Node fill in all its exports, and one of
// them (Node 24) loads its whole bundled undici, ~14 MB of resident memory this host never uses.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof http;

export interface DevHostOptions {
  core: KlatschCore;
  /** The built renderer (vite's output). */
  rendererDir: string;
  /** The built development bridge script (an IIFE that sets `window.klatsch`). */
  bridgeFile: string;
  port?: number;
  log?: (line: string) => void;
}

export interface DevHost {
  /** Open this in a browser; it carries the token in the fragment. */
  url: string;
  port: number;
  close(): Promise<void>;
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
  "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export async function startDevHost(options: DevHostOptions): Promise<DevHost> {
  const log = options.log ?? (() => {});
  const token = randomBytes(24);
  /** The one authenticated socket, if any. */
  let active: WebSocket | null = null;
  const tokenText = token.toString('base64url');
  const dispatch = createDispatcher(options.core.handlers, (name, error) => log(`request ${name} failed: ${(error as Error)?.name ?? 'error'}`));
  const rendererRoot = path.resolve(options.rendererDir);

  const server = createServer((req, res) => {
    void serveFile(req, res).catch(() => {
      res.writeHead(500).end();
    });
  });

  async function serveFile(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET') return void res.writeHead(405).end();
    const urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://127.0.0.1').pathname);
    const headers = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
    if (urlPath === '/dev-bridge.js') {
      const body = await fs.readFile(options.bridgeFile);
      return void res.writeHead(200, { ...headers, 'Content-Type': types['.js']! }).end(body);
    }
    const file = path.resolve(rendererRoot, `.${urlPath === '/' ? '/index.html' : urlPath}`);
    if (file !== rendererRoot && !file.startsWith(rendererRoot + path.sep)) return void res.writeHead(404).end();
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      return void res.writeHead(404).end();
    }
    if (file.endsWith('index.html')) {
      // The bridge must define window.klatsch before the app's module script runs.
      body = Buffer.from(body.toString('utf8').replace('<head>', '<head>\n    <script src="./dev-bridge.js"></script>'));
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' }).end(body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  const origin = `http://127.0.0.1:${port}`;

  const wss = new WebSocketServer({
    server,
    path: '/ipc',
    maxPayload: 256 * 1024,
    verifyClient: ({ origin: from }: { origin: string }) => from === origin,
  });

  wss.on('connection', (socket: WebSocket) => {
    let authenticated = false;
    let unsubscribe: (() => void) | undefined;
    const helloTimer = setTimeout(() => socket.close(4001, 'no hello'), 5_000);
    socket.on('close', () => {
      clearTimeout(helloTimer);
      unsubscribe?.();
      if (active === socket) active = null;
    });
    socket.on('message', (data) => {
      let message: { type?: unknown; token?: unknown; id?: unknown; name?: unknown; payload?: unknown };
      try {
        message = JSON.parse(data.toString());
      } catch {
        return socket.close(4002, 'not JSON');
      }
      if (!authenticated) {
        if (message.type !== 'hello' || typeof message.token !== 'string' || !sameToken(token, message.token)) {
          log('development host: a client without the right token was refused');
          return socket.close(4003, 'bad token');
        }
        // One page at a time: a reloading page waits until its old socket has closed, then tries again.
        if (active && active.readyState !== active.CLOSED) {
          log('development host: a second client was refused while one is connected');
          return socket.close(4009, 'busy');
        }
        active = socket;
        authenticated = true;
        clearTimeout(helloTimer);
        unsubscribe = options.core.onEvent((name: EventName, payload: unknown) => {
          socket.send(JSON.stringify({ type: 'event', name, payload }));
        });
        socket.send(JSON.stringify({ type: 'ready' }));
        return;
      }
      if (message.type !== 'request' || typeof message.id !== 'number') return socket.close(4004, 'bad message');
      const id = message.id;
      void dispatch(message.name, message.payload).then((result) => {
        if (socket.readyState === socket.OPEN) socket.send(JSON.stringify({ type: 'response', id, result }));
      });
    });
  });

  return {
    url: `${origin}/#token=${tokenText}`,
    port,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function sameToken(expected: Buffer, given: string): boolean {
  const candidate = Buffer.from(given, 'base64url');
  return candidate.length === expected.length && timingSafeEqual(candidate, expected);
}
