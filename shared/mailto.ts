/**
 * What a `mailto:` link from a message may carry into the user's mail program: the recipients in
 * its path, a `subject` and a `body` (RFC 6068). Everything else is dropped — `cc`, `bcc` and `to`
 * would add recipients the user does not see in the draft's first line, `attach` (honoured by some
 * mail programs) would attach a local file such as /etc/passwd, other headers could do worse.
 * Main opens exactly this; the renderer's confirmation shows exactly this.
 */
const KEPT = new Set(['subject', 'body']);

/** `mailto:a@b?cc=x&bcc=y&attach=/etc/passwd&body=hi` → `mailto:a@b?body=hi`; the kept values stay as written (no re-encoding). */
export function mailtoSubjectAndBodyOnly(href: string): string {
  const query = href.indexOf('?');
  if (query < 0) return href.replace(/#.*$/, '');
  const seen = new Set<string>();
  const kept = href
    .slice(query + 1)
    .replace(/#.*$/, '')
    .split('&')
    .filter((field) => {
      const name = decodedName(field.split('=')[0] ?? '');
      if (name === undefined || !KEPT.has(name) || seen.has(name)) return false;
      seen.add(name); // one of each: a second body must not slip past what the confirmation shows
      return true;
    });
  return href.slice(0, query) + (kept.length ? `?${kept.join('&')}` : '');
}

function decodedName(raw: string): string | undefined {
  try {
    return decodeURIComponent(raw).toLowerCase();
  } catch {
    return undefined;
  }
}
