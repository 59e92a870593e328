/**
 * Cutting one line that no chunk can hold (minified code, an inlined data URL, a
 * giant string) into consecutive pieces that each fit. Lines are otherwise never
 * cut; this is the one place the chunker's "never over the limit" promise costs
 * a chunk its whole-line text.
 */

export interface LinePiece {
  /** UTF-16 offsets into the line, half-open (as `String.prototype.slice`). */
  start: number;
  end: number;
  text: string;
  tokens: number;
}

/** Typical characters per token for code and prose; only a first guess. */
const INITIAL_CHARS_PER_TOKEN = 4;
/** Aim a little under the limit so the first guess usually fits. */
const AIM = 0.9;
/** A cut prefers the last whitespace in the final eighth of the piece. */
const SOFT_CUT_WINDOW = 8;
const MAX_TRIES = 24;

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Moves `end` back so it does not split a surrogate pair (a lone half would not round-trip through UTF-8). */
function codePointBoundary(line: string, start: number, end: number): number {
  if (end < line.length && end > start + 1 && isHighSurrogate(line.charCodeAt(end - 1))) return end - 1;
  return end;
}

/** The smallest cut after `start` that keeps a whole code point. */
function oneCodePoint(line: string, start: number): number {
  return isHighSurrogate(line.charCodeAt(start)) && start + 2 <= line.length ? start + 2 : start + 1;
}

/** Prefers to end the piece just after whitespace, so words stay whole where the line has any. */
function softCut(line: string, start: number, end: number): number {
  if (end >= line.length) return line.length;
  const floor = end - Math.floor((end - start) / SOFT_CUT_WINDOW);
  for (let i = end - 1; i >= floor && i > start; i--) {
    const c = line.charCodeAt(i);
    if (c === 32 || c === 9) return i + 1;
  }
  return end;
}

/**
 * Pieces of `line`, in order, whose texts concatenate to `line`, each of at most
 * `limit` tokens. Token counts are exact (each piece is counted); only piece
 * lengths are guessed, from the characters-per-token ratio seen so far, so the
 * tokenizer never sees much more than one piece at a time — BPE tokenizers can
 * be quadratic on one long run of letters.
 */
export function splitLongLine(line: string, limit: number, countTokens: (text: string) => number): LinePiece[] {
  const pieces: LinePiece[] = [];
  let charsPerToken = INITIAL_CHARS_PER_TOKEN;
  let start = 0;
  while (start < line.length) {
    const minimum = oneCodePoint(line, start);
    let guess = start + Math.max(1, Math.floor(limit * AIM * charsPerToken));
    let best: { end: number; tokens: number } | undefined;
    let tooLong = line.length + 1;
    for (let tries = 0; tries < MAX_TRIES; tries++) {
      let end = Math.min(guess, line.length);
      end = Math.max(minimum, codePointBoundary(line, start, softCut(line, start, end)));
      if (end >= tooLong || (best !== undefined && end <= best.end)) break;
      const tokens = countTokens(line.slice(start, end));
      if (tokens <= limit) {
        best = { end, tokens };
        // Full enough, or nothing left: stop here.
        if (end === line.length || tokens >= limit * AIM) break;
      } else {
        tooLong = end;
        if (end === minimum) break;
      }
      // Scale the length by how far the count is from the aim, staying between
      // the longest piece known to fit and the shortest known not to.
      const scaled = start + Math.floor(((end - start) * limit * AIM) / Math.max(1, tokens));
      const low = best?.end ?? minimum;
      guess = Math.min(Math.max(scaled, low + 1), tooLong - 1);
    }
    if (best === undefined) {
      const tokens = countTokens(line.slice(start, minimum));
      if (tokens > limit) {
        throw new RangeError(`one character costs ${tokens} tokens, over the chunk limit of ${limit}`);
      }
      best = { end: minimum, tokens };
    }
    pieces.push({ start, end: best.end, text: line.slice(start, best.end), tokens: best.tokens });
    charsPerToken = Math.max(0.25, (best.end - start) / Math.max(1, best.tokens));
    start = best.end;
  }
  return pieces;
}
