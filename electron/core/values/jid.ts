/**
 * The one JID parser (RFC 7622). A `BareJid` or `FullJid` is a string that
 * went through it: lowercase, checked, without (bare) or with (full) a
 * resource. Protocol input uses `bareJid`/`fullJid` (undefined: drop the
 * stanza); where a caller's JID must be good, `requireBareJid` throws a
 * `JidError`.
 */
import { jid as parseJid } from '@xmpp/jid';

declare const bareBrand: unique symbol;
declare const fullBrand: unique symbol;
/** `local@domain` or `domain`, lowercase, checked by `bareJid`. */
export type BareJid = string & { readonly [bareBrand]: true };
/** `local@domain/resource`, bare part lowercase, checked by `fullJid`. */
export type FullJid = string & { readonly [fullBrand]: true };

/** A JID a caller handed in that is not one. */
export class JidError extends TypeError {
  readonly code = 'invalid-jid' as const;
}

// RFC 7622: one optional "local@", a domain, an optional "/resource"; no spaces or controls in local or domain.
const BAD_JID_PART = /[\s\p{Cc}\uFFFE\uFFFF"&'/:<>@]|[\uD800-\uDFFF]/u;

/** A bare JID in canonical form, or undefined if the string is not a JID. */
export function bareJid(address: string | undefined): BareJid | undefined {
  if (!address || address.length > 3071) return undefined;
  const slash = address.indexOf('/');
  const bare = slash < 0 ? address : address.slice(0, slash);
  const at = bare.indexOf('@');
  const local = at < 0 ? '' : bare.slice(0, at);
  const domain = at < 0 ? bare : bare.slice(at + 1);
  if (at === 0 || BAD_JID_PART.test(local) || BAD_JID_PART.test(domain)) return undefined;
  if (!domain || Buffer.byteLength(domain) > 1023 || domain.split('.').some((label) => label.length === 0 || label.length > 63)) {
    return undefined;
  }
  if (Buffer.byteLength(local) > 1023) return undefined;
  // What @xmpp/jid gives below, without its escaping pass (ten replaceAll per address, the larger part of
  // handling a presence): it changes only a local part with a backslash, the one character left that it escapes.
  if (!local.includes('\\')) return (local ? `${local.toLowerCase()}@${domain.toLowerCase()}` : domain.toLowerCase()).toLowerCase() as BareJid;
  try {
    const parsed = parseJid(bare);
    if (!parsed.domain) return undefined;
    return parsed.bare().toString().toLowerCase() as BareJid;
  } catch {
    return undefined;
  }
}

/** A full JID (bare part canonical, resource as sent), or undefined if there is no valid JID with a resource. */
export function fullJid(address: string | undefined): FullJid | undefined {
  const bare = bareJid(address);
  const slash = address?.indexOf('/') ?? -1;
  if (!bare || slash < 0) return undefined;
  const resource = address!.slice(slash + 1);
  if (resource.length === 0 || Buffer.byteLength(resource) > 1023 || /[\p{Cc}\uFFFE\uFFFF]|[\uD800-\uDFFF]/u.test(resource)) return undefined;
  return `${bare}/${resource}` as FullJid;
}

/**
 * The bare JID of `address` (a resource and surrounding whitespace are dropped: other clients' files and
 * typing leave it); throws a `JidError` if it is not a JID.
 */
export function requireBareJid(address: string): BareJid {
  const bare = bareJid(address.trim());
  if (!bare) throw new JidError(`Not a JID: ${JSON.stringify(address.slice(0, 100))}`);
  return bare;
}
