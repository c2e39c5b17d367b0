/**
 * Endpoint resolution with an injected SRV lookup: no DNS is ever queried.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { SrvRecord } from 'node:dns';
import { resolveEndpoints, type SrvLookup } from '../../electron/core/xmpp/resolve-endpoints.js';

const DIRECT = '_xmpps-client._tcp.example.com';
const STARTTLS = '_xmpp-client._tcp.example.com';

const srv = (name: string, port: number, priority = 10, weight = 0): SrvRecord => ({ name, port, priority, weight });

/** A lookup answering from a table; names not in it fail like NXDOMAIN. Records every name asked. */
function fakeLookup(table: Record<string, SrvRecord[]>) {
  const asked: string[] = [];
  const lookup: SrvLookup = async (name) => {
    asked.push(name);
    const records = table[name];
    if (!records) throw Object.assign(new Error(`queryNotFound ${name}`), { code: 'ENOTFOUND' });
    return records;
  };
  return { lookup, asked };
}

/** A `random` that returns the given values in turn (then keeps returning the last). */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

const mustNotLookUp: SrvLookup = async (name) => assert.fail(`looked up ${name}`);

async function resolve(table: Record<string, SrvRecord[]>, random: () => number = () => 0) {
  return resolveEndpoints('example.com', {}, fakeLookup(table).lookup, random);
}

const hosts = (endpoints: { host: string; port: number; directTls: boolean }[]) =>
  endpoints.map((e) => `${e.directTls ? 'tls' : 'starttls'}:${e.host}:${e.port}`);

describe('resolveEndpoints: override', () => {
  test('a host override is used as it is, on 5222 with STARTTLS by default, without lookups', async () => {
    const endpoints = await resolveEndpoints('example.com', { host: 'xmpp.internal' }, mustNotLookUp);
    assert.deepEqual(endpoints, [{ host: 'xmpp.internal', port: 5222, directTls: false }]);
  });

  test('a direct TLS override defaults to port 5223', async () => {
    const endpoints = await resolveEndpoints('example.com', { host: 'xmpp.internal', directTls: true }, mustNotLookUp);
    assert.deepEqual(endpoints, [{ host: 'xmpp.internal', port: 5223, directTls: true }]);
  });

  test('an explicit port wins over the default', async () => {
    assert.deepEqual(await resolveEndpoints('example.com', { host: 'h', port: 443, directTls: true }, mustNotLookUp), [
      { host: 'h', port: 443, directTls: true },
    ]);
    assert.deepEqual(await resolveEndpoints('example.com', { host: 'h', port: 5280 }, mustNotLookUp), [
      { host: 'h', port: 5280, directTls: false },
    ]);
  });
});

describe('resolveEndpoints: SRV', () => {
  test('both services of the domain are looked up', async () => {
    const { lookup, asked } = fakeLookup({});
    await resolveEndpoints('example.com', {}, lookup);
    assert.deepEqual([...asked].sort(), [STARTTLS, DIRECT].sort());
  });

  test('records of both services are merged by priority, lowest first', async () => {
    const endpoints = await resolve({
      [DIRECT]: [srv('tls-b.example.com', 5223, 30), srv('tls-a.example.com', 443, 5)],
      [STARTTLS]: [srv('plain-b.example.com', 5222, 20), srv('plain-a.example.com', 5222, 10)],
    });
    assert.deepEqual(hosts(endpoints), [
      'tls:tls-a.example.com:443',
      'starttls:plain-a.example.com:5222',
      'starttls:plain-b.example.com:5222',
      'tls:tls-b.example.com:5223',
    ]);
  });

  test('on equal priority direct TLS comes first', async () => {
    const endpoints = await resolve({
      [STARTTLS]: [srv('plain.example.com', 5222, 10, 100)],
      [DIRECT]: [srv('tls.example.com', 5223, 10, 0)],
    });
    assert.deepEqual(hosts(endpoints), ['tls:tls.example.com:5223', 'starttls:plain.example.com:5222']);
  });

  test('within a priority, records are picked at random by weight', async () => {
    const records = [srv('light.example.com', 5222, 10, 10), srv('heavy.example.com', 5222, 10, 90)];
    // total 100: a draw below 10 picks "light", a draw from 10 on picks "heavy".
    assert.deepEqual(hosts(await resolve({ [STARTTLS]: records }, sequence(0.05))), [
      'starttls:light.example.com:5222',
      'starttls:heavy.example.com:5222',
    ]);
    assert.deepEqual(hosts(await resolve({ [STARTTLS]: records }, sequence(0.5, 0))), [
      'starttls:heavy.example.com:5222',
      'starttls:light.example.com:5222',
    ]);
    assert.deepEqual(hosts(await resolve({ [STARTTLS]: records }, sequence(0.0999, 0))), [
      'starttls:light.example.com:5222',
      'starttls:heavy.example.com:5222',
    ]);
  });

  test('weighted order is deterministic for a given random source', async () => {
    const records = [srv('a.example.com', 5222, 1, 1), srv('b.example.com', 5222, 1, 2), srv('c.example.com', 5222, 1, 3)];
    const first = await resolve({ [STARTTLS]: records }, sequence(0.9, 0.1, 0.5));
    const second = await resolve({ [STARTTLS]: records }, sequence(0.9, 0.1, 0.5));
    assert.deepEqual(first, second);
    assert.equal(first.length, 3);
    assert.deepEqual(new Set(first.map((e) => e.host)), new Set(['a.example.com', 'b.example.com', 'c.example.com']));
    // total 6, draw 5.4 falls in c (3..6); then a+b total 3, draw 0.3 falls in a.
    assert.deepEqual(first.map((e) => e.host), ['c.example.com', 'a.example.com', 'b.example.com']);
  });

  test('all-zero weights keep every record', async () => {
    const endpoints = await resolve({ [STARTTLS]: [srv('a.example.com', 5222, 1, 0), srv('b.example.com', 5222, 1, 0)] }, () => 0.99);
    assert.deepEqual(new Set(endpoints.map((e) => e.host)), new Set(['a.example.com', 'b.example.com']));
  });

  test('a record with target "." means no service: no endpoints at all', async () => {
    assert.deepEqual(await resolve({ [STARTTLS]: [srv('.', 5222, 0)] }), []);
    assert.deepEqual(await resolve({ [STARTTLS]: [srv('.', 5222, 0)], [DIRECT]: [srv('.', 5223, 0)] }), []);
  });

  test('"." for direct TLS alone still leaves the STARTTLS records', async () => {
    const endpoints = await resolve({ [DIRECT]: [srv('.', 0, 0)], [STARTTLS]: [srv('xmpp.example.com', 5222, 10)] });
    assert.deepEqual(hosts(endpoints), ['starttls:xmpp.example.com:5222']);
  });

  test('one failing lookup does not hide the other', async () => {
    const endpoints = await resolve({ [DIRECT]: [srv('tls.example.com', 5223, 10)] });
    assert.deepEqual(hosts(endpoints), ['tls:tls.example.com:5223']);
  });
});

describe('resolveEndpoints: fallback', () => {
  test('no records: the domain itself on 5222 with STARTTLS', async () => {
    assert.deepEqual(await resolve({ [DIRECT]: [], [STARTTLS]: [] }), [{ host: 'example.com', port: 5222, directTls: false }]);
  });

  test('lookups failing (NXDOMAIN, no DNS): the domain itself on 5222', async () => {
    const failing: SrvLookup = async () => {
      throw Object.assign(new Error('queryNotFound'), { code: 'ENOTFOUND' });
    };
    assert.deepEqual(await resolveEndpoints('example.com', {}, failing), [{ host: 'example.com', port: 5222, directTls: false }]);
  });

  test('a port override without a host applies to the fallback', async () => {
    assert.deepEqual(await resolveEndpoints('example.com', { port: 5280 }, fakeLookup({}).lookup), [
      { host: 'example.com', port: 5280, directTls: false },
    ]);
  });
});
