/**
 * A reader that stops early (`gitctx search ... | head -1`) must not turn into a stack trace:
 * a closed stdout ends every command quietly with exit 0, as ripgrep does.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITCTX_BIN, runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  firstLine: string;
  stderr: string;
}

/**
 * Runs the binary with stdout piped to a reader that goes away: after the first line (as `head -1`
 * does), or at once, before the command has written anything (for output that is one line).
 */
function runWithClosingReader(args: readonly string[], cwd: string, closeAfter: 'first-line' | 'start'): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !/^(GITCTX_|OPENAI_)/.test(name)) env[name] = value;
    env.GITCTX_HOME = join(tmpdir(), 'gitctx-test-no-home');
    env.NO_COLOR = '1';
    const child = spawn(process.execPath, [GITCTX_BIN, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (closeAfter === 'start') child.stdout.destroy();
    else {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('\n')) child.stdout.destroy();
      });
    }
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, firstLine: stdout.split('\n', 1)[0] ?? '', stderr }));
  });
}

describe('a closed stdout', () => {
  let repo: TestRepo;

  beforeAll(async () => {
    // Enough matching code that 100 verbose results overflow a pipe's buffer.
    const files: Record<string, string> = {};
    for (let f = 0; f < 120; f++) {
      files[`src/client${f}.ts`] = Array.from(
        { length: 12 },
        (_, i) => `export function client${f}Request${i}(url: string) {\n  const client = connect(url);\n  return client.send({ id: ${i}, body: 'payload for the http client number ${f}' });\n}\n`,
      ).join('\n');
    }
    repo = makeRepo({ files });
    const indexed = await runCli(['index'], { cwd: repo.dir });
    expect(indexed.code, indexed.stderr).toBe(0);
  });
  afterAll(() => repo.cleanup());

  it.each(['terse', 'verbose', 'mcp'])('search --format %s | head -1: exit 0, nothing on stderr', async (format) => {
    const exit = await runWithClosingReader(['search', 'client', '-n', '100', '--format', format], repo.dir, 'first-line');
    expect(exit.firstLine).not.toBe('');
    expect(exit.stderr).toBe('');
    expect(exit).toMatchObject({ code: 0, signal: null });
  });

  it.each([
    [['search', 'client', '-n', '100', '--format', 'verbose']],
    [['search', 'client', '-n', '100', '--format', 'json']],
    [['status']],
    [['config', 'list']],
    [['index', '--json']],
    [['index', '--dry-run']],
  ])('%j with the reader already gone: exit 0, nothing on stderr', async (args) => {
    const exit = await runWithClosingReader(args, repo.dir, 'start');
    expect(exit.stderr).toBe('');
    expect(exit).toMatchObject({ code: 0, signal: null });
  });
});
