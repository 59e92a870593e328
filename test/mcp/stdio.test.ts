/**
 * The stdio contract without the SDK's client in between: every byte on standard
 * output is a JSON-RPC message, logs go to standard error, requests written before
 * standard input closes are all answered, and the process ends by itself on end of
 * input and on SIGTERM.
 */
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GITCTX_BIN, runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { serverEnv } from './support.js';

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function startServer(cwd: string): { child: ChildProcessWithoutNullStreams; exited: Promise<Exit>; stdout: () => string } {
  const child = spawn(process.execPath, [GITCTX_BIN, 'mcp'], { cwd, env: serverEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<Exit>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gitctx mcp did not exit; stderr:\n${stderr}`));
    }, 15_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited, stdout: () => stdout };
}

const line = (message: object) => `${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`;

const INITIALIZE = line({
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw-test', version: '0' } },
});

function parseLines(stdout: string): Array<Record<string, unknown>> {
  expect(stdout.endsWith('\n')).toBe(true);
  return stdout
    .slice(0, -1)
    .split('\n')
    .map((text) => {
      const message = JSON.parse(text) as Record<string, unknown>;
      expect(message.jsonrpc).toBe('2.0');
      return message;
    });
}

let repo: TestRepo;

beforeAll(async () => {
  repo = makeRepo({
    files: {
      'src/keys.ts': 'export function maskApiKey(key: string): string {\n  return `${key.slice(0, 3)}...${key.slice(-3)}`;\n}\n',
      'README.md': '# Example\n\nA readme about nothing in particular.\n',
    },
  });
  const indexed = await runCli(['index', '-q'], { cwd: repo.dir });
  expect(indexed.code, indexed.stderr).toBe(0);
});

afterAll(() => repo?.cleanup());

describe('gitctx mcp on raw stdio', () => {
  it('writes only JSON-RPC to stdout, answers every request written before stdin closed, then exits 0', async () => {
    const server = startServer(repo.dir);
    server.child.stdin.end(
      [
        INITIALIZE,
        line({ method: 'notifications/initialized' }),
        line({ id: 2, method: 'tools/list' }),
        line({ id: 3, method: 'tools/call', params: { name: 'search', arguments: { query: 'mask api key' } } }),
        'this line is not JSON\n',
        line({ id: 4, method: 'tools/call', params: { name: 'search', arguments: { query: 'x', limit: 0 } } }),
        line({ id: 5, method: 'tools/call', params: { name: 'status', arguments: {} } }),
        line({ id: 'six', method: 'tools/call', params: { name: 'search', arguments: { query: 'readme', mode: 'text' } } }),
        line({ id: 7, method: 'no/such/method' }),
      ].join(''),
    );
    const exit = await server.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });

    const messages = parseLines(exit.stdout);
    const byId = new Map(messages.map((m) => [m.id, m]));
    expect([...byId.keys()].sort((a, b) => String(a).localeCompare(String(b)))).toEqual([1, 2, 3, 4, 5, 7, 'six']);
    const search = byId.get(3) as { result: { structuredContent: { results: Array<{ path: string }> } } };
    expect(search.result.structuredContent.results[0]?.path).toBe('src/keys.ts');
    expect(byId.get(4)).toMatchObject({ result: { isError: true } });
    expect(byId.get(5)).toMatchObject({ result: { structuredContent: { files: 2, stale: false } } });
    expect(byId.get('six')).toMatchObject({ result: { structuredContent: { mode: 'text' } } });
    expect(byId.get(7)).toMatchObject({ error: { code: -32601 } });

    expect(exit.stderr).toMatch(/^gitctx mcp: serving /m);
    expect(exit.stderr).toMatch(/protocol error/);
  });

  it('exits 0 on SIGTERM with its index open', async () => {
    const server = startServer(repo.dir);
    server.child.stdin.write(INITIALIZE);
    server.child.stdin.write(line({ id: 2, method: 'tools/call', params: { name: 'search', arguments: { query: 'mask' } } }));
    await expect.poll(() => server.stdout().split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(2);
    server.child.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit, exit.stderr).toMatchObject({ code: 0, signal: null });
    parseLines(exit.stdout);
  });
});
