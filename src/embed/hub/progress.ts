/**
 * The download progress line on stderr: bytes, percent and file, redrawn in place at most a few
 * times a second, and only on a terminal (a log or a pipe gets nothing). The file name comes
 * from settings a repository may commit, so it passes printable() first.
 */
import { printable } from '../../printable.js';

const REDRAW_MS = 100;

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** An `onProgress` for ensureModelFiles, or undefined when `stream` is not a terminal. */
export function terminalProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): ((done: number, total: number, file: string) => void) | undefined {
  if (stream.isTTY !== true) return undefined;
  let last = 0;
  let finished = false;
  return (done, total, file) => {
    const now = Date.now();
    const complete = total > 0 && done >= total;
    if (finished || (!complete && now - last < REDRAW_MS)) return;
    last = now;
    const percent = total > 0 ? Math.floor((done / total) * 100) : 0;
    const columns = stream.columns > 20 ? stream.columns : 80;
    const line = printable(`gitctx: downloading ${label}: ${mib(done)} of ${mib(total)} (${percent}%) ${file}`).slice(0, columns - 1);
    stream.write(`\r\x1b[2K${line}${complete ? '\n' : ''}`);
    finished = complete;
  };
}
