/**
 * Files to chunks: exact line spans, sized in the provider's tokens, cut where
 * the code's structure is, and cut the same way around an edit as before it.
 *
 * The file is split into units (top-level blocks: a definition with its leading
 * comment, a paragraph, a markdown section start), recursively inside any unit
 * too big for one chunk. Units are then grouped by a rule that looks at each unit
 * and its predecessor only — never at a running total from the top of the file —
 * so an edit can regroup only the units around itself.
 *
 * Sizes are estimated from per-line token counts (each distinct line counted
 * once), so choosing cut points never re-tokenizes a candidate chunk; each final
 * chunk is then counted exactly once for its `tokens`.
 */
import { createHash } from 'node:crypto';

import type { EmbeddingProvider } from '../embed/types.js';
import { splitLines } from './lines.js';
import { splitLongLine } from './long-line.js';
import { lineFacts, unitStarts, type LineFacts } from './structure.js';

/** One piece of a file to embed, with the lines it came from. */
export interface Chunk {
  /** 0-based position in the file's chunk list. */
  index: number;
  /** 1-based, inclusive; a chunk never starts or ends on a blank line. */
  startLine: number;
  /** 1-based, inclusive. */
  endLine: number;
  /**
   * Exactly what is embedded: `splitLines(file).slice(startLine - 1, endLine).join('\n')`,
   * or, when `lineSlice` is set, that slice of the single line `startLine`.
   */
  text: string;
  /** `countTokens(text)`, never more than `maxTokens`. */
  tokens: number;
  /** First 32 hex digits of the SHA-256 of `text` (UTF-8): content only, so moved or renamed code keeps its vector. */
  hash: string;
  /**
   * Set only on the pieces of a line longer than `maxTokens`: UTF-16 offsets
   * (half-open) of `text` within that line. The pieces of one line are
   * consecutive chunks whose texts concatenate to the whole line, except that
   * a piece of nothing but whitespace is left out.
   */
  lineSlice?: { start: number; end: number };
}

export interface ChunkerOptions {
  /** Size to aim for; chunks stay under it unless one line alone is bigger. */
  targetTokens: number;
  /** Hard limit: no chunk is ever larger (the provider's `maxInputTokens`). */
  maxTokens: number;
  /** The provider's token count; must not throw on any text (special-token markers included). */
  countTokens: (text: string) => number;
  /** Names `countTokens` in the signature, so a different tokenizer means a cache miss. */
  tokenizerId: string;
}

/**
 * Bumped whenever chunking changes for any input — the structure rules, the
 * sizes, the hash, the line model — so cache files made by the old chunker
 * become misses instead of vectors that no longer match their spans.
 * test/chunk/version.test.ts pins the output to catch a change made without a bump.
 */
export const CHUNKER_VERSION = 'lines-v1';

/** About one function of typical code. */
export const DEFAULT_TARGET_TOKENS = 400;

/** Below this, options make no sense (a few code points alone can cost this much). */
const MIN_TOKENS = 16;

/** A unit at least this share of the target stands alone: "a function per chunk". */
const STANDALONE_SHARE = 1 / 4;
/** Small units pick a cut before them with a chance of their size over this many targets. */
const ANCHOR_SPAN = 2;
/** A group under this share of the target joins a neighbouring chunk. */
const TINY_SHARE = 1 / 8;

/**
 * Lines longer than this are cut into pieces without being counted whole: BPE
 * tokenizers can take seconds on one long run of letters, and no line this long
 * is worth keeping whole.
 */
const LONG_LINE_CHARS = 8192;
const LONG_LINE_CHARS_PER_TOKEN = 16;

function validate(options: ChunkerOptions): void {
  const { targetTokens, maxTokens, tokenizerId } = options;
  if (!Number.isSafeInteger(targetTokens) || targetTokens < MIN_TOKENS) {
    throw new RangeError(`targetTokens must be an integer of at least ${MIN_TOKENS}, got ${targetTokens}`);
  }
  if (!Number.isSafeInteger(maxTokens) || maxTokens < targetTokens) {
    throw new RangeError(`maxTokens must be an integer of at least targetTokens (${targetTokens}), got ${maxTokens}`);
  }
  if (typeof tokenizerId !== 'string' || tokenizerId.length === 0) {
    throw new RangeError('tokenizerId must be a non-empty string');
  }
}

/**
 * A stable string naming this chunker and everything that changes its output,
 * e.g. `lines-v1:target=400:max=8192:tok=local-v1`. Stored in each cache file:
 * a file made under another signature is a miss.
 */
export function chunkerSignature(options: ChunkerOptions): string {
  validate(options);
  const tok = encodeURIComponent(options.tokenizerId);
  return `${CHUNKER_VERSION}:target=${options.targetTokens}:max=${options.maxTokens}:tok=${tok}`;
}

/** Chunker options for a provider: its limit, its tokenizer, the default target (capped by the limit). */
export function chunkerOptionsFor(
  provider: Pick<EmbeddingProvider, 'model' | 'maxInputTokens' | 'countTokens'>,
  targetTokens: number = DEFAULT_TARGET_TOKENS,
): ChunkerOptions {
  return {
    targetTokens: Math.min(targetTokens, provider.maxInputTokens),
    maxTokens: provider.maxInputTokens,
    countTokens: (text) => provider.countTokens(text),
    tokenizerId: provider.model,
  };
}

export function contentHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

/** 32-bit FNV-1a over a line range, for the content-defined cuts between small units. */
function fnv1a(lines: readonly string[], a: number, b: number): number {
  let h = 0x811c9dc5;
  for (let i = a; i <= b; i++) {
    const line = lines[i] as string;
    for (let j = 0; j < line.length; j++) {
      h ^= line.charCodeAt(j);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 10;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

type Range = readonly [start: number, end: number];

/** State of one `chunkText` call. */
class Chunker {
  private readonly lines: readonly string[];
  private readonly facts: LineFacts;
  /** prefix[i] = estimated tokens of lines [0, i). */
  private readonly prefix: Float64Array;
  private readonly giant: Uint8Array;
  private readonly target: number;
  private readonly max: number;
  private readonly count: (text: string) => number;
  private readonly standalone: number;
  private readonly headings: boolean;
  private readonly tiny: number;
  private readonly ranges: Array<[number, number]> = [];
  /** Span of a tiny first group that joins the next chunk pushed; start -1 when none. */
  private pendingStart = -1;
  private pendingEnd = -1;

  constructor(lines: readonly string[], options: ChunkerOptions) {
    this.lines = lines;
    this.target = options.targetTokens;
    this.max = options.maxTokens;
    this.count = options.countTokens;
    this.facts = lineFacts(lines);
    this.headings = this.facts.heading.includes(1);
    this.standalone = Math.ceil(this.target * STANDALONE_SHARE);
    this.tiny = Math.ceil(this.target * TINY_SHARE);

    // Each distinct line is counted once (closing braces, blank lines and
    // imports repeat a lot); spans are then priced by prefix sums.
    const n = lines.length;
    const longChars = Math.min(LONG_LINE_CHARS, this.max * LONG_LINE_CHARS_PER_TOKEN);
    const seen = new Map<string, number>();
    this.prefix = new Float64Array(n + 1);
    this.giant = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const line = lines[i] as string;
      let tokens: number;
      if (line.length > longChars) {
        tokens = this.max + 1;
      } else {
        const known = seen.get(line);
        tokens = known ?? this.count(line);
        if (known === undefined) seen.set(line, tokens);
      }
      if (tokens > this.max) this.giant[i] = 1;
      this.prefix[i + 1] = (this.prefix[i] as number) + tokens;
    }
  }

  /**
   * Estimated tokens of lines [a, b]: the lines' own counts plus one per line
   * break. BPE often merges a break into the next line's indentation, so this
   * overestimates a little; exact counts are taken on the final text.
   */
  private estimate(a: number, b: number): number {
    return (this.prefix[b + 1] as number) - (this.prefix[a] as number) + (b - a);
  }

  run(): readonly Range[] {
    const f = this.facts;
    let a = 0;
    while (a < f.count && f.blank[a] === 1) a++;
    let b = f.count - 1;
    while (b >= a && f.blank[b] === 1) b--;
    if (a <= b) this.split(a, b);
    return this.ranges;
  }

  /** Chunks the non-blank-bounded range [a, b]: as one chunk if it fits, else unit by unit. */
  private split(a: number, b: number): void {
    if (a === b || this.estimate(a, b) <= this.target) {
      this.push([a, b]);
      return;
    }
    this.packUnits(this.units(a, b));
  }

  /** The units of [a, b], each trimmed of blank lines. */
  private units(a: number, b: number): Range[] {
    const starts = unitStarts(this.facts, a, b);
    const units: Range[] = [];
    for (let k = 0; k < starts.length; k++) {
      const start = starts[k] as number;
      let end = k + 1 < starts.length ? (starts[k + 1] as number) - 1 : b;
      while (this.facts.blank[end] === 1) end--;
      units.push([start, end]);
    }
    return units;
  }

  /**
   * Groups units into chunks. A cut before unit k depends only on units k-1 and
   * k: always around a standalone unit (a block with a nested body — function,
   * class, `if` — of at least a quarter of the target), before a heading, and
   * before a small unit whose content hash picks it as an anchor (with a chance
   * that grows with its size, so runs of small units resynchronise after an
   * edit within about two targets' worth of tokens). Between cuts, small units
   * are packed greedily up to the target. A group too small to be worth a
   * vector of its own (a lone `return x;` between two big blocks) joins the
   * chunk before it, or the chunk after it when it comes first in the range, if
   * the two together stay within the target plus the tiny share.
   */
  private packUnits(units: readonly Range[]): void {
    const alone = units.map(([start, end]) => this.standsAlone(start, end));
    const groups: Array<[first: number, last: number]> = [];
    let groupStart = 0;
    for (let k = 1; k <= units.length; k++) {
      if (k === units.length || alone[k] === true || alone[k - 1] === true || this.anchor(units[k] as Range)) {
        groups.push([groupStart, k - 1]);
        groupStart = k;
      }
    }
    const before = this.ranges.length;
    for (const [first, last] of groups) {
      const start = (units[first] as Range)[0];
      const end = (units[last] as Range)[1];
      if (groups.length > 1 && this.estimate(start, end) < this.tiny) {
        if (this.ranges.length > before) {
          // The chunk emitted last is this range's and ends just before this group.
          const previous = this.ranges[this.ranges.length - 1] as [number, number];
          if (this.estimate(previous[0], end) <= this.target + this.tiny) {
            previous[1] = end;
            continue;
          }
        } else if (this.pendingStart < 0) {
          this.pendingStart = start;
          this.pendingEnd = end;
          continue;
        } else if (this.estimate(this.pendingStart, end) < this.tiny) {
          this.pendingEnd = end;
          continue;
        }
      }
      this.packGroup(units, first, last);
    }
  }

  /**
   * A block with a body that is big enough to be worth its own vector. Prose
   * paragraphs, import lists and runs of one-line statements have no nested
   * body, so they pack together instead.
   */
  private standsAlone(start: number, end: number): boolean {
    if (this.estimate(start, end) < this.standalone) return false;
    const f = this.facts;
    let head = start;
    while (head < end && f.leading[head] === 1) head++;
    const depth = f.indent[head] as number;
    for (let i = head + 1; i <= end; i++) {
      if (f.blank[i] === 0 && f.leading[i] === 0 && (f.indent[i] as number) > depth) return true;
    }
    return false;
  }

  /** A heading, or a small unit its content hash picks as a resynchronisation point. */
  private anchor([start, end]: Range): boolean {
    if (this.headings && this.facts.heading[start] === 1) return true;
    const draw = fnv1a(this.lines, start, end) / 0x1_0000_0000;
    return draw * ANCHOR_SPAN < this.estimate(start, end) / this.target;
  }

  private packGroup(units: readonly Range[], first: number, last: number): void {
    let open: [number, number] | undefined;
    for (let k = first; k <= last; k++) {
      const [start, end] = units[k] as Range;
      if (open !== undefined && this.estimate(open[0], end) <= this.target) {
        open[1] = end;
        continue;
      }
      if (open !== undefined) this.push(open);
      open = undefined;
      if (this.estimate(start, end) > this.target) this.split(start, end);
      else open = [start, end];
    }
    if (open !== undefined) this.push(open);
  }

  /** Adds a chunk range, taking in a tiny first group waiting to join it if both fit together. */
  private push(range: [number, number]): void {
    if (this.pendingStart >= 0) {
      if (this.estimate(this.pendingStart, range[1]) <= this.target + this.tiny) range[0] = this.pendingStart;
      else this.ranges.push([this.pendingStart, this.pendingEnd]);
      this.pendingStart = -1;
    }
    this.ranges.push(range);
  }

  /** Final chunks: exact token counts, and any range still over the hard limit cut further. */
  chunks(ranges: readonly Range[]): Chunk[] {
    const out: Chunk[] = [];
    const emit = (a: number, b: number): void => {
      if (a === b && this.giant[a] === 1) {
        for (const piece of splitLongLine(this.lines[a] as string, this.target, this.count)) {
          // A run of whitespace longer than a whole piece says nothing worth a vector.
          if (piece.text.trim() === '') continue;
          out.push({
            index: out.length,
            startLine: a + 1,
            endLine: a + 1,
            text: piece.text,
            tokens: piece.tokens,
            hash: contentHash(piece.text),
            lineSlice: { start: piece.start, end: piece.end },
          });
        }
        return;
      }
      const text = this.lines.slice(a, b + 1).join('\n');
      const tokens = this.count(text);
      if (tokens > this.max && a < b) {
        // Only when the estimate was badly off (a target close to the limit and
        // a tokenizer that merges across lines): halve by estimated tokens.
        const half = (this.prefix[a] as number) + ((this.prefix[b + 1] as number) - (this.prefix[a] as number)) / 2;
        let mid = a;
        while (mid + 1 < b && (this.prefix[mid + 1] as number) < half) mid++;
        let leftEnd = mid;
        while (leftEnd > a && this.facts.blank[leftEnd] === 1) leftEnd--;
        let rightStart = mid + 1;
        while (rightStart < b && this.facts.blank[rightStart] === 1) rightStart++;
        emit(a, leftEnd);
        emit(rightStart, b);
        return;
      }
      if (tokens > this.max) {
        // A line the per-line count said fits, yet counted alone again it does not:
        // the tokenizer is not deterministic. Cut it rather than break the limit.
        this.giant[a] = 1;
        emit(a, b);
        return;
      }
      out.push({ index: out.length, startLine: a + 1, endLine: b + 1, text, tokens, hash: contentHash(text) });
    };
    for (const [a, b] of ranges) emit(a, b);
    return out;
  }
}

/**
 * Chunks of a file's text, in order. Deterministic and pure: the same text and
 * options give the same chunks on every machine. The path and language play no
 * part, because the cache is keyed by blob and one blob may sit at two paths.
 *
 * Contract (what the cache, the store and the providers rely on):
 * - Spans are 1-based and inclusive, in order and disjoint; every non-blank line
 *   is in exactly one chunk, blank lines only inside chunks. Lines are those of
 *   `splitLines`: CRLF reads as LF, a final newline adds no line, a BOM is dropped.
 * - `text` is the span's lines joined by `\n`, with no trailing newline.
 * - `tokens` is `countTokens(text)` and never exceeds `maxTokens`. Chunks aim at
 *   `targetTokens`: a tiny neighbouring block may add up to an eighth more, and
 *   a single line up to `maxTokens` is kept whole.
 * - A line over `maxTokens` tokens (or over 8192 characters) is cut into pieces
 *   of at most `targetTokens` tokens: consecutive chunks whose span is that one
 *   line, whose `lineSlice` says where the piece sits, and whose texts
 *   concatenate to the line (less any piece that would be whitespace only).
 * - An empty or whitespace-only file has no chunks.
 */
export function chunkText(text: string, options: ChunkerOptions): Chunk[] {
  validate(options);
  const lines = splitLines(text);
  const chunker = new Chunker(lines, options);
  return chunker.chunks(chunker.run());
}
