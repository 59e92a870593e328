/**
 * Glob matching in time linear in the path for a fixed pattern: at most O(path × pattern), never
 * exponential. Hand-written on purpose: globs come from committed settings and from MCP clients,
 * and every glob library on npm compiles to a backtracking regular expression, where
 * `*a*a*a*a*a*a*a*a*a*a*a*a*b` against forty `a`s runs for minutes.
 *
 * How: braces are expanded up front, with a bound on the number of alternatives; a pattern is
 * then a list of path segments, and `*` within a segment and `**` across segments are matched
 * with the classic greedy star-backtrack algorithm, which remembers only the last star and so
 * never revisits more than (text length × pattern length) states.
 *
 * Syntax (the subset of picomatch gitctx documents, with its `dot: true`): `*` any run of
 * characters but `/`; `**` as a whole segment any number of segments, none included; `?` one
 * character but `/`; `[abc]`, `[a-z]`, `[!a]` and `[^a]` one character of (or not of) a set;
 * `{a,b}` alternatives, nested as needed; `\` makes the next character literal. Everything else,
 * including picomatch's extglobs such as `+(a|b)`, is literal.
 */

/** Bounds on one pattern, so no setting or tool argument can make matching or expansion costly. */
export const GLOB_LIMITS = {
  /** Characters in the pattern as written. */
  maxLength: 512,
  /** `*`, `?` and `[` in the pattern as written (a `**` counts once). */
  maxWildcards: 32,
  /** Patterns its braces expand to. */
  maxAlternatives: 64,
} as const;

/** A pattern that is malformed or over a limit; `message` says why, in words for the user. */
export class GlobSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GlobSyntaxError';
  }
}

export interface GlobOptions {
  /** Also match the pattern against the last path segment alone (picomatch's `basename`). */
  basename?: boolean;
}

/** Compiles `pattern` into a predicate over `/`-separated paths; throws GlobSyntaxError. */
export function compileGlob(pattern: string, options: GlobOptions = {}): (path: string) => boolean {
  checkLimits(pattern);
  const alternatives = expandBraces(pattern).map(parsePattern);
  const basename = options.basename === true;
  return (path) => {
    const segments = path.split('/');
    const last = segments.slice(-1);
    return alternatives.some((alt) => matchSegments(alt, segments) || (basename && segments.length > 1 && matchSegments(alt, last)));
  };
}

function checkLimits(pattern: string): void {
  if (pattern.length > GLOB_LIMITS.maxLength) {
    throw new GlobSyntaxError(`pattern is ${pattern.length} characters long; the limit is ${GLOB_LIMITS.maxLength}`);
  }
  let wildcards = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') i++;
    else if (c === '?' || c === '[') wildcards++;
    else if (c === '*') {
      wildcards++;
      while (pattern[i + 1] === '*') i++;
    }
  }
  if (wildcards > GLOB_LIMITS.maxWildcards) {
    throw new GlobSyntaxError(`pattern has ${wildcards} wildcards (*, ?, [); the limit is ${GLOB_LIMITS.maxWildcards}`);
  }
}

// ---- braces ----

/** The index of the `}` closing the `{` at `open`, or -1. */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/** `body` split on its commas outside nested braces; one part means it has none. */
function splitTopLevel(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') i++;
    else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(body.slice(from, i));
      from = i + 1;
    }
  }
  parts.push(body.slice(from));
  return parts;
}

/**
 * Every pattern the braces of `pattern` stand for, in order. A brace pair without a top-level
 * comma (`{a}`) is literal, as in the shell. Stops with GlobSyntaxError past the limit, before
 * building more than that many strings at any level.
 */
export function expandBraces(pattern: string): string[] {
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c !== '{') continue;
    const close = closingBrace(pattern, i);
    if (close === -1) break;
    const parts = splitTopLevel(pattern.slice(i + 1, close));
    if (parts.length < 2) continue;
    const prefix = pattern.slice(0, i);
    const suffixes = expandBraces(pattern.slice(close + 1));
    const out: string[] = [];
    for (const part of parts) {
      for (const middle of expandBraces(part)) {
        for (const suffix of suffixes) {
          if (out.length === GLOB_LIMITS.maxAlternatives) {
            throw new GlobSyntaxError(`braces expand to more than ${GLOB_LIMITS.maxAlternatives} patterns`);
          }
          out.push(prefix + middle + suffix);
        }
      }
    }
    return out;
  }
  return [pattern];
}

// ---- parsing ----

type Token =
  | { kind: 'char'; code: number }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: [number, number][] }
  | { kind: 'star' };

/** One path segment of a pattern: `**`, or characters and wildcards. */
type Segment = { kind: 'globstar' } | { kind: 'segment'; tokens: Token[] };

function parsePattern(pattern: string): Segment[] {
  return splitSegments(pattern).map((text): Segment => (text === '**' ? { kind: 'globstar' } : { kind: 'segment', tokens: parseSegment(text) }));
}

/** Split on `/` that is not escaped. */
function splitSegments(pattern: string): string[] {
  const segments: string[] = [];
  let from = 0;
  for (let i = 0; i < pattern.length; i++) {
    if (pattern[i] === '\\') i++;
    else if (pattern[i] === '/') {
      segments.push(pattern.slice(from, i));
      from = i + 1;
    }
  }
  segments.push(pattern.slice(from));
  return segments;
}

function parseSegment(text: string): Token[] {
  const tokens: Token[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      tokens.push({ kind: 'char', code: text.charCodeAt(++i) });
    } else if (c === '*') {
      // A run of stars inside a segment is one star.
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' });
    } else if (c === '?') {
      tokens.push({ kind: 'any' });
    } else if (c === '[') {
      const parsed = parseClass(text, i);
      if (parsed === undefined) tokens.push({ kind: 'char', code: c.charCodeAt(0) });
      else {
        tokens.push(parsed.token);
        i = parsed.end;
      }
    } else {
      tokens.push({ kind: 'char', code: text.charCodeAt(i) });
    }
  }
  return tokens;
}

/** The class opening at `open` and the index of its `]`, or undefined when unclosed (then `[` is literal). */
function parseClass(text: string, open: number): { token: Token; end: number } | undefined {
  let i = open + 1;
  const negated = text[i] === '!' || text[i] === '^';
  if (negated) i++;
  const ranges: [number, number][] = [];
  // A `]` first in the set is a member, not the end.
  for (let first = true; i < text.length; first = false) {
    let c = text[i]!;
    if (c === ']' && !first) return { token: { kind: 'class', negated, ranges }, end: i };
    if (c === '\\' && i + 1 < text.length) c = text[++i]!;
    const low = c.charCodeAt(0);
    i++;
    if (text[i] === '-' && i + 1 < text.length && text[i + 1] !== ']') {
      let high = text[i + 1]!;
      i += 2;
      if (high === '\\' && i < text.length) high = text[i++]!;
      ranges.push([low, high.charCodeAt(0)]);
    } else {
      ranges.push([low, low]);
    }
  }
  return undefined;
}

// ---- matching ----

function tokenMatches(token: Token, code: number): boolean {
  switch (token.kind) {
    case 'char':
      return token.code === code;
    case 'any':
      return true;
    case 'class': {
      const member = token.ranges.some(([low, high]) => code >= low && code <= high);
      return member !== token.negated;
    }
    case 'star':
      return false;
  }
}

/**
 * Greedy star-backtrack, the one algorithm behind both levels of matching: on a mismatch, go back
 * to just after the last star and let it swallow one more item. O(items × pattern). `length` items
 * are matched; `matchesAt(atom, i)` says whether a non-star atom matches item `i`.
 */
function greedyMatch<Atom>(pattern: readonly Atom[], length: number, isStar: (atom: Atom) => boolean, matchesAt: (atom: Atom, i: number) => boolean): boolean {
  let p = 0;
  let i = 0;
  let star = -1;
  let starFrom = 0;
  while (i < length) {
    const atom = pattern[p];
    if (atom !== undefined && isStar(atom)) {
      star = p++;
      starFrom = i;
    } else if (atom !== undefined && matchesAt(atom, i)) {
      p++;
      i++;
    } else if (star !== -1) {
      p = star + 1;
      i = ++starFrom;
    } else {
      return false;
    }
  }
  while (p < pattern.length && isStar(pattern[p]!)) p++;
  return p === pattern.length;
}

/** One segment's characters against its tokens. */
function matchSegment(tokens: readonly Token[], text: string): boolean {
  // A segment is never empty in a git path; an empty one (from `a//b`) matches nothing, as in picomatch.
  return text.length > 0 && greedyMatch(tokens, text.length, (t) => t.kind === 'star', (t, i) => tokenMatches(t, text.charCodeAt(i)));
}

/** The same algorithm one level up: `**` is the star, a segment pattern the single-step atom. */
function matchSegments(pattern: readonly Segment[], path: readonly string[]): boolean {
  return greedyMatch(
    pattern,
    path.length,
    (segment) => segment.kind === 'globstar',
    (segment, i) => segment.kind !== 'globstar' && matchSegment(segment.tokens, path[i]!),
  );
}
