/**
 * Where a file's structure lets it be cut. Every rule here looks only at a line
 * and the lines just before it (never at a running count such as brace depth),
 * so an edit can move break points only next to itself: that locality is what
 * keeps the chunks of untouched code identical after an edit elsewhere.
 *
 * The rules read the text alone, never its path or language: the embedding
 * cache is keyed by blob, and a blob has no path, so one blob must chunk the
 * same way wherever it appears. They are written to hold across languages —
 * indentation, closing brackets and keywords, comments, headings.
 */

/** Per-line facts, computed once per file. */
export interface LineFacts {
  readonly count: number;
  /** Whitespace only (or empty). */
  readonly blank: Uint8Array;
  /** Leading whitespace width; a tab counts 4. */
  readonly indent: Int32Array;
  /** Continues what came before (`}`, `)`, `</div>`, `else`, `end`…): never starts a unit. */
  readonly closer: Uint8Array;
  /** A section title (markdown `#` after a blank line, diff header): always starts a unit and glues to what follows. */
  readonly heading: Uint8Array;
  /** A comment, decorator or attribute line: belongs to the statement after it. */
  readonly leading: Uint8Array;
  /** Index of the previous non-blank line, or -1. */
  readonly prevNonBlank: Int32Array;
}

/**
 * Comment lines (`// …`, `# …`, `-- …`, `;; …`, `% …`, `<!-- …`, and the
 * opening, middle and closing lines of a block comment), decorators and
 * attributes (`@decorator`, `#[attr]`): lines that introduce the next statement
 * rather than stand alone. `#include` and `#define` (no space) stay statements.
 */
const LEADING = /^(?:\/\/|\/\*|\*(?:\s|$|\/)|#(?:\s|$|\[|!\[)|--\s|;;|;\s|%\s|<!--|@[\w$])/;

/**
 * A markdown heading after a blank line (or a `# section` comment in a script,
 * which plays the same part), a diff's file or hunk header. A markdown heading
 * needs no blank line before it, but a `# comment` inside a fenced block usually
 * follows code: requiring the blank line keeps those from cutting a sample in two.
 */
const HEADING = /^#{1,6}(?:[ \t]|$)/;
const DIFF_HEADING = /^(?:diff --git |@@ )/;

/**
 * Words that close or continue a block: `else:`, `except (A, B):`, `fi`, `esac`,
 * `END` — but not an assignment `fi = 3`. Lowercase or all-caps only, so prose
 * ("Then run…", "In short…") still starts paragraphs.
 */
const CLOSER_KEYWORD = /^(?:else|elif|elsif|elseif|except|finally|catch|rescue|ensure|fi|esac)\b(?![ \t]*=[^=])/;
/** Words that are also common identifiers: `end`, `end)`, `done` — but not `end = 3`, `done(x)` or `end:`. */
const CLOSER_WORD = /^(?:end|done|then|until|do|in)\b(?![ \t]*(?:=[^=]|\(|\.\w|:))/;
const CLOSER_KEYWORD_CAPS = /^(?:ELSE|ELSIF|ELSEIF|EXCEPTION|END|THEN)\b/;

export function lineFacts(lines: readonly string[]): LineFacts {
  const count = lines.length;
  const blank = new Uint8Array(count);
  const indent = new Int32Array(count);
  const closer = new Uint8Array(count);
  const heading = new Uint8Array(count);
  const leading = new Uint8Array(count);
  const prevNonBlank = new Int32Array(count);
  let lastNonBlank = -1;
  for (let i = 0; i < count; i++) {
    prevNonBlank[i] = lastNonBlank;
    const line = lines[i] as string;
    let j = 0;
    let width = 0;
    for (; j < line.length; j++) {
      const c = line.charCodeAt(j);
      if (c === 32) width++;
      else if (c === 9) width += 4;
      else break;
    }
    // Other whitespace (\r, \f, NBSP, U+3000…) still makes a blank line.
    if (j === line.length || line.trim() === '') {
      blank[i] = 1;
      continue;
    }
    indent[i] = width;
    lastNonBlank = i;
    const first = line.charCodeAt(j);
    if (first === 0x7d /* } */ || first === 0x29 /* ) */ || first === 0x5d /* ] */) closer[i] = 1;
    else if (first === 0x3c /* < */ && line.charCodeAt(j + 1) === 0x2f /* / */) closer[i] = 1;
    else if (first === 0x2a /* * */ && line.charCodeAt(j + 1) === 0x2f /* / */) closer[i] = 1;
    else if (first >= 0x41 /* A */) {
      const text = j === 0 ? line : line.slice(j);
      if (CLOSER_KEYWORD.test(text) || CLOSER_WORD.test(text) || CLOSER_KEYWORD_CAPS.test(text)) closer[i] = 1;
    }
    if (width === 0) {
      if (first === 0x23 /* # */) {
        if ((i === 0 || blank[i - 1] === 1) && HEADING.test(line)) heading[i] = 1;
      } else if (DIFF_HEADING.test(line)) {
        heading[i] = 1;
      }
    }
    if (heading[i] === 0 && LEADING.test(j === 0 ? line : line.slice(j))) leading[i] = 1;
  }
  return { count, blank, indent, closer, heading, leading, prevNonBlank };
}

/**
 * Is line `i` the start of a block at depth `depth`? It sits at that depth, does
 * not continue the previous line, and follows a paragraph break: a blank line,
 * a line indented deeper (the end of a nested body), or a closer at the same
 * depth (`}` of the previous function). Nothing may follow a heading directly:
 * the heading belongs with its first paragraph.
 */
function isBlockStart(f: LineFacts, i: number, depth: number): boolean {
  if (f.blank[i] === 1 || f.indent[i] !== depth || f.closer[i] === 1) return false;
  const prev = f.prevNonBlank[i] as number;
  if (prev < 0) return true;
  if (f.heading[prev] === 1) return false;
  if (f.heading[i] === 1) return true;
  if (prev !== i - 1) return true;
  // A comment right above a line introduces it, however it is indented (` */`).
  if (f.leading[prev] === 1) return false;
  const prevIndent = f.indent[prev] as number;
  return prevIndent > depth || (prevIndent === depth && f.closer[prev] === 1);
}

/**
 * A statement at `depth`: any line there that does not continue the one before
 * and is not introduced by a comment or decorator line right above it.
 */
function isStatementStart(f: LineFacts, i: number, depth: number): boolean {
  if (f.blank[i] === 1 || f.indent[i] !== depth || f.closer[i] === 1) return false;
  const prev = f.prevNonBlank[i] as number;
  if (prev < 0) return true;
  if (f.heading[prev] === 1) return false;
  return !(prev === i - 1 && f.leading[prev] === 1);
}

/**
 * The unit start lines of the non-blank-bounded range [a, b], `a` first: the
 * strongest kind of break the range has, tried from the outside in — blocks at
 * the range's shallowest depth, blocks one level deeper, then statements at
 * those depths, then single lines. Returns just `[a]` only for a single line.
 */
export function unitStarts(f: LineFacts, a: number, b: number): number[] {
  // Comment lines do not say where code nests (` * ` sits one column in), so
  // depths come from the other lines unless there are none.
  let code = false;
  for (let i = a; i <= b && !code; i++) code = f.blank[i] === 0 && f.leading[i] === 0;
  const counts = (i: number): boolean => f.blank[i] === 0 && (!code || f.leading[i] === 0);
  let base = Number.MAX_SAFE_INTEGER;
  for (let i = a; i <= b; i++) if (counts(i) && (f.indent[i] as number) < base) base = f.indent[i] as number;
  let deeper = Number.MAX_SAFE_INTEGER;
  for (let i = a; i <= b; i++) {
    const d = f.indent[i] as number;
    if (counts(i) && d > base && d < deeper) deeper = d;
  }
  const depths = deeper === Number.MAX_SAFE_INTEGER ? [base] : [base, deeper];
  for (const test of [isBlockStart, isStatementStart]) {
    for (const depth of depths) {
      const starts = [a];
      for (let i = a + 1; i <= b; i++) if (test(f, i, depth)) starts.push(i);
      if (starts.length > 1) return starts;
    }
  }
  const starts = [a];
  for (let i = a + 1; i <= b; i++) if (f.blank[i] === 0) starts.push(i);
  return starts;
}
