/**
 * The machine policy over the user policy, key by key: a key the machine sets is the machine's,
 * whatever the user policy says; a key only the user policy sets applies. So a per-user policy can
 * restrict further where the machine leaves a choice, and never loosen what the machine decided.
 *
 * A damaged user policy reads as its safest values (like a damaged machine policy) — but only for
 * the keys the machine leaves open: the machine's own decisions stand either way.
 */
import type { AdminPolicy } from './policy-schema.js';
import type { LoadedPolicy } from './read-policy.js';

export function mergePolicies(machine: LoadedPolicy, user: LoadedPolicy): LoadedPolicy {
  if (user.source === undefined) return machine;
  if (machine.source === undefined) return user;
  const values: AdminPolicy = { ...user.values, ...definedOnly(machine.values) };
  // A remote list the machine sets replaces the user's restriction to the own domain.
  const remoteOwnDomainOnly = machine.remoteOwnDomainOnly || (user.remoteOwnDomainOnly && machine.values.remoteAllow === undefined);
  const problem = [machine.problem, user.problem].filter((p) => p !== undefined).join(' ');
  const problemReasons = [...(machine.problemReasons ?? []), ...(user.problemReasons ?? [])];
  return {
    source: `${machine.source}; for this user: ${user.source}`,
    values,
    remoteOwnDomainOnly,
    ...(problem ? { problem } : {}),
    ...(problemReasons.length > 0 ? { problemReasons } : {}),
  };
}

function definedOnly(values: AdminPolicy): AdminPolicy {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as AdminPolicy;
}
