// OTR policies (Protocol-v3 "Policies"): the user-facing presets map onto
// libotr's boolean flags (proto.h: OTRL_POLICY_MANUAL / OPPORTUNISTIC /
// ALWAYS). Version 1 is never allowed.

/** The presets the app offers; 'never' disables OTR entirely. */
export type Policy = 'never' | 'manual' | 'opportunistic' | 'always';

export interface PolicyFlags {
  readonly allowV2: boolean;
  readonly allowV3: boolean;
  /** Refuse to send unencrypted messages (queue them and ask for OTR). */
  readonly requireEncryption: boolean;
  /** Advertise OTR with the whitespace tag on plaintext messages. */
  readonly sendWhitespaceTag: boolean;
  /** Start the AKE when a whitespace-tagged plaintext arrives. */
  readonly whitespaceStartAke: boolean;
  /** Answer an OTR Error Message with a Query Message. */
  readonly errorStartAke: boolean;
}

const PRESETS: Record<Policy, PolicyFlags> = {
  never: { allowV2: false, allowV3: false, requireEncryption: false, sendWhitespaceTag: false, whitespaceStartAke: false, errorStartAke: false },
  manual: { allowV2: true, allowV3: true, requireEncryption: false, sendWhitespaceTag: false, whitespaceStartAke: false, errorStartAke: false },
  opportunistic: { allowV2: true, allowV3: true, requireEncryption: false, sendWhitespaceTag: true, whitespaceStartAke: true, errorStartAke: true },
  always: { allowV2: true, allowV3: true, requireEncryption: true, sendWhitespaceTag: false, whitespaceStartAke: true, errorStartAke: true },
};

/**
 * `v3Only`: OTR version 2 is refused (no v2 query answered, no v2 AKE, our offers name only v3).
 * Off by default, for old peers; on, an active attacker can no longer strip the "3" from an offer
 * to force the weaker version 2 (no instance tags).
 * @example policyFlags('opportunistic').sendWhitespaceTag // true
 * @example policyFlags('opportunistic', { v3Only: true }).allowV2 // false
 */
export function policyFlags(policy: Policy, { v3Only = false }: { v3Only?: boolean } = {}): PolicyFlags {
  const preset = PRESETS[policy];
  return v3Only && preset.allowV3 ? { ...preset, allowV2: false } : preset;
}

/** The peer offered only version 2, which the flags refuse although OTR is on (the v3-only setting). */
export function refusesOnlyV2(flags: PolicyFlags, offered: ReadonlySet<number>): boolean {
  return flags.allowV3 && !flags.allowV2 && offered.has(2) && !offered.has(3);
}

/** True when at least one protocol version is allowed (else OTR is off). */
export function otrEnabled(flags: PolicyFlags): boolean {
  return flags.allowV2 || flags.allowV3;
}

/** The versions we allow, best first. */
export function allowedVersions(flags: PolicyFlags): (2 | 3)[] {
  const out: (2 | 3)[] = [];
  if (flags.allowV3) out.push(3);
  if (flags.allowV2) out.push(2);
  return out;
}

/**
 * The best version both sides speak, given the versions the peer offered
 * (query message or whitespace tag); undefined if none.
 */
export function bestVersion(flags: PolicyFlags, offered: ReadonlySet<number>): 2 | 3 | undefined {
  if (flags.allowV3 && offered.has(3)) return 3;
  if (flags.allowV2 && offered.has(2)) return 2;
  return undefined;
}
