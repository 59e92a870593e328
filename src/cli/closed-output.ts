import { ExitCode } from '../errors.js';

/**
 * A reader that stops early (gitctx search piped into head -1) closes the pipe; the next write
 * fails with EPIPE. That is not an error: the reader has what it wanted, so the process ends
 * at once, quietly, with exit 0, as ripgrep does. Any other write error stays fatal.
 */
export function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(ExitCode.ok);
      throw err;
    });
  }
}
