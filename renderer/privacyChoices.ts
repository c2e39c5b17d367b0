import type { OtrPolicy } from '../shared/contract';
import type { Catalog } from '../shared/i18n/catalog';

/**
 * The entries of a contact's privacy select. The standard ('' = no choice of the contact's own) is what the
 * core does without one, 'opportunistic': it is offered once, as the standard, not a second time under its
 * own name, so no two entries do the same.
 */
export function privacyChoices(t: Catalog['privacy']): { value: '' | Exclude<OtrPolicy, 'opportunistic'>; label: string }[] {
  return [
    { value: '', label: t.standardPolicy(t.policy.opportunistic) },
    { value: 'manual', label: t.policy.manual },
    { value: 'always', label: t.policy.always },
    { value: 'never', label: t.policy.never },
  ];
}

/** The entry that shows a policy: an explicit 'opportunistic' is the standard. */
export function privacyChoiceValue(policy: OtrPolicy | undefined): '' | Exclude<OtrPolicy, 'opportunistic'> {
  return policy === undefined || policy === 'opportunistic' ? '' : policy;
}
