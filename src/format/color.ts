/** When to colour, and the few styles the human formats use. */

/**
 * Colour only on a terminal, and never when the user asked for none: NO_COLOR set
 * to anything non-empty (no-color.org), FORCE_COLOR=0 or false (Node's and
 * supports-color's "off" values), or TERM=dumb. FORCE_COLOR never turns colour on
 * for a pipe or a file: stdout that is not a TTY stays plain text.
 */
export function shouldColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR?.trim().toLowerCase();
  if (force === '0' || force === 'false') return false;
  if (env.TERM === 'dumb') return false;
  return true;
}

/** A style wraps text in one SGR pair; with colour off every style is the identity. */
export type Style = (text: string) => string;

export interface Palette {
  path: Style;
  line: Style;
  score: Style;
  marker: Style;
  sha: Style;
  /** Line-number gutter of verbose output. */
  gutter: Style;
}

// Specific closers (39 = default colour, 22 = normal intensity) rather than a full
// reset, so a style nested in another never ends the outer one early.
function sgr(open: number, close: number): Style {
  return (text) => (text === '' ? text : `\x1b[${open}m${text}\x1b[${close}m`);
}

const identity: Style = (text) => text;

// ripgrep's choices for path and line, so the output reads like a familiar grep.
const COLORED: Palette = {
  path: sgr(35, 39),
  line: sgr(32, 39),
  score: sgr(2, 22),
  marker: sgr(32, 39),
  sha: sgr(33, 39),
  gutter: sgr(2, 22),
};

const PLAIN: Palette = {
  path: identity,
  line: identity,
  score: identity,
  marker: identity,
  sha: identity,
  gutter: identity,
};

export function palette(color: boolean): Palette {
  return color ? COLORED : PLAIN;
}
