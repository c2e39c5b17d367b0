/**
 * What an account asks the administrator's policy while it connects and
 * chats: the connection details, the trust and the OTR policy in force.
 * Built from a PolicyGate by the core.
 */
import type { OtrPolicy } from '../../../shared/contract.js';
import { fingerprintOfPem, type TrustMode } from '../xmpp/tls-policy.js';
import type { ConnectionOverride, PolicyGate } from './policy-gate.js';

export interface AccountPolicyHooks {
  connection(jid: string, user: ConnectionOverride): ConnectionOverride;
  trust(jid: string, user: TrustMode): TrustMode;
  otrPolicy(userOrDefault: OtrPolicy): OtrPolicy;
  /** Whether messages from this bare address reach the user (the remote allow/deny lists work both ways). */
  acceptsFrom(jid: string, peer: string): boolean;
  /** What the lists refuse of this address: its domain, the address alone, or undefined when allowed. */
  blockedSender(jid: string, peer: string): string | undefined;
}

export function accountPolicyHooks(gate: PolicyGate): AccountPolicyHooks {
  return {
    connection: (jid, user) => gate.connection(jid, user),
    trust: (jid, user) => {
      const pems = gate.pinnedCertificates(jid);
      // Policy pins replace both the user's pin and the system's anchors for the company server.
      return pems ? { kind: 'pinned-by-policy', certificates: pems.map((pem) => ({ pem, sha256: fingerprintOfPem(pem) })) } : user;
    },
    otrPolicy: (chosen) => gate.otrPolicy(chosen),
    acceptsFrom: (jid, peer) => {
      try {
        gate.checkRemote(jid, peer);
        return true;
      } catch {
        return false;
      }
    },
    blockedSender: (jid, peer) => gate.blockedRemote(jid, peer),
  };
}
