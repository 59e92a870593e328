/**
 * A cloned repository's globs cannot hang gitctx. `index.exclude` comes from the
 * committed `.gitctx/config.yml` and `--path` from an agent over MCP; a pattern like
 * `*a*a*a*...*b` against a long run of `a`s once took minutes in a backtracking
 * matcher, ignored Ctrl+C and blocked every other MCP request.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { track } from '../helpers/cleanup.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import { call, connect } from '../mcp/support.js';

const PATHOLOGICAL = `${'*a'.repeat(12)}*b`;
const LONG_NAME = `src/${'a'.repeat(40)}.ts`;
// Twelve `a`s then a `b`: the one file the pattern does exclude.
const MATCHING_NAME = `src/${'a'.repeat(12)}b`;

/** A clone of a repository that commits `exclude` as its index.exclude; removed after the test unless `keep`. */
function hostileRepo(exclude: readonly string[], keep = false): TestRepo {
  const source = track(
    makeRepo({
      files: {
        '.gitctx/config.yml': `index:\n  exclude: ${JSON.stringify(exclude)}\n`,
        [LONG_NAME]: 'export function parseInvoice(text: string) { return text.trim(); }\n',
        [MATCHING_NAME]: 'export const excluded = true;\n',
        'src/main.ts': 'export function main() { return 1; }\n',
      },
    }),
  );
  const clone = cloneRepo(source);
  return keep ? clone : track(clone);
}

/** Runs `fn` and says how long it took, in seconds. */
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const value = await fn();
  return [value, (performance.now() - started) / 1000];
}

describe('a pathological glob', () => {
  it('committed as index.exclude: index finishes in seconds and excludes only what matches', async () => {
    const clone = hostileRepo([PATHOLOGICAL]);
    const [result, seconds] = await timed(() => runCli(['index', '-v'], { cwd: clone.dir }));
    expect(result.code, result.stderr).toBe(0);
    expect(seconds).toBeLessThan(20);
    expect(result.stderr).toContain(`skip excluded: ${MATCHING_NAME}`);
    expect(result.stderr).not.toContain(LONG_NAME);
  });

});

describe('a pathological --path glob', () => {
  let clone: TestRepo;

  beforeAll(async () => {
    clone = hostileRepo([], true);
    const indexed = await runCli(['index'], { cwd: clone.dir });
    expect(indexed.code, indexed.stderr).toBe(0);
  });
  afterAll(() => clone.cleanup());

  it('in search: answers in seconds', async () => {
    const [result, seconds] = await timed(() =>
      runCli(['search', 'parse invoice', '--mode', 'text', '--path', PATHOLOGICAL, '--path', `${'*a'.repeat(12)}*s`], { cwd: clone.dir }),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(seconds).toBeLessThan(10);
    expect(result.stdout).toContain(LONG_NAME);
  });

  it('over MCP: a status sent after the slow search is answered promptly', async () => {
    const session = await connect(clone.dir);
    try {
      const search = call(session.client, 'search', { query: 'parse invoice', mode: 'text', path: PATHOLOGICAL });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const [status, seconds] = await timed(() => call(session.client, 'status'));
      expect(status.isError ?? false, status.text).toBe(false);
      expect(seconds).toBeLessThan(5);
      expect((await search).isError ?? false).toBe(false);
    } finally {
      await session.close();
    }
  });
});

describe('glob validation', () => {
  const tooMany = Array.from({ length: 40 }, (_, i) => `*${String.fromCharCode(97 + (i % 26))}`).join('');
  const tooLong = `src/${'x'.repeat(2000)}`;
  const tooManyBraces = '{a,b}'.repeat(10);

  it.each([
    ['too many wildcards', tooMany],
    ['too long', tooLong],
    ['too many brace alternatives', tooManyBraces],
  ])('index.exclude %s: exit 2 with one line naming the setting', async (_label, glob) => {
    const clone = hostileRepo([glob]);
    const result = await runCli(['index'], { cwd: clone.dir });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gitctx: index\.exclude: /);
  });

  it.each([
    ['too many wildcards', tooMany],
    ['too long', tooLong],
    ['too many brace alternatives', tooManyBraces],
  ])('search --path %s: exit 2 with one line naming the flag', async (_label, glob) => {
    const clone = hostileRepo([]);
    const result = await runCli(['search', 'anything', '--path', glob], { cwd: clone.dir });
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^gitctx: --path: /);
  });
});

describe('Ctrl+C', () => {
  it('ends a running index within a couple of seconds, exit 130', async () => {
    const server = await startFakeOpenAI({ dims: 16, delayMs: 30_000 });
    try {
      const clone = hostileRepo([PATHOLOGICAL]);
      let child: ChildProcess | undefined;
      const running = runCli(['index'], {
        cwd: clone.dir,
        env: { OPENAI_API_KEY: 'sk-test-key', GITCTX_MODEL__EMBEDDING: 'test-model', GITCTX_MODEL__BASE_URL: server.baseUrl },
        onSpawn: (spawned) => (child = spawned),
      });
      await expect.poll(() => server.requests.length, { timeout: 20_000 }).toBeGreaterThan(0);
      const interruptedAt = performance.now();
      child!.kill('SIGINT');
      const result = await running;
      expect((performance.now() - interruptedAt) / 1000).toBeLessThan(3);
      expect(result.code, result.stderr).toBe(130);
    } finally {
      await server.close();
    }
  });
});
