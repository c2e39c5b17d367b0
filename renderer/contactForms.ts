/** Pure input handling of the contact forms (no DOM, no React): unit-tested in Node. Messages come from the given catalog section. */
import type { Catalog } from '../shared/i18n/catalog';
import { en } from '../shared/i18n/en';

/** The shape `BareJid` in shared/contract.ts checks; repeated so the app bundle needs no zod. */
const JID_SHAPE = /^[^@/\s]+@[^@/\s.][^@/\s]*$/;
/** The contract's bounds on names and groups. */
export const MAX_CONTACT_NAME = 256;
export const MAX_GROUPS = 32;

export type ContactValues = { jid: string; name?: string; groups: string[] };

/** "Team, Berlin , team" → ["Team", "Berlin"]: trimmed, empty and repeated ones dropped. */
export function parseGroups(text: string): string[] {
  const seen = new Map<string, string>();
  for (const part of text.split(',')) {
    const g = part.trim();
    if (g && !seen.has(g.toLowerCase())) seen.set(g.toLowerCase(), g);
  }
  return [...seen.values()];
}

function checkName(name: string, texts: Catalog['contactForm']): string | null {
  return name.length > MAX_CONTACT_NAME ? texts.nameTooLong(MAX_CONTACT_NAME) : null;
}

export function checkGroups(groups: string[], texts: Catalog['contactForm'] = en.contactForm): string | null {
  if (groups.length > MAX_GROUPS) return texts.tooManyGroups(MAX_GROUPS);
  if (groups.some((g) => g.length > MAX_CONTACT_NAME)) return texts.groupTooLong(MAX_CONTACT_NAME);
  return null;
}

/** The "Add contact" form: the address is required and must look like name@example.com. */
export function readAddContactForm(
  input: { address: string; name: string; groups: string },
  ownJid: string,
  texts: Catalog['contactForm'] = en.contactForm,
): { ok: true; values: ContactValues } | { ok: false; message: string; field: 'address' | 'name' | 'groups' } {
  const jid = input.address.trim().replace(/^xmpp:/i, '');
  if (!JID_SHAPE.test(jid) || jid.endsWith('.')) {
    return { ok: false, field: 'address', message: texts.badAddress };
  }
  if (jid.toLowerCase() === ownJid.toLowerCase()) return { ok: false, field: 'address', message: texts.ownAddress };
  const name = input.name.trim();
  const nameProblem = checkName(name, texts);
  if (nameProblem) return { ok: false, field: 'name', message: nameProblem };
  const groups = parseGroups(input.groups);
  const groupProblem = checkGroups(groups, texts);
  if (groupProblem) return { ok: false, field: 'groups', message: groupProblem };
  return { ok: true, values: { jid, ...(name ? { name } : {}), groups } };
}

/** The edit form of an existing contact: a name (empty: none) and its groups. */
export function readEditContactForm(input: { name: string; groups: string }, texts: Catalog['contactForm'] = en.contactForm): { ok: true; name: string; groups: string[] } | { ok: false; message: string } {
  const name = input.name.trim();
  const groups = parseGroups(input.groups);
  const problem = checkName(name, texts) ?? checkGroups(groups, texts);
  return problem ? { ok: false, message: problem } : { ok: true, name, groups };
}
