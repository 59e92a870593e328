import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { expectGolden as expectGoldenFile } from '../helpers/golden.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const goldenDir = join(dirname(fileURLToPath(import.meta.url)), 'golden');
// eslint-disable-next-line no-control-regex -- the escape character is exactly what must not appear
const ANSI = /\x1b\[/;

/** Compares with test/search/golden/<name> (see test/helpers/golden.ts). */
function expectGolden(name: string, actual: string): void {
  expectGoldenFile(join(goldenDir, name), actual);
}

const FILES: Record<string, string> = {
  'src/secrets/mask.ts': [
    '/** Hides an API key before it is printed: keeps the first and last three characters. */',
    'export function maskApiKey(key: string): string {',
    '  if (key.length <= 8) return "*".repeat(key.length);',
    '  return `${key.slice(0, 3)}...${key.slice(-3)}`;',
    '}',
    '',
  ].join('\n'),
  'src/config/parse_config.py': [
    'import yaml',
    '',
    '',
    'def parse_config(path):',
    '    """Read the YAML settings file and return a dict of settings."""',
    '    with open(path) as handle:',
    '        return yaml.safe_load(handle) or {}',
    '',
  ].join('\n'),
  'src/net/retry.go': [
    'package net',
    '',
    '// RetryWithBackoff calls fn until it succeeds, doubling the delay each time.',
    'func RetryWithBackoff(fn func() error, attempts int) error {',
    '\tdelay := 100',
    '\tvar err error',
    '\tfor i := 0; i < attempts; i++ {',
    '\t\tif err = fn(); err == nil {',
    '\t\t\treturn nil',
    '\t\t}',
    '\t\tsleep(delay)',
    '\t\tdelay *= 2',
    '\t}',
    '\treturn err',
    '}',
    '',
  ].join('\n'),
  'docs/usage.md': '# Usage\n\nRun the tool with a config file. Secrets such as API keys are never printed in full.\n',
};

let repo: TestRepo;

beforeAll(async () => {
  repo = makeRepo({ files: FILES, message: 'Add masking, config parsing and retries' });
  // A second version of mask.ts: history indexing must show it once, preferring HEAD.
  repo.write('src/secrets/mask.ts', FILES['src/secrets/mask.ts']!.replace('keeps the first', 'shows only the first'));
  repo.commit('Say exactly what the mask keeps', { author: 'Grace Hopper' });
  const indexed = await runCli(['index', '--history', '-y', '-q'], { cwd: repo.dir });
  expect(indexed.code).toBe(0);
});

afterAll(() => repo.cleanup());

const search = (args: string[], input?: string) => runCliInProcess(['search', ...args], { cwd: repo.dir, ...(input !== undefined ? { input } : {}) });

describe('gitctx search', () => {
  it('answers a question in terse format (golden): each file version once, the HEAD one marked', async () => {
    const result = await search(['where are API keys masked before printing', '-n', '3']);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(/^src\/secrets\/mask\.ts:1:\d\.\d{3} ● [0-9a-f]{7} \(2024-01-01, Grace Hopper\) "Say exactly what the mask keeps"$/));
    expect(lines).toContainEqual(expect.stringMatching(/^src\/secrets\/mask\.ts:1:\d\.\d{3} [0-9a-f]{7} \(2024-01-01, Test Author\) "Add masking, config parsing and retries"$/));
    expectGolden('terse.txt', result.stdout);
  });

  it('gives markdown for a prompt in mcp format (golden)', async () => {
    const result = await search(['parse the YAML config file', '--format', 'mcp', '-n', '2']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^---\nquery: "parse the YAML config file"\ncount: 2\n---\n/);
    expect(result.stdout).toContain('```python\n');
    expectGolden('mcp.txt', result.stdout);
  });

  it('prints the JSON shape of DESIGN.md', async () => {
    const result = await search(['retry with exponential backoff', '--format', 'json', '-n', '2']);
    const doc = JSON.parse(result.stdout);
    expect(Object.keys(doc)).toEqual(['query', 'mode', 'model', 'results', 'stale']);
    expect(doc).toMatchObject({ query: 'retry with exponential backoff', mode: 'hybrid', model: 'local-v2', stale: false });
    const [first] = doc.results;
    expect(Object.keys(first)).toEqual(expect.arrayContaining(['path', 'start_line', 'end_line', 'score', 'language', 'blob_sha', 'is_head', 'content', 'commit', 'scores']));
    expect(first).toMatchObject({ path: 'src/net/retry.go', language: 'go', is_head: true, start_line: 1, end_line: 15 });
    expect(first.commit).toMatchObject({ author: 'Test Author', date: '2024-01-01T00:00:00+00:00', message: 'Add masking, config parsing and retries' });
    expect(first.content).toContain('func RetryWithBackoff');
  });

  it.each(['hybrid', 'vector', 'text'])('finds the answer in %s mode, with scores in that mode’s units', async (mode) => {
    const result = await search(['RetryWithBackoff', '--mode', mode, '--format', 'json', '-n', '3']);
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout);
    expect(doc.mode).toBe(mode);
    expect(doc.results[0].path).toBe('src/net/retry.go');
    for (const r of doc.results) {
      if (mode === 'vector') {
        expect(Math.abs(r.score)).toBeLessThanOrEqual(1);
        expect(r.scores).toEqual({ vector: r.score });
      }
      if (mode === 'text') {
        expect(Object.keys(r.scores)).toEqual(['text']);
        expect(r.score).toBeCloseTo(r.scores.text / (r.scores.text + 10), 12);
      }
      if (mode === 'hybrid') {
        expect(r.score).toBeGreaterThan(0);
        expect(r.score).toBeLessThanOrEqual(1);
        expect(r.scores.vector ?? r.scores.text).toBeDefined();
      }
    }
  });

  it('scores absolutely: a question the code does not answer scores below one it does, and --min-score cuts on that scale', async () => {
    const json = async (args: string[]) => JSON.parse((await search([...args, '--format', 'json'])).stdout) as { results: { path: string; score: number; scores: { vector?: number; text?: number } }[] };
    const answered = 'retry with exponential backoff';
    const unanswered = 'render a 3D scene with WebGL shaders';
    const real = await json([answered]);
    const none = await json([unanswered]);
    const top = (doc: typeof real) => doc.results[0]?.score ?? 0;
    expect(real.results[0]).toMatchObject({ path: 'src/net/retry.go', scores: { vector: expect.any(Number), text: expect.any(Number) } });
    expect(top(none)).toBeLessThan(top(real) * 0.75);

    const cut = (top(real) + top(none)) / 2;
    const kept = await json([answered, '--min-score', String(cut)]);
    expect(kept.results[0]?.path).toBe('src/net/retry.go');
    expect(kept.results.every((r) => r.score >= cut)).toBe(true);
    expect((await json([unanswered, '--min-score', String(cut)])).results).toEqual([]);
  });

  it('-n cuts one fixed ranking: -n 2 is a prefix of -n 20 for several queries', async () => {
    const ranking = async (query: string, n: string) =>
      JSON.parse((await search([query, '--format', 'json', '-n', n])).stdout).results.map((r: { path: string; start_line: number; blob_sha: string }) => `${r.path}:${r.start_line}:${r.blob_sha}`);
    for (const query of ['where are API keys masked before printing', 'parse the YAML config file', 'retry with backoff', 'settings']) {
      const [two, twenty] = await Promise.all([ranking(query, '2'), ranking(query, '20')]);
      expect(two, query).toEqual(twenty.slice(0, 2));
    }
  });

  it('matches identifiers by their words in text mode', async () => {
    const doc = JSON.parse((await search(['mask api key', '--mode', 'text', '--format', 'json'])).stdout);
    expect(doc.results[0].path).toBe('src/secrets/mask.ts');
  });

  it('reads the query from stdin', async () => {
    const result = await search(['--format', 'json', '-n', '1'], 'parse_config yaml settings\n');
    expect(JSON.parse(result.stdout)).toMatchObject({ query: 'parse_config yaml settings', results: [{ path: 'src/config/parse_config.py' }] });
  });

  it('filters by path, language and HEAD, and shows older versions without --head-only', async () => {
    const byPath = JSON.parse((await search(['settings', '--path', '*.md', '--format', 'json'])).stdout);
    expect(byPath.results.map((r: { path: string }) => r.path)).toEqual(['docs/usage.md']);
    const byLang = JSON.parse((await search(['settings', '--lang', 'python', '--format', 'json'])).stdout);
    expect(new Set(byLang.results.map((r: { language: string }) => r.language))).toEqual(new Set(['python']));
    const all = JSON.parse((await search(['mask the key', '--format', 'json', '--path', 'src/secrets/'])).stdout);
    expect(all.results.length).toBeGreaterThanOrEqual(2);
    expect(all.results.some((r: { is_head: boolean }) => !r.is_head)).toBe(true);
    const head = JSON.parse((await search(['mask the key', '--format', 'json', '--path', 'src/secrets/', '--head-only'])).stdout);
    expect(head.results.every((r: { is_head: boolean }) => r.is_head)).toBe(true);
  });

  it('verbose shows the code with real line numbers, and no ANSI anywhere when piped', async () => {
    const verbose = await search(['RetryWithBackoff', '--format', 'verbose', '-n', '1']);
    expect(verbose.stdout).toMatch(/^src\/net\/retry\.go:1:/);
    expect(verbose.stdout).toMatch(/^ {0,2}4 │ func RetryWithBackoff/m);
    for (const format of ['terse', 'verbose', 'mcp', 'json']) {
      const piped = await runCli(['search', 'config', '--format', format], { cwd: repo.dir, env: { NO_COLOR: undefined, FORCE_COLOR: '1' } });
      expect(piped.stdout).not.toMatch(ANSI);
      expect(piped.stderr).not.toMatch(ANSI);
    }
  });

  it('says "no results" on stderr with exit 0', async () => {
    const result = await search(['zzqxj', '--mode', 'text']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/no results/);
  });

  it('exit 2 for an empty query, -n out of range, a bad mode, or a query over the token limit', async () => {
    for (const [args, message] of [
      [[], /empty query/],
      [['   '], /empty query/],
      [['x', '-n', '0'], /^gitctx: invalid value "0" for search\.limit in -n\/--limit: must be a whole number from 1 to 100\n$/],
      [['x', '-n', '101'], /invalid value "101" for search\.limit in -n\/--limit: must be a whole number from 1 to 100/],
      [['x', '-n', 'many'], /invalid value "many" for search\.limit in -n\/--limit: must be a whole number from 1 to 100/],
      [['x', '--min-score', 'high'], /invalid value "high" for search\.min_score in --min-score: must be a number/],
      [['x', '--mode', 'fuzzy'], /fuzzy/],
      [['word '.repeat(20_000)], /query is \d+ tokens; the limit for this model is \d+/],
    ] as [string[], RegExp][]) {
      const result = await search(args);
      expect(result.code, args.join(' ').slice(0, 40)).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(result.stdout).toBe('');
    }
  });

  it('--lang accepts aliases; an unknown name exits 2 listing the known ones, even before any index', async () => {
    const byAlias = JSON.parse((await search(['settings', '--lang', 'py', '--format', 'json'])).stdout);
    expect(byAlias.results.map((r: { path: string }) => r.path)).toEqual(['src/config/parse_config.py']);
    const unknown = await search(['settings', '--lang', 'klingon']);
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toMatch(/^gitctx: --lang: unknown language "klingon"; known: .*\bgo\b.*\bpython\b.*\btypescript\b.*\(and aliases such as js, ts, py, go/);
    expect(unknown.stderr.split('\n')).toHaveLength(2);
    const fresh = makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    try {
      expect((await runCli(['search', 'anything', '--lang', 'klingon'], { cwd: fresh.dir })).code).toBe(2);
    } finally {
      fresh.cleanup();
    }
  });

  it('exit 8 with a hint before any index', async () => {
    const fresh = makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    try {
      const result = await runCli(['search', 'anything'], { cwd: fresh.dir });
      expect(result.code).toBe(8);
      expect(result.stderr).toMatch(/run `gitctx index`/);
    } finally {
      fresh.cleanup();
    }
  });
});

describe('gitctx search: the file-kind prior', () => {
  it('ranks the source file above the test, README and changelog that repeat the words; --all-kinds ranks them alike', async () => {
    const kinds = makeRepo({
      files: {
        'lib/redirects.js': 'export function followRedirects(response) {\n  return response.headers.location;\n}\n',
        'test/redirects.test.js': 'it("follows redirects", () => followRedirects(redirect));\n// follow redirects follow redirects\n',
        'README.md': '# Redirects\n\nThe client can follow redirects. To follow redirects, set followRedirects.\n',
        'CHANGELOG.md': '## 1.2\n\n- follow redirects: follow redirects across hosts (followRedirects)\n',
      },
    });
    try {
      expect((await runCli(['index', '-y', '-q'], { cwd: kinds.dir })).code).toBe(0);
      const paths = async (...extra: string[]) =>
        JSON.parse((await runCli(['search', 'follow redirects', '--mode', 'text', '--format', 'json', ...extra], { cwd: kinds.dir })).stdout).results.map(
          (r: { path: string }) => r.path,
        );
      const preferred = await paths();
      const alike = await paths('--all-kinds');
      expect(preferred[0]).toBe('lib/redirects.js');
      expect(alike[0]).not.toBe('lib/redirects.js');
      expect(new Set(alike)).toEqual(new Set(preferred));
      const bySetting = await runCli(['search', 'follow redirects', '--mode', 'text', '--format', 'json'], {
        cwd: kinds.dir,
        env: { GITCTX_SEARCH__PREFER_SOURCE: 'false' },
      });
      expect(JSON.parse(bySetting.stdout).results.map((r: { path: string }) => r.path)).toEqual(alike);
      const bad = await runCli(['search', 'x'], { cwd: kinds.dir, env: { GITCTX_SEARCH__PREFER_SOURCE: 'maybe' } });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/search\.prefer_source.*must be true or false/);
    } finally {
      kinds.cleanup();
    }
  });
});

describe('gitctx search: an index behind HEAD', () => {
  it('says so in one line on stderr and with stale: true in JSON, and not once the index catches up', async () => {
    const behind = makeRepo({ files: { 'src/a.ts': 'export function retryWithBackoff() {}\n' } });
    try {
      expect((await runCli(['index', '-y', '-q'], { cwd: behind.dir })).code).toBe(0);
      const indexed = behind.git(['rev-parse', 'HEAD']).trim();
      behind.write('src/b.ts', 'export function parseConfig() {}\n');
      const head = behind.commit('add b');
      const stale = await runCli(['search', 'retry', '--format', 'json'], { cwd: behind.dir });
      expect(stale.code).toBe(0);
      expect(stale.stderr).toBe(`gitctx: the index is at ${indexed.slice(0, 7)}, HEAD is ${head.slice(0, 7)}: run gitctx index\n`);
      expect(JSON.parse(stale.stdout)).toMatchObject({ stale: true, results: [{ path: 'src/a.ts' }] });
      const mcp = await runCli(['search', 'retry', '--format', 'mcp'], { cwd: behind.dir });
      expect(mcp.stdout).toMatch(/^---\nquery: "retry"\ncount: 1\nstale: true\n---\n/);
      expect((await runCli(['index', '-y', '-q'], { cwd: behind.dir })).code).toBe(0);
      const fresh = await runCli(['search', 'retry', '--format', 'json'], { cwd: behind.dir });
      expect(fresh.stderr).toBe('');
      expect(JSON.parse(fresh.stdout).stale).toBe(false);
    } finally {
      behind.cleanup();
    }
  });
});
