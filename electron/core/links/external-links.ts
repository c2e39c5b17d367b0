/**
 * Links that leave Klatsch: only `https:`, `mailto:` and `xmpp:`, re-parsed
 * here whatever the renderer claims, and opened only after the user said yes
 * to the exact address shown. `xmpp:` links are handled inside Klatsch.
 */
import { mailtoSubjectAndBodyOnly } from '../../../shared/mailto.js';

const ALLOWED = new Set(['https:', 'mailto:', 'xmpp:']);

/** A re-parsed URL safe to hand to the system, or undefined. */
export function safeExternalUrl(raw: unknown): URL | undefined {
  if (typeof raw !== 'string' || raw.length > 8192) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (!ALLOWED.has(url.protocol)) return undefined;
  if (url.protocol === 'https:' && (url.username !== '' || url.password !== '' || url.hostname === '')) return undefined;
  // Control characters or spaces could make the shown address differ from the opened one.
  if ([...url.href].some((c) => c.charCodeAt(0) <= 0x20 || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f))) return undefined;
  // Recipients, subject and body only: no hidden cc/bcc, no attach=/etc/passwd.
  if (url.protocol === 'mailto:') return new URL(mailtoSubjectAndBodyOnly(url.href));
  return url;
}

export interface ExternalDeps {
  /** Shows the address and asks; true only for an explicit "Open". */
  confirm: (url: URL) => Promise<boolean>;
  openExternal: (href: string) => Promise<void>;
  /** `xmpp:` links stay in Klatsch. */
  openXmppLink: (url: URL) => void;
  log: (line: string) => void;
}

export async function openLinkAfterConfirm(raw: unknown, deps: ExternalDeps): Promise<'opened' | 'declined' | 'refused' | 'in-app'> {
  const url = safeExternalUrl(raw);
  if (!url) {
    deps.log('refused to open a link that is not https, mailto or xmpp');
    return 'refused';
  }
  if (url.protocol === 'xmpp:') {
    deps.openXmppLink(url);
    return 'in-app';
  }
  if (!(await deps.confirm(url))) return 'declined';
  await deps.openExternal(url.href);
  return 'opened';
}

/** Options of the confirmation dialog: the full address, "Cancel" is the default. */
export function confirmDialogOptions(url: URL) {
  return {
    type: 'question' as const,
    buttons: ['Cancel', 'Open'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
    title: 'Open link',
    message: url.protocol === 'mailto:' ? 'Write an e-mail in your mail program?' : 'Open this address in your browser?',
    detail: url.href,
  };
}
