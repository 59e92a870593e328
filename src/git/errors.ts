import { ExitCode, GitctxError, UsageError } from '../errors.js';

/**
 * Errors raised while talking to git. They extend the shared typed errors so the
 * CLI maps them to exit codes without knowing about git.
 */

/** `git` itself could not be started (not installed, not on PATH). */
export class GitNotFoundError extends GitctxError {
  constructor(options?: { cause?: unknown }) {
    super('git not found: install git and make sure it is on PATH', ExitCode.unexpected, options);
  }
}

/** A git command exited non-zero; `stderr` keeps git's full explanation. */
export class GitCommandError extends GitctxError {
  readonly args: readonly string[];
  readonly exitStatus: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;

  constructor(
    args: readonly string[],
    exitStatus: number | null,
    signal: NodeJS.Signals | null,
    stderr: string,
    options?: { cause?: unknown },
  ) {
    // Status 0 with an error means git succeeded but said something we cannot parse.
    const how =
      signal !== null ? `killed by ${signal}` : exitStatus === 0 ? 'unexpected output' : `exit ${String(exitStatus)}`;
    const why = firstStderrLine(stderr);
    super(`git ${args[0] ?? ''} failed (${how})${why === '' ? '' : `: ${why}`}`, ExitCode.unexpected, options);
    this.args = args;
    this.exitStatus = exitStatus;
    this.signal = signal;
    this.stderr = stderr;
  }
}

/**
 * The repository has no commit on HEAD yet. A usage problem rather than a failure:
 * the user can commit, or index the work tree instead.
 */
export class NoCommitsError extends UsageError {
  constructor(message = 'no commits yet: commit something first, or use --worktree', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An object id asked of `git cat-file` is not in the object database. */
export class MissingObjectError extends GitctxError {
  readonly sha: string;

  constructor(sha: string, options?: { cause?: unknown }) {
    super(`git object not found: ${sha}`, ExitCode.unexpected, options);
    this.sha = sha;
  }
}

/**
 * The first meaningful line of git's stderr, without its `fatal:`/`error:` prefix,
 * so error messages stay one line while the full text stays on the error object.
 */
export function firstStderrLine(stderr: string): string {
  for (const raw of stderr.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('hint:')) continue;
    return line.replace(/^(fatal|error|warning):\s*/, '');
  }
  return '';
}
