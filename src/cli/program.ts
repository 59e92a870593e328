import { Command, CommanderError } from 'commander';
import { ExitCode, exitCodeOf, GitctxError } from '../errors.js';
import { printable } from '../printable.js';
import { packageVersion } from '../version.js';
import { cacheCommand } from './commands/cache-command.js';
import { clearCommand } from './commands/clear-command.js';
import { configCommand } from './commands/config-command.js';
import { indexCommand } from './commands/index-command.js';
import { mcpCommand } from './commands/mcp-command.js';
import type { ServeMcp } from './commands/mcp-command.js';
import { searchCommand } from './commands/search-command.js';
import { statusCommand } from './commands/status-command.js';

/**
 * Builds the command tree. Each command's module is imported only when that command runs,
 * so `gitctx search` does not pay start-up time for indexing code and vice versa.
 */
export function buildProgram(adapters: { serveMcp: ServeMcp }): Command {
  const program = new Command('gitctx')
    .description('Git-native semantic code search for coding agents.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const command of [indexCommand(), searchCommand(), statusCommand(), configCommand(), cacheCommand(), clearCommand(), mcpCommand(adapters.serveMcp)]) program.addCommand(command.exitOverride());
  return program;
}

/** One line on stderr, the documented exit code; a stack only when GITCTX_DEBUG is set. */
export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // Commander has already printed its message (or the help/version text).
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
      return ExitCode.ok;
    }
    return ExitCode.usage;
  }
  const code = exitCodeOf(err);
  const message = err instanceof Error ? err.message : String(err);
  // Our own errors say what happened; anything else is a bug or an environment failure.
  const prefix = err instanceof GitctxError || code !== ExitCode.unexpected ? '' : 'unexpected error: ';
  // Messages quote paths, refs and settings values from the repository.
  process.stderr.write(`gitctx: ${prefix}${printable(firstLine(message))}\n`);
  if (process.env.GITCTX_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${printable(err.stack, true)}\n`);
  return code;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

export async function run(argv: readonly string[], adapters: { serveMcp: ServeMcp }): Promise<number> {
  const program = buildProgram(adapters);
  try {
    if (argv.length <= 2) {
      program.outputHelp({ error: true });
      return ExitCode.usage;
    }
    await program.parseAsync(argv as string[]);
    return ExitCode.ok;
  } catch (err) {
    return reportError(err);
  }
}

