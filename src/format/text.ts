/** Small pure text helpers shared by the human-readable formats. */

/** Digits after the point for every score, whatever the mode: cosine, BM25 or fused. */
export const SCORE_DECIMALS = 3;

/** How much of a commit subject the terse header shows, in code points. */
export const MESSAGE_CHARS = 50;

export function formatScore(score: number): string {
  const text = score.toFixed(SCORE_DECIMALS);
  // A tiny negative cosine rounds to "-0.000"; a signed zero only confuses.
  return Number(text) === 0 ? (0).toFixed(SCORE_DECIMALS) : text;
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

/**
 * YYYY-MM-DD of an ISO 8601 date, as the author's clock read it (the date written
 * in the string, not converted to UTC), which is what `git log` shows.
 */
export function commitDay(date: string): string {
  if (/^\d{4}-\d{2}-\d{2}/.test(date)) return date.slice(0, 10);
  const parsed = new Date(date);
  return Number.isNaN(parsed.getTime()) ? date : parsed.toISOString().slice(0, 10);
}

/** The first `count` code points, so a cut never splits a surrogate pair. */
export function firstChars(text: string, count: number): string {
  let end = 0;
  let taken = 0;
  for (const char of text) {
    if (taken === count) return text.slice(0, end);
    end += char.length;
    taken += 1;
  }
  return text;
}

/** Double-quoted with `\` and `"` escaped, so the closing quote is unambiguous. */
export function quote(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The shortest backtick fence (at least 3) longer than any backtick run in `text` (CommonMark). */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}
