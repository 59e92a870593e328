import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';

import { GitCommandError, GitNotFoundError } from './errors.js';

/**
 * Starts git processes. Everything in src/git goes through one of these, so a test
 * can wrap the default to count processes, and nothing ever runs through a shell.
 */
export interface GitRunner {
  spawn(args: readonly string[], cwd: string): ChildProcessWithoutNullStreams;
}

/**
 * Settings that would otherwise change the output we parse: quoted paths, GPG
 * output inside `git log`, colours. Passed on every command so a user's config
 * cannot break parsing.
 */
const PARSE_SAFE_CONFIG: readonly string[] = [
  '-c', 'core.quotePath=false',
  '-c', 'log.showSignature=false',
  '-c', 'color.ui=false',
];

function gitEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    // Reads must not take index.lock behind the user's back (status refreshes the index otherwise).
    GIT_OPTIONAL_LOCKS: '0',
    // A prompt would hang a batch process with no terminal to answer it.
    GIT_TERMINAL_PROMPT: '0',
    // English messages: error text is shown to users, and stable for tests.
    LC_ALL: 'C',
  };
}

export const defaultGitRunner: GitRunner = {
  spawn(args, cwd) {
    return spawn('git', [...PARSE_SAFE_CONFIG, ...args], {
      cwd,
      env: gitEnv(),
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
  },
};

/** Caps the stderr kept for error messages: a chatty failure must not grow without bound. */
const MAX_STDERR_CHARS = 16 * 1024;

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** Set when the process could not be started at all. */
  startError: Error | null;
}

/**
 * Resolves once the process has exited and its pipes are closed, or could not be
 * started; never rejects, so it can be created before anyone awaits it without
 * risking an unhandled rejection. Collects stderr on the way.
 */
export function watchProcess(child: ChildProcessWithoutNullStreams, cwd: string): Promise<ProcessExit> {
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text: string) => {
    if (stderr.length < MAX_STDERR_CHARS) stderr += text.slice(0, MAX_STDERR_CHARS - stderr.length);
  });
  // Git closes stdin early when it fails or is killed; the exit status reports that, so EPIPE here is noise.
  child.stdin.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ERR_STREAM_DESTROYED') stderr += `\nstdin: ${err.message}`;
  });
  return new Promise((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      resolve({ code: null, signal: null, stderr, startError: startFailure(err, cwd) });
    });
    child.once('close', (code, signal) => resolve({ code, signal, stderr, startError: null }));
  });
}

function startFailure(err: NodeJS.ErrnoException, cwd: string): Error {
  // Node reports a missing cwd and a missing executable with the same ENOENT.
  if (err.code === 'ENOENT' && !existsSync(cwd)) {
    return new GitCommandError(['(start)'], null, null, `no such directory: ${cwd}`, { cause: err });
  }
  if (err.code === 'ENOENT') return new GitNotFoundError({ cause: err });
  return new GitCommandError(['(start)'], null, null, err.message, { cause: err });
}

/** The error a finished command stands for, or null when its status is one of `ok`. */
export function exitFailure(args: readonly string[], exit: ProcessExit, ok: readonly number[] = [0]): Error | null {
  if (exit.startError !== null) return exit.startError;
  if (exit.code !== null && ok.includes(exit.code)) return null;
  return new GitCommandError(args, exit.code, exit.signal, exit.stderr);
}

export interface RunGitOptions {
  /** Written to stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Exit statuses that mean success for this command (default [0]). */
  okExitCodes?: readonly number[];
}

export interface GitResult {
  stdout: Buffer;
  exitCode: number;
  stderr: string;
}

/** Runs one git command to completion and returns its whole stdout. */
export async function runGit(
  runner: GitRunner,
  cwd: string,
  args: readonly string[],
  options: RunGitOptions = {},
): Promise<GitResult> {
  const child = runner.spawn(args, cwd);
  const exited = watchProcess(child, cwd);
  const chunks: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  child.stdin.end(options.input);
  const exit = await exited;
  const failure = exitFailure(args, exit, options.okExitCodes);
  if (failure !== null) throw failure;
  return { stdout: Buffer.concat(chunks), exitCode: exit.code ?? 0, stderr: exit.stderr };
}

/**
 * Streams a git command's stdout chunk by chunk. Stopping the iteration early
 * (break, return, a throw in the loop) kills the process and waits for it, so a
 * caller that has what it needs never leaves git running.
 */
export async function* streamGit(
  runner: GitRunner,
  cwd: string,
  args: readonly string[],
  options: RunGitOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const child = runner.spawn(args, cwd);
  const exited = watchProcess(child, cwd);
  child.stdin.end(options.input);
  let completed = false;
  try {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    completed = true;
  } finally {
    if (!completed) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      // A run we stopped is not judged by its status: it exits by our signal.
      await exited;
    }
  }
  const failure = exitFailure(args, await exited, options.okExitCodes);
  if (failure !== null) throw failure;
}

/**
 * Splits NUL-terminated records arriving in arbitrary chunks (the `-z` output of
 * git commands). Bytes stay bytes until a record is complete, so a multi-byte
 * UTF-8 character split across chunks decodes correctly.
 */
export class NulSplitter {
  private rest: Buffer = Buffer.alloc(0);

  /** The complete records in `chunk` (plus what was held back), decoded as UTF-8. */
  push(chunk: Buffer): string[] {
    const data = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const records: string[] = [];
    let start = 0;
    for (let nul = data.indexOf(0, start); nul !== -1; nul = data.indexOf(0, start)) {
      records.push(data.toString('utf8', start, nul));
      start = nul + 1;
    }
    this.rest = Buffer.from(data.subarray(start));
    return records;
  }

  /** What is left after the last NUL; git's `-z` output normally leaves nothing. */
  end(): string | null {
    const tail = this.rest.length === 0 ? null : this.rest.toString('utf8');
    this.rest = Buffer.alloc(0);
    return tail;
  }
}

/** Splits a whole `-z` output into records, dropping the empty one after the final NUL. */
export function splitNul(output: Buffer): string[] {
  const splitter = new NulSplitter();
  const records = splitter.push(output);
  const tail = splitter.end();
  if (tail !== null) records.push(tail);
  return records;
}
