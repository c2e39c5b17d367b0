import { test } from 'node:test';
import assert from 'node:assert/strict';
import { catalogFor, languageFromPreferences, languages } from '../../renderer/i18n/catalog';

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
