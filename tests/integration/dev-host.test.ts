/**
 * The development host lets exactly one page of its own origin, holding the
 * token, talk to the core at a time; the same page can come back after a reload;
 * garbage through it is refused and changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WebSocket } from 'ws';
import { KlatschCore } from '../../electron/core/klatsch-core.js';
import { FileKeySecretBox } from '../../electron/core/store/secret-box.js';
import { startDevHost, type DevHost } from '../../electron/devhost/dev-host.js';

interface Reply {
  type: string;
  id?: number;
  result?: { ok: boolean; value?: unknown; error?: { code: string; message: string } };
}

/** Opens a socket; resolves with it once open, or with the close code if the host refuses it. */
function connect(host: DevHost, origin: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${host.port}/ipc`, { origin });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`refused with HTTP ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

function nextFrame(socket: WebSocket): Promise<Reply> {
  return new Promise((resolve) => socket.once('message', (data: Buffer) => resolve(JSON.parse(data.toString()) as Reply)));
}

function rpc(socket: WebSocket) {
  let next = 1;
  return (name: unknown, payload: unknown): Promise<Reply['result']> =>
    new Promise((resolve) => {
      const id = next++;
      const onMessage = (data: Buffer) => {
        const reply = JSON.parse(data.toString()) as Reply;
        if (reply.type === 'response' && reply.id === id) {
          socket.off('message', onMessage);
          resolve(reply.result);
        }
      };
      socket.on('message', onMessage);
      socket.send(JSON.stringify({ type: 'request', id, name, payload }));
    });
}

describe('development host', { timeout: 30_000 }, () => {
  let dir: string;
  let core: KlatschCore;
  let host: DevHost;
  let origin: string;
  let token: string;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'klatsch-devhost-'));
    await fs.mkdir(path.join(dir, 'renderer'));
    await fs.writeFile(path.join(dir, 'renderer/index.html'), '<!doctype html><html><head><title>t</title></head><body></body></html>');
    await fs.writeFile(path.join(dir, 'bridge.js'), 'window.bridge = 1;');
    core = new KlatschCore({ profileDir: path.join(dir, 'profile'), secretBox: await FileKeySecretBox.open(path.join(dir, 'key')) });
    await core.start();
    host = await startDevHost({ core, rendererDir: path.join(dir, 'renderer'), bridgeFile: path.join(dir, 'bridge.js') });
    const url = new URL(host.url);
    origin = url.origin;
    token = new URLSearchParams(url.hash.slice(1)).get('token')!;
  });
  after(async () => {
    await host?.close();
    await core?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  test('listens on 127.0.0.1 only and serves the page with the bridge and a strict CSP', async () => {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{20,}$/);
    const res = await fetch(`${origin}/`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'; script-src 'self'/);
    assert.match(await res.text(), /<script src="\.\/dev-bridge\.js"><\/script>/);
    assert.equal((await fetch(`${origin}/dev-bridge.js`)).status, 200);
    assert.equal((await fetch(`${origin}/..%2f..%2fpackage.json`)).status, 404);
  });

  test('refuses another origin, a wrong token, and a second client while one is connected', async () => {
    await assert.rejects(connect(host, 'http://evil.test'), /HTTP 401/);

    const wrong = await connect(host, origin);
    const wrongClosed = closed(wrong);
    wrong.send(JSON.stringify({ type: 'hello', token: 'not-the-token' }));
    assert.equal(await wrongClosed, 4003);

    const early = await connect(host, origin);
    const earlyClosed = closed(early);
    early.send(JSON.stringify({ type: 'request', id: 1, name: 'getSnapshot', payload: {} }));
    assert.equal(await earlyClosed, 4003, 'no request before the token');

    const good = await connect(host, origin);
    const goodReady = nextFrame(good);
    good.send(JSON.stringify({ type: 'hello', token }));
    assert.equal((await goodReady).type, 'ready');
    const call = rpc(good);
    const snapshot = await call('getSnapshot', {});
    assert.equal(snapshot?.ok, true);

    const again = await connect(host, origin);
    const againClosed = closed(again);
    again.send(JSON.stringify({ type: 'hello', token }));
    assert.equal(await againClosed, 4009, 'one client at a time, even with the token');

    // Garbage through the authenticated socket is answered, and changes nothing.
    const garbage: [unknown, unknown][] = [
      ['noSuchRequest', {}],
      ['__proto__', {}],
      ['addAccount', null],
      ['addAccount', { jid: 42, password: 'x', rememberPassword: true }],
      ['addAccount', { jid: 'a@b.test', password: 'x', rememberPassword: true, evil: true }],
      ['sendMessage', { accountId: '../../etc', to: 'a@b.test', body: 'x' }],
      ['setPresence', { accountId: 'abc', show: 'invisible', status: '' }],
      ['markRead', 'a@b.test'],
    ];
    for (const [name, payload] of garbage) {
      const result = await call(name, payload);
      assert.equal(result?.ok, false, `${String(name)} should fail`);
      assert.equal(result?.error?.code, 'invalid-request');
    }
    const after = await call('getSnapshot', {});
    assert.deepEqual(after, snapshot);

    const goodClosed = closed(good);
    good.send('this is not JSON');
    assert.equal(await goodClosed, 4002);
  });

  test('a reloaded page comes back with the same token once its old socket is gone; a wrong token still cannot', async () => {
    const first = await connect(host, origin);
    const firstReady = nextFrame(first);
    first.send(JSON.stringify({ type: 'hello', token }));
    assert.equal((await firstReady).type, 'ready');

    // The reload: the old page's socket closes, the new page says the same token (kept in its sessionStorage).
    const firstClosed = closed(first);
    first.close();
    await firstClosed;
    const reloaded = await connect(host, origin);
    const reloadedReady = nextFrame(reloaded);
    reloaded.send(JSON.stringify({ type: 'hello', token }));
    assert.equal((await reloadedReady).type, 'ready');
    const snapshot = await rpc(reloaded)('getSnapshot', {});
    assert.equal(snapshot?.ok, true, 'the reloaded page gets its data');

    const intruder = await connect(host, origin);
    const intruderClosed = closed(intruder);
    intruder.send(JSON.stringify({ type: 'hello', token: token.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')) }));
    assert.equal(await intruderClosed, 4003);
    await assert.rejects(connect(host, 'http://127.0.0.1:1'), /HTTP 401/, 'another origin, even on loopback');

    const reloadedClosed = closed(reloaded);
    reloaded.close();
    await reloadedClosed;
  });
});

describe('what the development host loads', () => {
  test("loading it does not load Node's bundled undici (an ES import of node:http would: ~14 MB resident)", async () => {
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const script = `await import(${JSON.stringify(path.join(import.meta.dirname, '../../electron/devhost/dev-host.ts'))});
console.log(JSON.stringify(process.moduleLoadList.filter((m) => m.includes('undici'))));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 60_000 });
    assert.deepEqual(JSON.parse(stdout.trim()), []);
  });
});
