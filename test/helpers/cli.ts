import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
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
