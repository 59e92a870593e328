/**
 * A deliberately small English stemmer for identifier parts and prose words:
 * it only has to make `validate`, `validates`, `validated`, `validating`,
 * `validation` and `validator` meet, not produce dictionary words. One suffix
 * of inflection, then one of derivation, then a final `e`, each only when
 * enough of the word is left to stay distinctive. Part of the `local-v1`
 * definition: any change needs a new model name.
 */

const MIN_STEM = 3;

function strip(word: string, suffix: string, replacement = ''): string | undefined {
  if (!word.endsWith(suffix)) return undefined;
  const base = word.slice(0, word.length - suffix.length);
  return base.length >= MIN_STEM ? base + replacement : undefined;
}

function undouble(word: string): string {
  const n = word.length;
  // running → runn → run; but keep ll/ss/zz (fill, pass, fizz), which are part of the base.
  if (n >= 4 && word[n - 1] === word[n - 2] && !'lsz'.includes(word[n - 1] as string)) return word.slice(0, -1);
  return word;
}

export function stem(word: string): string {
  if (word.length <= MIN_STEM) return word;
  let w = word;
  // Inflection.
  const inflected =
    strip(w, 'ies', 'y') ??
    strip(w, 'sses', 'ss') ??
    (w.endsWith('ss') || w.endsWith('us') || w.endsWith('is') ? undefined : strip(w, 's'));
  if (inflected !== undefined) w = inflected;
  const verbal = strip(w, 'ing') ?? strip(w, 'ed');
  if (verbal !== undefined) w = undouble(verbal);
  // Derivation: validation, validator, serializer, quickly, readable.
  const derived =
    strip(w, 'ization', 'iz') ??
    strip(w, 'ation', 'at') ??
    strip(w, 'ion') ??
    strip(w, 'ity') ??
    strip(w, 'ness') ??
    strip(w, 'er') ??
    strip(w, 'or') ??
    strip(w, 'ly') ??
    strip(w, 'able');
  if (derived !== undefined) w = derived;
  const noE = strip(w, 'e');
  if (noE !== undefined) w = noE;
  return w;
}
