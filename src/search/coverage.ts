/**
 * Whether a chunk holds every word of the question: the clearest sign that a question was
 * asked in the code's own words and that the lexical ranker, not the semantic one, should
 * decide. Lucene's classic similarity weighs a document by the share of query terms it
 * matches (its coordination factor) for the same reason: BM25 alone lets a chunk that
 * repeats one common word outscore one that holds them all, and a cosine over smoothed
 * word meanings rates many near-synonymous chunks alike. Pure: no I/O.
 */
import { STOP_WORDS } from '../embed/lexicon.js';
import { stem } from '../embed/stem.js';
import { codeTerms, words } from '../embed/tokens.js';

/** How far towards 1 the ranking key of a chunk holding every question word is moved (hybrid mode). */
export const FULL_MATCH_LIFT = 0.5;

const STOP = new Set(STOP_WORDS);

/**
 * The stemmed terms of one word (its joined form and identifier parts, as the full-text index
 * sees them), minus stop words; remembered per word, since chunks repeat their words and a
 * search checks hundreds of chunks.
 */
function wordTerms(word: string, memo: Map<string, readonly string[]>): readonly string[] {
  let terms = memo.get(word);
  if (terms === undefined) {
    terms = [...new Set(codeTerms(word).filter((t) => !STOP.has(t)).map(stem))];
    memo.set(word, terms);
  }
  return terms;
}

/**
 * For each candidate, whether its path and content hold every term of the query. A query
 * of one term says too little to tell code words from prose and never counts.
 */
export function fullMatches<T extends { path: string; content: string }>(query: string, candidates: readonly T[]): boolean[] {
  const memo = new Map<string, readonly string[]>();
  const wanted = new Set(words(query).flatMap((w) => wordTerms(w, memo)));
  if (wanted.size < 2) return candidates.map(() => false);
  const prefixes = [...wanted].map(surePrefix);
  return candidates.map((c) => {
    const text = `${c.path}\n${c.content}`;
    // Most candidates lack some word outright: a substring test rules them out without splitting the text.
    const flat = text.toLowerCase().replace(/[_$]/g, '');
    if (!prefixes.every((p) => flat.includes(p))) return false;
    const missing = new Set(wanted);
    for (const word of words(text)) {
      for (const term of wordTerms(word, memo)) missing.delete(term);
      if (missing.size === 0) return true;
    }
    return false;
  });
}

/**
 * A prefix every word with this stem starts with. stem.ts keeps at least three letters of the
 * word and replaces at most two at the end (`ies` → `y`, `ation` → `at`, `ization` → `iz`,
 * `sses` → `ss`), so all but the last two letters, and never fewer than three, are the word's own.
 * Identifier parts and joined forms are lower-case runs of the text once `_` and `$` are dropped.
 */
function surePrefix(term: string): string {
  return term.slice(0, Math.max(3, term.length - 2));
}
