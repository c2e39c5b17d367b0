/** Pure input handling of the contact forms (no DOM, no React): unit-tested in Node. */

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

function checkName(name: string): string | null {
  return name.length > MAX_CONTACT_NAME ? `A name can have at most ${MAX_CONTACT_NAME} characters.` : null;
}

export function checkGroups(groups: string[]): string | null {
  if (groups.length > MAX_GROUPS) return `A contact can be in at most ${MAX_GROUPS} groups.`;
  if (groups.some((g) => g.length > MAX_CONTACT_NAME)) return `A group name can have at most ${MAX_CONTACT_NAME} characters.`;
  return null;
}

/** The "Add contact" form: the address is required and must look like name@example.com. */
export function readAddContactForm(
  input: { address: string; name: string; groups: string },
  ownJid: string,
): { ok: true; values: ContactValues } | { ok: false; message: string; field: 'address' | 'name' | 'groups' } {
  const jid = input.address.trim().replace(/^xmpp:/i, '');
  if (!JID_SHAPE.test(jid) || jid.endsWith('.')) {
    return { ok: false, field: 'address', message: 'Enter an address like name@example.com (no spaces, no "/").' };
  }
  if (jid.toLowerCase() === ownJid.toLowerCase()) return { ok: false, field: 'address', message: 'That is your own address.' };
  const name = input.name.trim();
  const nameProblem = checkName(name);
  if (nameProblem) return { ok: false, field: 'name', message: nameProblem };
  const groups = parseGroups(input.groups);
  const groupProblem = checkGroups(groups);
  if (groupProblem) return { ok: false, field: 'groups', message: groupProblem };
  return { ok: true, values: { jid, ...(name ? { name } : {}), groups } };
}

/** The edit form of an existing contact: a name (empty: none) and its groups. */
export function readEditContactForm(input: { name: string; groups: string }): { ok: true; name: string; groups: string[] } | { ok: false; message: string } {
  const name = input.name.trim();
  const groups = parseGroups(input.groups);
  const problem = checkName(name) ?? checkGroups(groups);
  return problem ? { ok: false, message: problem } : { ok: true, name, groups };
}
