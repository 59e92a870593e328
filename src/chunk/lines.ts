/**
 * The line model every span refers to. Line numbers must agree with what git,
 * editors and `grep -n` show, so a line ends at `\n` (a `\r` just before it is
 * part of the ending) and nowhere else.
 */

/**
 * Splits a file into its lines, without their endings.
 *
 * - `\n` and `\r\n` end a line; the ending is not part of the line. A lone `\r`
 *   is ordinary content (as it is to git and grep).
 * - A final line ending does not start another line: `"a\nb\n"` and `"a\nb"` are
 *   both `["a", "b"]`, while `"a\n\n"` is `["a", ""]`.
 * - A leading byte-order mark (U+FEFF) is not content: it is dropped, so line 1
 *   reads the same with or without one.
 * - `""` (and a lone BOM) has no lines.
 *
 * Line `n` of a span is `splitLines(text)[n - 1]`, and a chunk's text is always
 * `splitLines(text).slice(start - 1, end).join('\n')`: endings come back as `\n`.
 */
export function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return [];
  const lines = body.split('\n');
  // Every piece but the last was followed by `\n`; the last one was not, so a `\r`
  // there is content, not half of an ending.
  const last = lines.pop() as string;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.charCodeAt(line.length - 1) === 13) lines[i] = line.slice(0, -1);
  }
  if (last !== '') lines.push(last);
  return lines;
}
