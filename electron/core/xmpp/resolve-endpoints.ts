/**
 * Where to connect for an XMPP domain: RFC 6120 §3.2 (SRV `_xmpp-client._tcp`,
 * STARTTLS) and XEP-0368 (SRV `_xmpps-client._tcp`, direct TLS), merged by
 * priority, weighted per RFC 2782; the domain itself on 5222 when there are no
 * records; the user's host/port override when given.
 */
import dns from 'node:dns/promises';
import type { SrvRecord } from 'node:dns';
import type { LookupFunction } from 'node:net';

export interface Endpoint {
  host: string;
  port: number;
  directTls: boolean;
}

export interface EndpointOverride {
  host?: string;
  port?: number;
  directTls?: boolean;
}

export type SrvLookup = (name: string) => Promise<SrvRecord[]>;

export async function resolveEndpoints(
  domain: string,
  override: EndpointOverride = {},
  lookup: SrvLookup = (name) => dns.resolveSrv(name),
  random: () => number = Math.random,
): Promise<Endpoint[]> {
  if (override.host) {
    const directTls = override.directTls ?? false;
    return [{ host: override.host, port: override.port ?? (directTls ? 5223 : 5222), directTls }];
  }
  const [direct, starttls] = await Promise.all([
    lookupOrEmpty(lookup, `_xmpps-client._tcp.${domain}`),
    lookupOrEmpty(lookup, `_xmpp-client._tcp.${domain}`),
  ]);
  const records = [
    ...direct.map((r) => ({ ...r, directTls: true })),
    ...starttls.map((r) => ({ ...r, directTls: false })),
  ];
  // A lone record with target "." says the service is decidedly not available (RFC 2782).
  const usable = records.filter((r) => r.name !== '.' && r.name !== '');
  if (usable.length === 0) {
    if (records.length > 0) return [];
    return [{ host: domain, port: override.port ?? 5222, directTls: override.directTls ?? false }];
  }
  return orderByPriorityAndWeight(usable, random).map((r) => ({ host: r.name, port: r.port, directTls: r.directTls }));
}

async function lookupOrEmpty(lookup: SrvLookup, name: string): Promise<SrvRecord[]> {
  try {
    return await lookup(name);
  } catch {
    return []; // NXDOMAIN, no records or no DNS: fall back as RFC 6120 §3.2.2 says
  }
}

/** RFC 2782 selection: lower priority first; within one, random by weight. Direct TLS wins ties (XEP-0368). */
export function orderByPriorityAndWeight<T extends SrvRecord & { directTls: boolean }>(records: T[], random: () => number): T[] {
  const byPriority = new Map<number, T[]>();
  for (const r of records) byPriority.set(r.priority, [...(byPriority.get(r.priority) ?? []), r]);
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const group = byPriority.get(priority)!;
    for (const tls of [true, false]) {
      const pool = group.filter((r) => r.directTls === tls);
      while (pool.length > 0) {
        const total = pool.reduce((sum, r) => sum + r.weight, 0);
        let pick = 0;
        if (total > 0) {
          let threshold = random() * total;
          pick = pool.findIndex((r) => (threshold -= r.weight) < 0);
          if (pick < 0) pick = pool.length - 1;
        }
        ordered.push(pool.splice(pick, 1)[0]!);
      }
    }
  }
  return ordered;
}

/**
 * SRV and address lookups through the given DNS servers instead of the system's ("127.0.0.1:5353").
 * Only tests and the development host set them (a DNS server of their own on loopback); the app
 * asks the system. Addresses come from A records, then AAAA.
 */
export function lookupsVia(servers: string[]): { lookup: SrvLookup; hostLookup: LookupFunction } {
  const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
  resolver.setServers(servers);
  const addresses = async (host: string): Promise<{ address: string; family: 4 | 6 }[]> => {
    const v4 = await resolver.resolve4(host).catch(() => [] as string[]);
    if (v4.length > 0) return v4.map((address) => ({ address, family: 4 }));
    const v6 = await resolver.resolve6(host).catch(() => [] as string[]);
    return v6.map((address) => ({ address, family: 6 }));
  };
  const hostLookup = ((host: string, options: unknown, callback: (...args: unknown[]) => void) => {
    const all = typeof options === 'object' && options !== null && (options as { all?: boolean }).all;
    addresses(host).then((found) => {
      const first = found[0];
      if (!first) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host }));
      else if (all) callback(null, found);
      else callback(null, first.address, first.family);
    }, callback);
  }) as LookupFunction;
  return { lookup: (name) => resolver.resolveSrv(name), hostLookup };
}
