/** The administrator's deny list (remote addresses) as one account applies it to what reaches the user. */
import { MAX_BLOCKED_SENDERS } from '../../../shared/contract.js';
import type { AccountPolicyHooks } from './account-policy.js';

export class SenderGate {
  /** Senders the policy blocked since Klatsch started (AccountView.blockedSenders): the user is told once each. */
  private readonly blockedSenders = new Set<string>();

  /** `account`: our JID as the policy knows it; `noted`: a sender was blocked for the first time (the account's view changed). */
  constructor(
    private readonly policy: AccountPolicyHooks | undefined,
    private readonly account: () => string,
    private readonly noted: () => void,
  ) {}

  /**
   * Whether the administrator's policy lets this sender's message or request reach the user. When it does not,
   * nothing of it is shown, but the account says once that something from that domain (or address) was blocked,
   * so that a colleague at another company is not simply ignored without anybody knowing why.
   */
  acceptsSender(peer: string): boolean {
    const blocked = this.blocked(peer);
    if (blocked === undefined) return true;
    if (!this.blockedSenders.has(blocked) && this.blockedSenders.size < MAX_BLOCKED_SENDERS) {
      this.blockedSenders.add(blocked);
      this.noted();
    }
    return false;
  }

  /** The same rule, for what is not worth a note (chat states, a stranger's presence): dropped silently. */
  acceptsFrom(peer: string): boolean {
    return !this.policy || this.policy.acceptsFrom(this.account(), peer);
  }

  /** The domain (or address) the policy blocks `peer` by; undefined: not blocked. */
  blocked(peer: string): string | undefined {
    return this.policy?.blockedSender(this.account(), peer);
  }

  /** What was blocked so far, for the account's view. */
  list(): string[] {
    return [...this.blockedSenders];
  }
}
