/**
 * From whatever a platform source produced (registry values, a plist dict,
 * JSON) to the typed policy, key by key. Anything wrong — an unknown key (a
 * typo could be a lock that silently does nothing), a value of the wrong type,
 * a file that is not a dictionary — is collected into `problem`, and every key
 * the policy did not validly set takes its SAFEST value. Never throws.
 */
import type { WordedReason } from '../../../shared/contract.js';
import { booleanKeys, listKeys, policyKeyNames, policyKeys, SAFEST, type AdminPolicy, type PolicyKey } from './policy-schema.js';

export interface LoadedPolicy {
  /** Where the policy was read from, for the UI's "why"; absent: this machine has no policy. */
  source?: string;
  /** The keys the administrator set (validly), plus the safest values when there is a problem. */
  values: AdminPolicy;
  /** Restricts remote addresses to each account's own domain (the safest reading of a damaged policy). */
  remoteOwnDomainOnly: boolean;
  /** Why the policy could not be read completely; set: the safest reading is in force. */
  problem?: string;
  /** `problem` by reason, for the UI to word (the problems themselves are the administrator's keys and values). */
  problemReasons?: WordedReason[];
}

export const NO_POLICY: LoadedPolicy = { values: {}, remoteOwnDomainOnly: false };

/** The safest reading of a policy that could not be read at all. */
export function unreadablePolicy(source: string, why: string): LoadedPolicy {
  return withProblems(source, {}, [why]);
}

/** Registry value names are case-insensitive on Windows: `ServerDomain` is `serverDomain` there. */
const byLowerCase = new Map(policyKeyNames.map((k) => [k.toLowerCase(), k]));

export function readPolicy(raw: unknown, source: string, { coerceNumbers = false, caseInsensitive = false } = {}): LoadedPolicy {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return unreadablePolicy(source, 'it is not a set of keys and values');
  }
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [givenKey, given] of Object.entries(raw)) {
    const key = caseInsensitive ? (byLowerCase.get(givenKey.toLowerCase()) ?? givenKey) : givenKey;
    if (!Object.hasOwn(policyKeys, key)) {
      problems.push(`unknown key "${printable(key)}"`);
      continue;
    }
    const name = key as PolicyKey;
    const parsed = policyKeys[name].safeParse(coerce(name, given, coerceNumbers));
    if (parsed.success) values[name] = parsed.data;
    else problems.push(`"${name}": ${parsed.error.issues[0]?.message ?? 'invalid value'}`);
  }
  if (problems.length > 0) return withProblems(source, values as AdminPolicy, problems);
  return { source, values: values as AdminPolicy, remoteOwnDomainOnly: false };
}

function withProblems(source: string, valid: AdminPolicy, problems: string[]): LoadedPolicy {
  const shown = problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : '');
  const { remoteOwnDomainOnly: _own, ...safest } = SAFEST;
  // A remote list the administrator did set validly stays; otherwise only the own domain.
  const remoteOwnDomainOnly = valid.remoteAllow === undefined;
  const problem = `The administrator's policy (${source}) could not be read completely: ${shown}. Klatsch applies the most restrictive settings until it is fixed.`;
  return {
    source,
    values: { ...safest, ...valid },
    remoteOwnDomainOnly,
    problem,
    problemReasons: [{ reason: 'policy-incomplete', params: { source, problems: shown }, text: problem }],
  };
}

/** Registry DWORDs are numbers; a single registry or plist string can stand for a list of one. */
function coerce(key: PolicyKey, value: unknown, coerceNumbers: boolean): unknown {
  if (coerceNumbers && booleanKeys.has(key) && (value === 0 || value === 1)) return value === 1;
  if (listKeys.has(key) && typeof value === 'string') return [value];
  return value;
}

function printable(key: string): string {
  return key.replace(/[^\x20-\x7e]/g, '?').slice(0, 60);
}

export { policyKeyNames };
