import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const GITCTX_BIN = join(resolve(dirname(fileURLToPath(import.meta.url)), '..', '..'), 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  input?: string;
  /** Called once the process has started, e.g. to signal it. */
  onSpawn?: (child: ChildProcess) => void;
}

/**
 * Runs the built binary as a user would: its own process, a clean HOME (so no real
 * user settings or keys leak in), no TTY.
 */
export function runCli(args: readonly string[], options: CliOptions): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !/^(GITCTX_|OPENAI_|HF_)/.test(name)),
    );
    // A user settings folder that does not exist: no real settings or keys leak into a test.
    const env: Record<string, string | undefined> = {
      ...inherited,
      GITCTX_HOME: join(tmpdir(), 'gitctx-test-no-home'),
      NO_COLOR: '1',
      ...options.env,
    };
    for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
    const child = spawn(process.execPath, [GITCTX_BIN, ...args], { cwd: options.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
    options.onSpawn?.(child);
  });
}

/**
 * Runs the same command-line entry (`run` from src/cli/program.ts: the command tree, its parsing,
 * error reporting and exit codes) inside the test process, with the environment, working directory,
 * stdin, stdout and stderr a spawned `runCli` would have. About a millisecond instead of the
 * 0.3 to 1 s a node process costs to start and load the CLI, so a file can check dozens of
 * outcomes of a command and keep a few `runCli` runs to prove the binary itself behaves alike.
 *
 * Not for what only a real process shows: signals, exit on a closed pipe, locks told apart by
 * pid, `gitctx mcp`, a command running beside another, or everything that reaches stderr (only
 * process.stdout/stderr.write are captured: not what LanceDB's native code writes to the file
 * descriptor, nor dependencies' console output), so a test that stderr stays empty or never
 * shows a secret needs runCli. Calls are serialised, because the environment, cwd and standard
 * streams are the process's own.
 */
export function runCliInProcess(args: readonly string[], options: CliOptions): Promise<CliResult> {
  const turn = inProcessQueue.then(() => runInProcessNow(args, options));
  inProcessQueue = turn.then(
    () => undefined,
    () => undefined,
  );
  return turn;
}

let inProcessQueue: Promise<void> = Promise.resolve();

async function runInProcessNow(args: readonly string[], options: CliOptions): Promise<CliResult> {
  if (options.onSpawn !== undefined) throw new Error('runCliInProcess has no child process to hand to onSpawn: use runCli');
  const { run } = await import('../../src/cli/program.js');
  const savedEnv = { ...process.env };
  const savedCwd = process.cwd();
  const stdinDescriptor = Object.getOwnPropertyDescriptor(process, 'stdin');
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  let stdout = '';
  let stderr = '';
  const capture = (append: (text: string) => void) =>
    function write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
      append(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    };
  try {
    // The same environment as runCli: nothing of the user's gitctx, OpenAI or hub settings.
    for (const name of Object.keys(process.env)) if (/^(GITCTX_|OPENAI_|HF_)/.test(name)) delete process.env[name];
    const extra: Record<string, string | undefined> = { GITCTX_HOME: join(tmpdir(), 'gitctx-test-no-home'), NO_COLOR: '1', ...options.env };
    for (const [name, value] of Object.entries(extra)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    process.chdir(options.cwd);
    // A pipe that carries `input` and ends, as runCli's child gets; never the test runner's own stdin.
    const stdin = Readable.from(options.input === undefined || options.input === '' ? [] : [Buffer.from(options.input)]);
    Object.defineProperty(process, 'stdin', { value: stdin, configurable: true, enumerable: true });
    process.stdout.write = capture((text) => (stdout += text)) as typeof process.stdout.write;
    process.stderr.write = capture((text) => (stderr += text)) as typeof process.stderr.write;
    const code = await run([process.execPath, GITCTX_BIN, ...args], {
      serveMcp: () => Promise.reject(new Error('gitctx mcp needs its own process: use runCli')),
    });
    return { code, signal: null, stdout, stderr };
  } finally {
    process.stdout.write = writes.stdout;
    process.stderr.write = writes.stderr;
    if (stdinDescriptor !== undefined) Object.defineProperty(process, 'stdin', stdinDescriptor);
    process.chdir(savedCwd);
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
  }
}
