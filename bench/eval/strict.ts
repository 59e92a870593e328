/**
 * Which eval questions are "strict": they share no word with any of their answer
 * files, so only a method that knows what words mean can find those files. The
 * check is computed, never hand-labelled, so anyone can audit which questions
 * count. Both sides go through the same steps: split into words, identifiers
 * also split at camelCase, snake_case and digits (`codeTerms`, the splitter the
 * search already uses, which keeps the joined form too), lower-cased, stemmed
 * with the local models' stemmer, minus a small fixed list of English function
 * words. A file's path counts as part of its text: retrievers see it.
 */
import { stem } from '../../src/embed/stem.js';
import { codeTerms } from '../../src/embed/tokens.js';

/**
 * English function words only: articles, prepositions, pronouns, auxiliaries and
 * question words. Deliberately small, and no programming words, so that a word
 * like "function" or "value" shared with the code makes a question non-strict.
 */
export const STRICT_STOP_WORDS: readonly string[] = [
  'a', 'an', 'the', 'of', 'to', 'in', 'on', 'at', 'for', 'from', 'by', 'with', 'into', 'as',
  'and', 'or', 'but', 'if', 'so', 'than', 'then',
  'is', 'are', 'was', 'be', 'been', 'do', 'does', 'did', 'can', 'has', 'have',
  'it', 'its', 'this', 'that', 'i', 'me', 'my', 'we', 'you', 'your', 'they', 'them', 'their',
  'will', 'would', 'should', 'could', 'must',
  'how', 'what', 'which', 'when', 'where', 'why', 'who',
  'not', 'no', 'all', 'some', 'any', 'each', 'one', 'up', 'out', 'down', 'while', 'without', 'before', 'after',
  'other', 'others', 'over', 'under', 'there',
];

const STOP = new Set(STRICT_STOP_WORDS);

/** The set of stemmed, lower-cased words of a text, split as code is split, without stop words. */
export function strictWords(text: string): Set<string> {
  const out = new Set<string>();
  for (const term of codeTerms(text, { minLength: 2 })) {
    if (STOP.has(term)) continue;
    const s = stem(term);
    if (!STOP.has(s)) out.add(s);
  }
  return out;
}

/** Words the question shares with a file's path and text (empty when the question is strict for it). */
export function sharedWords(question: string, file: { path: string; text: string }): string[] {
  const fileWords = strictWords(`${file.path}\n${file.text}`);
  return [...strictWords(question)].filter((w) => fileWords.has(w)).sort();
}

/** True when the question shares no word with any of its answer files. */
export function isStrict(question: string, answers: readonly { path: string; text: string }[]): boolean {
  return answers.every((file) => sharedWords(question, file).length === 0);
}
