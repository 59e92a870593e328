/**
 * Syntax highlighting for verbose output on a terminal.
 *
 * A `Highlighter` turns code and a language id (the fence names of
 * src/chunk/language.ts) into the same text with ANSI SGR sequences added. It is
 * pluggable: `FormatOptions.highlighter` replaces the default, which is loaded
 * with `await import()` only when colour is on, so terse, json, mcp and piped
 * output never load it. The default is a small built-in tokenizer (comments,
 * strings, keywords, numbers); a library can take its place by changing
 * `loadHighlighter` alone. The candidate weighed is @speed-highlight/core
 * (`highlightANSI`, no dependencies): it names languages its own way (`ts`, `py`,
 * `rs`), so it needs a map from our ids, and its colours cross line ends, which
 * `splitAnsiLines` already repairs.
 *
 * Whatever highlighter runs, its output is checked, not trusted: with its colour
 * (SGR) sequences removed it must equal the input, or the code is printed plain; and
 * styles are closed at every line end and reopened on the next line, so the line
 * number gutter is never coloured by a comment that spans lines.
 */

export type Highlighter = (code: string, language: string) => string | Promise<string>;

/** The default highlighter, imported on first use (the module cache keeps it after). */
export async function loadHighlighter(): Promise<Highlighter> {
  const { highlight } = await import('./builtin.js');
  return highlight;
}

// SGR ("ESC [ params m"): colours and attributes, the one escape a highlighter may emit.
// eslint-disable-next-line no-control-regex -- matching escape sequences is the point
const SGR = /\x1b\[([0-9;]*)m/g;

/** `text` without its SGR sequences; any other escape is left in place. */
export function stripSgr(text: string): string {
  return text.replace(SGR, '');
}

/**
 * Highlighted text split into lines that each carry their own styling: the styles
 * open at a line's start are re-sent before it, and a line that ends styled is
 * reset, so lines can be printed with anything between them.
 */
export function splitAnsiLines(text: string): string[] {
  const lines: string[] = [];
  const state: SgrState = new Map();
  for (const line of text.split('\n')) {
    const prefix = state.size > 0 ? `\x1b[${[...state.values()].join(';')}m` : '';
    for (const match of line.matchAll(SGR)) applySgr(state, match[1] ?? '');
    lines.push(prefix + line + (state.size > 0 ? '\x1b[0m' : ''));
  }
  return lines;
}

/** Active SGR attributes by slot (fg, bg, bold...), each with the parameters that set it. */
type SgrState = Map<string, string>;

const ATTRIBUTE_ON: Readonly<Record<number, string>> = { 1: 'bold', 2: 'dim', 3: 'italic', 4: 'underline', 7: 'inverse', 9: 'strike' };
const ATTRIBUTE_OFF: Readonly<Record<number, readonly string[]>> = {
  22: ['bold', 'dim'],
  23: ['italic'],
  24: ['underline'],
  27: ['inverse'],
  29: ['strike'],
  39: ['fg'],
  49: ['bg'],
};

// Tracks slots rather than replaying every sequence, so a closed style (32 then 39)
// leaves nothing to reopen and plain lines stay free of escapes.
function applySgr(state: SgrState, params: string): void {
  const codes = params === '' ? [0] : params.split(';').map(Number);
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0;
    if (code === 0) {
      state.clear();
    } else if (code === 38 || code === 48) {
      // Extended colour: 38;5;n or 38;2;r;g;b.
      const width = codes[i + 1] === 5 ? 2 : codes[i + 1] === 2 ? 4 : 0;
      state.set(code === 38 ? 'fg' : 'bg', codes.slice(i, i + 1 + width).join(';'));
      i += width;
    } else if ((code >= 30 && code <= 37) || (code >= 90 && code <= 97)) {
      state.set('fg', String(code));
    } else if ((code >= 40 && code <= 47) || (code >= 100 && code <= 107)) {
      state.set('bg', String(code));
    } else if (ATTRIBUTE_ON[code] !== undefined) {
      state.set(ATTRIBUTE_ON[code], String(code));
    } else if (ATTRIBUTE_OFF[code] !== undefined) {
      for (const slot of ATTRIBUTE_OFF[code]) state.delete(slot);
    } else {
      // Unknown to this model: keep reopening it until a full reset.
      state.set(`sgr${code}`, String(code));
    }
  }
}

/** `code` as highlighted lines, or as its plain lines when the highlighter changed the text. */
export async function highlightLines(highlighter: Highlighter, code: string, language: string): Promise<string[]> {
  const highlighted = await highlighter(code, language);
  // The code arrives with control characters made printable, so any escape left
  // after removing SGR (cursor moves, titles) was added by the highlighter.
  if (stripSgr(highlighted) !== code) return code.split('\n');
  return splitAnsiLines(highlighted);
}
