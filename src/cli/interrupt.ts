import { ExitCode } from '../errors.js';

/** How long a command that listens for Ctrl+C itself gets to stop cleanly before the process ends anyway. */
export const INTERRUPT_GRACE_MS = 1_000;

/**
 * Ctrl+C ends every command within a second, with exit 130. Commands with work to save (index,
 * cache verify, the MCP server) listen for SIGINT themselves and stop at their next check; this
 * handler is the backstop for the rest and for a command whose clean stop takes too long. A
 * second Ctrl+C, which the commands' one-shot listeners no longer see, ends the process at once.
 */
export function installInterruptHandler(): void {
  process.on('SIGINT', () => {
    if (process.listenerCount('SIGINT') > 1) setTimeout(exitInterrupted, INTERRUPT_GRACE_MS).unref();
    else exitInterrupted();
  });
}

function exitInterrupted(): never {
  process.stderr.write('gitctx: interrupted\n');
  process.exit(ExitCode.interrupted);
}
