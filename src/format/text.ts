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

/**
 * Repository text (paths, authors, messages, code) made safe to print: control
 * characters become their visible Unicode pictures (ESC shows as ␛, CR as ␍), so a
 * file can neither send escape sequences to the terminal nor overwrite or hide
 * what is printed, and a newline in a path cannot split a one-line result.
 * Tab stays; newline stays only where the text is multi-line by nature (code).
 */
export function printable(text: string, keepNewlines = false): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const replacement = pictureOf(code, keepNewlines);
    if (replacement === undefined) continue;
    out += text.slice(plainFrom, i) + replacement;
    plainFrom = i + 1;
  }
  return plainFrom === 0 ? text : out + text.slice(plainFrom);
}

function pictureOf(code: number, keepNewlines: boolean): string | undefined {
  if (code === 0x09 || (code === 0x0a && keepNewlines)) return undefined;
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  // C1 controls: 0x9b alone is a CSI to many terminals.
  if (code >= 0x80 && code <= 0x9f) return '\ufffd';
  return undefined;
}

/** The shortest backtick fence (at least 3) longer than any backtick run in `text` (CommonMark). */
export function fenceFor(text: string): string {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}
