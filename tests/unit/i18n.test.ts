import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, NOTICE_KINDS } from '../../shared/contract';
import { ERROR_REASONS } from '../../shared/error-reasons';
import { catalogFor, languageFromPreferences, languages, localeFor } from '../../shared/i18n/catalog';
import { errorText, notSentText } from '../../renderer/i18n/errors';
import { noticeText } from '../../renderer/i18n/notices';
import { formatDay, formatShortDate } from '../../renderer/format';

type Node = string | ((...args: never[]) => string) | { [key: string]: Node };

/** Every leaf of a catalog as [dotted key, leaf]. */
function leaves(node: Node, prefix = ''): [string, Node][] {
  if (typeof node !== 'object') return [[prefix, node]];
  return Object.entries(node).flatMap(([k, v]) => leaves(v, prefix ? `${prefix}.${k}` : k));
}

test('every language has exactly the keys of English, each of the same kind and arity', () => {
  const reference = new Map(leaves(catalogFor('en') as Node));
  for (const language of languages) {
    const found = new Map(leaves(catalogFor(language) as Node));
    assert.deepEqual([...found.keys()].sort(), [...reference.keys()].sort(), `${language}: keys differ from English`);
    for (const [key, leaf] of found) {
      const ref = reference.get(key);
      assert.equal(typeof leaf, typeof ref, `${language}.${key}: ${typeof leaf} where English has ${typeof ref}`);
      if (typeof leaf === 'function' && typeof ref === 'function') assert.equal(leaf.length, ref.length, `${language}.${key}: parameters differ`);
      if (typeof leaf === 'string') assert.notEqual(leaf.trim(), '', `${language}.${key} is empty`);
    }
  }
});

test('German is really translated: most texts differ from English', () => {
  const en = new Map(leaves(catalogFor('en') as Node));
  const de = leaves(catalogFor('de') as Node).filter(([, v]) => typeof v === 'string');
  const same = de.filter(([k, v]) => en.get(k) === v).map(([k]) => k);
  // Names of languages, products and protocols stay as they are; everything else is German.
  assert.ok(same.length <= Math.max(4, de.length * 0.1), `untranslated German texts: ${same.join(', ')}`);
});

test('the OS language picks the catalog; unknown languages fall back to English', () => {
  assert.equal(languageFromPreferences(['de-AT', 'en-US']), 'de');
  assert.equal(languageFromPreferences(['fr-FR', 'de']), 'de');
  assert.equal(languageFromPreferences(['en_GB']), 'en');
  assert.equal(languageFromPreferences(['fr', 'it']), 'en');
  assert.equal(languageFromPreferences([]), 'en');
});

/** Calls a text function with sample parameters of one kind; null when it cannot take that kind. */
function sample(fn: (...args: never[]) => string, value: string | number): string | null {
  const args = Array.from({ length: fn.length }, () => value) as never[];
  try {
    return fn(...args);
  } catch {
    return null;
  }
}

test('every text with parameters gives a real sentence for sample values, in every language', () => {
  for (const language of languages) {
    for (const [key, leaf] of leaves(catalogFor(language) as Node)) {
      if (typeof leaf !== 'function') continue;
      const withText = sample(leaf, 'Sample');
      assert.equal(typeof withText, 'string', `${language}.${key} gives no text for text parameters`);
      // Counts (plurals: 1, 2, 1000), where the parameters are numbers; other texts do not take them.
      const withCounts = [sample(leaf, 1), sample(leaf, 2), sample(leaf, 1000)].filter((r): r is string => typeof r === 'string');
      for (const r of [withText as string, ...withCounts]) {
        assert.notEqual(r.trim(), '', `${language}.${key} gives an empty text`);
        assert.doesNotMatch(r, /undefined|NaN|\[object /, `${language}.${key} gives "${r}"`);
      }
    }
  }
});

test('texts with parameters are translated too: German gives other sentences than English', () => {
  const en = new Map(leaves(catalogFor('en') as Node));
  const functions = leaves(catalogFor('de') as Node).filter(([, v]) => typeof v === 'function');
  const same = functions
    .filter(([k, v]) => sample(v as (...args: never[]) => string, 'Sample') === sample(en.get(k) as (...args: never[]) => string, 'Sample'))
    .map(([k]) => k);
  // Only texts made of the parameters and names alone ("name@example.com", "(3) Klatsch") may stay the same.
  assert.ok(same.length <= Math.max(3, functions.length * 0.05), `untranslated German texts: ${same.join(', ')}`);
});

test('an error shows the renderer’s own text for its code, with the core’s English text as the detail', () => {
  const error = { code: 'connection-refused' as const, message: 'The server refused the connection.' };
  assert.equal(errorText(catalogFor('en'), error), 'The server refused the connection.');
  const german = errorText(catalogFor('de'), error);
  assert.ok(german.startsWith('Der Server hat die Verbindung abgelehnt.'), german);
  assert.ok(german.includes('The server refused the connection.'), 'the detail stays');
  assert.equal(errorText(catalogFor('de'), { code: 'timeout', message: '' }), 'Der Server hat nicht rechtzeitig geantwortet.');
  assert.equal(errorText(catalogFor('de'), undefined), catalogFor('de').errors.unknown);
  for (const code of ErrorCode.options) {
    for (const language of languages) assert.ok(errorText(catalogFor(language), { code, message: '' }).length > 0, `${language}: ${code}`);
  }
});

test('a refusal by the administrator’s remote lists is worded whole in either language, naming the domain', () => {
  // As the core sends it: the English sentence, and what was refused as parameters.
  const contact = {
    code: 'forbidden-by-policy' as const,
    message: 'Your administrator does not allow contacts at corp-d.test, so dave@corp-d.test cannot be added.',
    remote: { action: 'contact' as const, address: 'dave@corp-d.test', blocked: 'corp-d.test' },
  };
  assert.equal(errorText(catalogFor('en'), contact), contact.message);
  const german = errorText(catalogFor('de'), contact);
  assert.equal(german, 'Ihr Administrator erlaubt keine Kontakte bei corp-d.test, daher kann dave@corp-d.test nicht hinzugefügt werden.');
  assert.ok(!german.includes('Your administrator'), 'no English half');
  const single = { ...contact, remote: { action: 'contact' as const, address: 'mallory@example.com', blocked: 'mallory@example.com' } };
  assert.equal(errorText(catalogFor('de'), single), 'Ihr Administrator erlaubt mallory@example.com nicht als Kontakt.');
  const room = { ...contact, remote: { action: 'room' as const, address: 'x@conference.corp-d.test', blocked: 'conference.corp-d.test' } };
  assert.match(errorText(catalogFor('de'), room), /Gruppenchats bei conference\.corp-d\.test, daher können Sie x@conference\.corp-d\.test nicht betreten/);
  assert.match(errorText(catalogFor('en'), room), /group chats at conference\.corp-d\.test, so x@conference\.corp-d\.test cannot be entered/);
  const message = { ...contact, remote: { action: 'message' as const, address: 'dave@corp-d.test', blocked: 'corp-d.test' } };
  assert.equal(errorText(catalogFor('de'), message), 'Ihr Administrator erlaubt keine Nachrichten an dave@corp-d.test. Die Nachricht wurde nicht gesendet.');
});

test('the locale for dates keeps the OS’s region for its language', () => {
  assert.equal(localeFor('en', ['en-GB', 'de-DE']), 'en-GB');
  assert.equal(localeFor('de', ['en-GB', 'de_AT']), 'de-AT');
  assert.equal(localeFor('de', ['en-US']), 'de');
});

test('dates and times follow the language', () => {
  const when = Date.UTC(2026, 0, 15, 12, 0, 0);
  assert.match(formatDay(when, 'de'), /Januar/);
  assert.match(formatDay(when, 'en'), /January/);
  assert.match(formatShortDate(when, 'de'), /2026/);
});

/**
 * Which catalog keys the renderer's sources use. Recognised: `texts.a.b` (after `const texts = useTexts()`),
 * `useTexts().a.b`, an alias of a section (`const t = useTexts().a` / `= texts.a`, or a parameter
 * `t: Catalog['a']` or `t: Catalog['a']['b']`), a parameter `texts: Catalog`, destructuring
 * `const { a, b } = useTexts()`, and in the main process the shell's types (`texts: ShellTexts`, `TrayTexts`)
 * and `catalogFor(language).a.b`.
 * A path that ends in a section (`texts.presence[show]`, `t.state`) counts its whole subtree as used.
 */
function usedPaths(source: string): string[] {
  const roots = new Set<string>();
  const aliases = new Map<string, string>();
  for (const m of source.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*useTexts\(\)\s*;/g)) roots.add(m[1]!);
  for (const m of source.matchAll(/\b(\w+)\??\s*:\s*Catalog\b(?!\s*\[)/g)) roots.add(m[1]!);
  for (const m of source.matchAll(/\b(\w+)\??\s*:\s*Catalog((?:\['\w+'\])+)/g)) aliases.set(m[1]!, m[2]!.slice(2, -2).split("']['").join('.'));
  for (const m of source.matchAll(/\b(\w+)\??\s*:\s*ShellTexts\b/g)) aliases.set(m[1]!, 'shell');
  for (const m of source.matchAll(/\b(\w+)\??\s*:\s*TrayTexts\b/g)) aliases.set(m[1]!, 'shell.tray');
  for (const m of source.matchAll(/\b(?:const|let)\s+\{([^}]*)\}\s*=\s*useTexts\(\)/g)) {
    for (const name of m[1]!.split(',')) {
      const [section, alias] = name.split(':').map((s) => s.trim());
      if (section) aliases.set(alias || section, section);
    }
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const m of source.matchAll(/\b(?:const|let)\s+(\w+)\s*=\s*(useTexts\(\)|\w+)\.([\w.]+)\s*;/g)) {
      const [, alias, base, rest] = m as unknown as [string, string, string, string];
      const prefix = base === 'useTexts()' || roots.has(base) ? rest : aliases.has(base) ? `${aliases.get(base)}.${rest}` : null;
      if (prefix !== null && aliases.get(alias) !== prefix) {
        aliases.set(alias, prefix);
        changed = true;
      }
    }
  }
  const paths: string[] = [];
  // An alias's own declaration is no use of its whole section.
  const body = source.replace(/\b(?:const|let)\s+\w+\s*=\s*(?:useTexts\(\)|\w+)\.[\w.]+\s*;/g, '');
  for (const m of body.matchAll(/(useTexts\(\)|\b\w+)((?:\.\w+)+)/g)) {
    const [, base, rest] = m as unknown as [string, string, string];
    const tail = rest.slice(1);
    if (base === 'useTexts()' || roots.has(base)) paths.push(tail);
    else if (aliases.has(base)) paths.push(`${aliases.get(base)}.${tail}`);
  }
  // Handing a section on (`catalogFor(l).shell` to a function that takes ShellTexts) is no use of all of it: '?' marks such a path.
  for (const m of body.matchAll(/\bcatalogFor\([^)]*\)((?:\.\w+)+)/g)) paths.push(`?${m[1]!.slice(1)}`);
  // An alias indexed by a value (`labels[state]`) uses its whole section.
  for (const m of body.matchAll(/\b(\w+)\[/g)) if (aliases.has(m[1]!)) paths.push(aliases.get(m[1]!)!);
  return paths;
}

function sourcesIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourcesIn(path);
    // The catalogs themselves define the keys; they do not use them.
    return /\.tsx?$/.test(e.name) && !/i18n\/(en|de)\.ts$/.test(path) ? [path] : [];
  });
}

test('every catalog key is used by the renderer or the main process, and every key they use exists', () => {
  const keys = leaves(catalogFor('en') as Node).map(([k]) => k);
  const isKeyOrSection = (path: string) => keys.some((k) => k === path || k.startsWith(`${path}.`));
  const used = new Set<string>();
  const missing: string[] = [];
  const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
  // The main process words its notifications and tray from the same catalog (the `shell` section).
  for (const file of [...sourcesIn(join(root, 'renderer')), ...sourcesIn(join(root, 'electron'))]) {
    for (const raw of usedPaths(readFileSync(file, 'utf8'))) {
      if (raw.startsWith('?')) {
        if (keys.includes(raw.slice(1))) used.add(raw.slice(1));
        continue;
      }
      // Trailing method calls on a text (`.toLowerCase`, `.length`) are not keys.
      let path = raw;
      while (path.includes('.') && !isKeyOrSection(path)) path = path.slice(0, path.lastIndexOf('.'));
      if (!isKeyOrSection(path)) missing.push(`${file}: ${raw}`);
      else used.add(path);
    }
  }
  assert.deepEqual(missing, [], 'the renderer or the main process uses texts that are not in the catalog');
  // The language names are the settings screen's (its language switch); they name the languages of `languages`.
  const usedElsewhere = (k: string) => k.startsWith('language.');
  const dead = keys.filter((k) => !usedElsewhere(k) && ![...used].some((p) => k === p || k.startsWith(`${p}.`)));
  assert.deepEqual(dead, [], 'catalog texts no part of the app uses (remove them, or use them)');
});

test('every notice kind the core writes has a text in each language; old and unknown notices show their body', () => {
  for (const language of languages) {
    assert.deepEqual(Object.keys(catalogFor(language).notices).sort(), [...NOTICE_KINDS].sort(), `${language}: notices differ from NOTICE_KINDS`);
  }
  const de = catalogFor('de');
  assert.equal(noticeText(de, { body: 'Bob went offline.', notice: { kind: 'peer-offline' } }, 'Bob'), 'Bob ist offline gegangen; die private Unterhaltung ist beendet.');
  assert.equal(
    noticeText(de, { body: 'x', notice: { kind: 'smp-question', detail: 'Wo waren wir essen?' } }, 'Bob'),
    'Bob möchte Sie authentifizieren und fragt: „Wo waren wir essen?“',
  );
  assert.equal(noticeText(de, { body: 'Written before notices had kinds.' }, 'Bob'), 'Written before notices had kinds.');
  assert.equal(noticeText(de, { body: 'From a newer Klatsch.', notice: { kind: 'some-future-kind' } }, 'Bob'), 'From a newer Klatsch.');
  assert.equal(noticeText(de, { body: 'Not a catalog method.', notice: { kind: 'toString' } }, 'Bob'), 'Not a catalog method.');
});

test('every error reason the core throws is worded in each language from its parameters; an unknown one shows the core’s text', () => {
  for (const language of languages) {
    const reasons = catalogFor(language).errors.reasons as Record<string, (...args: string[]) => string>;
    assert.deepEqual(Object.keys(reasons).sort(), Object.keys(ERROR_REASONS).sort(), `${language}: reasons differ from ERROR_REASONS`);
    for (const [reason, params] of Object.entries(ERROR_REASONS)) assert.equal(reasons[reason]!.length, params.length, `${language}.${reason}: parameters differ`);
  }
  const de = catalogFor('de');
  assert.equal(
    errorText(de, { code: 'server-error', message: 'The server could not send older messages (item-not-found).', reason: 'archive-refused', params: { condition: 'item-not-found' } }),
    'Der Server konnte keine älteren Nachrichten senden (item-not-found).',
  );
  assert.equal(
    errorText(de, { code: 'forbidden-by-policy', message: 'The privacy setting is locked. Set by your administrator (/etc/klatsch/policy.json).', reason: 'otr-policy-locked', params: { why: 'set', source: '/etc/klatsch/policy.json' } }),
    'Ihr Administrator hat die Einstellung zur Privatsphäre gesperrt. Von Ihrem Administrator festgelegt (/etc/klatsch/policy.json).',
  );
  assert.equal(errorText(de, { code: 'not-connected', message: 'x', reason: 'offline-not-sent' }), 'Sie sind nicht verbunden; die Nachricht wurde nicht gesendet.');
  // From a newer core, or a name of Object.prototype: the code's text with the core's English as the detail.
  assert.equal(errorText(de, { code: 'not-found', message: 'Gone.', reason: 'some-future-reason' }), de.errors.withDetail(de.errors.codes['not-found'], 'Gone.'));
  assert.equal(errorText(de, { code: 'not-found', message: 'Gone.', reason: 'toString' }), de.errors.withDetail(de.errors.codes['not-found'], 'Gone.'));
});

test('why a message was not sent is worded by reason; English kept in the history by an older Klatsch shows as it is', () => {
  const de = catalogFor('de');
  assert.equal(notSentText(de, { reason: 'interrupted', text: 'Klatsch was closed before this message was sent.' }), 'Klatsch wurde beendet, bevor diese Nachricht gesendet wurde.');
  assert.equal(notSentText(de, { reason: 'not-delivered', params: { problem: 'service-unavailable' }, text: 'Not delivered: service-unavailable' }), 'Nicht zugestellt: service-unavailable');
  assert.equal(notSentText(de, 'Klatsch was closed before this message was sent.'), 'Klatsch was closed before this message was sent.');
  assert.equal(notSentText(de, { reason: 'from-a-newer-klatsch', text: 'Something new.' }), 'Something new.');
  assert.equal(notSentText(de, undefined), undefined);
});
