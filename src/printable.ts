/**
 * The one neutraliser for text gitctx did not write: file names, commit authors and messages,
 * code, settings values, cache file names and anything an error or warning quotes from them.
 * Every path that prints such text to a terminal (search results, index and cache reports,
 * status, config, warnings, errors, MCP logs) passes it through `printable` first.
 */

/**
 * `text` made safe to print: control characters become their visible Unicode pictures (ESC
 * shows as ␛, CR as ␍, BEL as ␇), C1 controls (0x9b alone is a CSI to many terminals) and the
 * bidirectional overrides and isolates (which reorder what a reader sees, "Trojan Source")
 * become U+FFFD. So no string can send escape sequences to the terminal, overwrite or hide
 * what is printed, or split a one-line report. Tab stays; newline stays only with
 * `keepNewlines`, where the text is multi-line by nature (code).
 */
export function printable(text: string, keepNewlines = false): string {
  let out = '';
  let plainFrom = 0;
  for (let i = 0; i < text.length; i++) {
    const replacement = pictureOf(text.charCodeAt(i), keepNewlines);
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
  if (code >= 0x80 && code <= 0x9f) return '\ufffd';
  // LRE, RLE, PDF, LRO, RLO and LRI, RLI, FSI, PDI.
  if ((code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069)) return '\ufffd';
  return undefined;
}
