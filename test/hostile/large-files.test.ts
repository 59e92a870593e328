/**
 * One large file must not sink an index run: the size setting a repository commits
 * has a hard ceiling, and a file whose vectors could never be cached is left out
 * (as `too-large`, before any money is spent on it) while everything else is indexed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { startFakeOpenAI } from '../helpers/fake-openai-server.js';
import type { FakeOpenAI } from '../helpers/fake-openai-server.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';

/** The ceiling on `index.max_file_bytes` (8 MiB), as the error must state it. */
const CEILING = 8 * 1024 * 1024;

/**
 * Dense, deterministic code-like text: about 48 bytes and 18 cl100k tokens a line, so
 * 12,000 lines (under 600 KB, well below the default 1 MiB size limit) make about 1,200
 * chunks. At 65,536 dimensions a cache file holds at most 1,023 vectors (256 MiB).
 */
function denseSource(lines: number): string {
  let state = 1;
  const next = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const args = Array.from({ length: 8 }, () => (next() % 0xfffff).toString(36));
    out.push(`x${i}(${args.join(',')});`);
  }
  return `${out.join('\n')}\n`;
}

let server: FakeOpenAI | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('a large file cannot sink the run', () => {
  it('refuses a committed index.max_file_bytes above the ceiling: exit 2, one line naming the file and the limit', async () => {
    const origin = track(
      makeRepo({
        files: {
          'src/a.ts': 'export const a = 1;\n',
          '.gitctx/config.yml': 'index:\n  max_file_bytes: 1000000000\n',
        },
      }),
    );
    const clone = track(cloneRepo(origin));

    const result = await runCli(['index'], { cwd: clone.dir });

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/index\.max_file_bytes/);
    expect(lines[0]).toContain('.gitctx/config.yml');
    expect(lines[0]).toContain(String(CEILING));
  });

  it('skips a file whose vectors would exceed the cache file limit as too-large, before embedding it, and indexes the rest', async () => {
    server = await startFakeOpenAI({ dims: 65_536 });
    const hostileName = 'data/huge\x1b]0;owned\x07.ts';
    const origin = track(
      makeRepo({
        files: {
          'src/orders.ts': 'export function placeOrder(customer: string) {\n  return `order for ${customer}`;\n}\n',
          'src/users.ts': 'export function findUser(id: number) {\n  return { id, name: "ada" };\n}\n',
          [hostileName]: denseSource(12_000),
        },
      }),
    );
    const clone = track(cloneRepo(origin));
    const env = {
      GITCTX_MODEL__EMBEDDING: 'wide-model',
      GITCTX_MODEL__DIMENSIONS: '65536',
      OPENAI_BASE_URL: server.baseUrl,
    };

    const result = await runCli(['index', '--json'], { cwd: clone.dir, env });

    expect(result.stderr).not.toMatch(/cache file limit|unexpected error/);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout) as { files: number; skipped: Record<string, number>; embedded_chunks: number };
    expect(summary.files).toBe(2);
    expect(summary.skipped['too-large']).toBe(1);
    // One warning names the file, with its control characters neutralised.
    const warnings = result.stderr.split('\n').filter((line) => line.includes('too-large') || line.includes('huge'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('data/huge');
    expect(result.stderr).not.toContain('\x1b');
    expect(result.stderr).not.toContain('\x07');
    // Decided before embedding: no request carried any of its ~1,200 chunks.
    const embedded = server.requests.reduce((n, r) => n + r.inputs, 0);
    expect(embedded).toBe(summary.embedded_chunks);
    expect(embedded).toBeLessThan(10);

    const search = await runCli(['search', 'place order for customer', '--format', 'json'], { cwd: clone.dir, env });
    expect(search.code).toBe(0);
    const paths = (JSON.parse(search.stdout) as { results: { path: string }[] }).results.map((r) => r.path);
    expect(paths).toContain('src/orders.ts');
    expect(paths.some((p) => p.startsWith('data/'))).toBe(false);
  }, 60_000);
});
