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
import { codeTerms } from '../embed/tokens.js';

/** How far towards 1 the ranking key of a chunk holding every question word is moved (hybrid mode). */
export const FULL_MATCH_LIFT = 0.5;

const STOP = new Set(STOP_WORDS);

/** The distinct stemmed terms of a text (identifier parts and joined forms, as the full-text index sees them), minus stop words. */
function termsOf(text: string, memo: Map<string, string>): Set<string> {
  const out = new Set<string>();
  for (const term of codeTerms(text)) {
    if (STOP.has(term)) continue;
    let stemmed = memo.get(term);
    if (stemmed === undefined) {
      stemmed = stem(term);
      memo.set(term, stemmed);
    }
    out.add(stemmed);
  }
  return out;
}

/**
 * For each candidate, whether its path and content hold every term of the query. A query
 * of one term says too little to tell code words from prose and never counts.
 */
export function fullMatches<T extends { path: string; content: string }>(query: string, candidates: readonly T[]): boolean[] {
  const memo = new Map<string, string>();
  const wanted = [...termsOf(query, memo)];
  if (wanted.length < 2) return candidates.map(() => false);
  return candidates.map((c) => {
    const have = termsOf(`${c.path}\n${c.content}`, memo);
    return wanted.every((t) => have.has(t));
  });
}
