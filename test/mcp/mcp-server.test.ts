/**
 * `gitctx mcp` end to end: the built binary, driven by the SDK's own Client over
 * stdio, in a real temp repository. One server process lives through the whole
 * story (no index → index → search → re-index), so the Searcher it keeps open
 * between calls is exercised across an index change too.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchOutputSchema, statusOutputSchema } from '../../src/mcp/schemas.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { call, connect } from './support.js';
import type { McpSession } from './support.js';

const FILES = {
  'src/keys.ts': [
    '/** Shows an API key as its first and last three characters, so logs never hold a secret. */',
    'export function maskApiKey(key: string): string {',
    '  if (key.length <= 8) return "***";',
    '  return `${key.slice(0, 3)}...${key.slice(-3)}`;',
    '}',
    '',
  ].join('\n'),
  'src/retry.ts': [
    '/** Waits longer after each failed attempt: exponential backoff with jitter. */',
    'export async function withRetry<T>(attempt: () => Promise<T>, tries = 5): Promise<T> {',
    '  for (let i = 0; ; i++) {',
    '    try {',
    '      return await attempt();',
    '    } catch (err) {',
    '      if (i + 1 >= tries) throw err;',
    '      await new Promise((r) => setTimeout(r, 2 ** i * 100 * Math.random()));',
    '    }',
    '  }',
    '}',
    '',
  ].join('\n'),
  'lib/config.py': [
    'import yaml',
    '',
    'def parse_config(path):',
    '    """Reads the YAML settings file and fills in defaults."""',
    '    with open(path) as f:',
    '        data = yaml.safe_load(f) or {}',
    '    data.setdefault("limit", 10)',
    '    return data',
    '',
  ].join('\n'),
  'docs/guide.md': ['# Guide', '', 'Run the tool with a configuration file to change the result limit.', ''].join('\n'),
};

let repo: TestRepo;
let mcp: McpSession;

beforeAll(async () => {
  repo = makeRepo({ files: FILES });
  mcp = await connect(repo.dir);
});

afterAll(async () => {
  await mcp?.close();
  repo?.cleanup();
});

describe('gitctx mcp', () => {
  it('initializes as gitctx at the package version and lists search and status with their schemas', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(mcp.client.getServerVersion()).toMatchObject({ name: 'gitctx', version: pkg.version });
    expect(mcp.client.getInstructions()).toMatch(/search/);

    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['search', 'status']);
    const search = tools.find((t) => t.name === 'search')!;
    expect(search.description).toMatch(/gitctx index/);
    expect(search.inputSchema.required).toEqual(['query']);
    const props = search.inputSchema.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(props).sort()).toEqual(['all_kinds', 'head_only', 'lang', 'limit', 'mode', 'path', 'query']);
    expect(props.limit).toMatchObject({ type: 'integer', minimum: 1, maximum: 100 });
    expect(props.all_kinds).toMatchObject({ type: 'boolean' });
    expect(props.mode).toMatchObject({ enum: ['hybrid', 'vector', 'text'] });
    for (const prop of Object.values(props)) expect(prop.description).toEqual(expect.any(String));
    expect(search.outputSchema?.required).toEqual(['query', 'mode', 'model', 'stale', 'results']);
    expect(search.annotations).toMatchObject({ readOnlyHint: true });

    const status = tools.find((t) => t.name === 'status')!;
    expect(status.inputSchema.properties ?? {}).toEqual({});
    expect(status.outputSchema?.required).toContain('indexed_commit');
  });

  it('reports status before any index: no model, nothing indexed, stale', async () => {
    const result = await call(mcp.client, 'status');
    expect(result.isError).toBeFalsy();
    const report = statusOutputSchema.parse(result.structuredContent);
    expect(report).toMatchObject({ indexed_commit: null, model: null, files: 0, chunks: 0, stale: true, head: repo.head() });
    expect(result.text).toMatch(/run `gitctx index`/);
  });

  it('answers a search before any index with a tool error that says how to index', async () => {
    const result = await call(mcp.client, 'search', { query: 'mask the api key' });
    expect(result.isError).toBe(true);
    expect(result.structuredContent).toBeUndefined();
    expect(result.text).toBe(`no index yet: run \`gitctx index\` in ${repo.dir}`);
    expect(mcp.stderr()).toMatch(/NoIndexError: no index yet/);
  });

  it('searches once the repository is indexed: markdown for the model, the JSON document as structured content', async () => {
    const indexed = await runCli(['index', '-q'], { cwd: repo.dir });
    expect(indexed.code, indexed.stderr).toBe(0);

    const result = await call(mcp.client, 'search', { query: 'mask the API key before logging it' });
    expect(result.isError).toBeFalsy();
    expect(result.text).toMatch(/^---\nquery: "mask the API key before logging it"\n/);
    expect(result.text).toContain('`src/keys.ts:1-5`');
    expect(result.text).toContain('export function maskApiKey');

    const json = searchOutputSchema.parse(result.structuredContent);
    expect(json).toMatchObject({ query: 'mask the API key before logging it', mode: 'hybrid', model: 'local-v2', stale: false });
    expect(json.results.length).toBeGreaterThan(0);
    expect(json.results.length).toBeLessThanOrEqual(10);
    expect(json.results[0]).toMatchObject({
      path: 'src/keys.ts',
      start_line: 1,
      end_line: 5,
      language: 'typescript',
      is_head: true,
      uncommitted: false,
      commit: { sha: repo.head(), author: 'Test Author', message: 'initial commit' },
    });
    expect(json.results[0]!.content).toBe(FILES['src/keys.ts'].trimEnd());
    expect(json.results[0]!.blob_sha).toBe(repo.git(['rev-parse', 'HEAD:src/keys.ts']).trim());
  });

  it('applies limit, path globs, mode and lang', async () => {
    const one = await call(mcp.client, 'search', { query: 'config limit', limit: 1 });
    expect(searchOutputSchema.parse(one.structuredContent).results).toHaveLength(1);

    const inSrc = searchOutputSchema.parse((await call(mcp.client, 'search', { query: 'config limit key retry', path: 'src/**' })).structuredContent);
    expect(inSrc.results.length).toBeGreaterThan(0);
    for (const r of inSrc.results) expect(r.path).toMatch(/^src\//);

    const globs = await call(mcp.client, 'search', { query: 'config limit', path: ['*.md', '*.py'], mode: 'text' });
    const byGlobs = searchOutputSchema.parse(globs.structuredContent);
    expect(byGlobs.mode).toBe('text');
    expect(byGlobs.results.map((r) => r.path).sort()).toEqual(['docs/guide.md', 'lib/config.py']);

    const python = searchOutputSchema.parse((await call(mcp.client, 'search', { query: 'config limit', lang: 'python' })).structuredContent);
    expect(python.results.map((r) => r.path)).toEqual(['lib/config.py']);

    const none = await call(mcp.client, 'search', { query: 'config', path: 'nowhere/**' });
    expect(none.isError).toBeFalsy();
    expect(searchOutputSchema.parse(none.structuredContent).results).toEqual([]);
    expect(none.text).toMatch(/count: 0/);
  });

  it('reports status after indexing', async () => {
    const report = statusOutputSchema.parse((await call(mcp.client, 'status')).structuredContent);
    expect(report).toMatchObject({ indexed_commit: repo.head(), model: 'local-v2', files: 4, stale: false });
    expect(report.chunks).toBeGreaterThanOrEqual(4);
  });

  it('sees a re-index without a restart', async () => {
    repo.write('src/clock.ts', 'export function sundialShadowAngle(hour: number): number {\n  return (hour - 12) * 15;\n}\n');
    const head = repo.commit('add the sundial');
    const stale = statusOutputSchema.parse((await call(mcp.client, 'status')).structuredContent);
    expect(stale).toMatchObject({ stale: true, head });
    // The search answers from the older commit, and says so in both of its forms.
    const behind = await call(mcp.client, 'search', { query: 'mask the API key', mode: 'text' });
    expect(searchOutputSchema.parse(behind.structuredContent).stale).toBe(true);
    expect(behind.text).toMatch(/^---\nquery: "mask the API key"\ncount: \d+\nstale: true\n---\n/);

    expect((await runCli(['index', '-q'], { cwd: repo.dir })).code).toBe(0);
    const json = searchOutputSchema.parse((await call(mcp.client, 'search', { query: 'sundial shadow angle', mode: 'text' })).structuredContent);
    expect(json.results[0]).toMatchObject({ path: 'src/clock.ts', commit: { sha: head } });
    expect(json.stale).toBe(false);
  });

  it.each([
    ['limit 0', { query: 'retry', limit: 0 }, /limit/],
    ['limit 101', { query: 'retry', limit: 101 }, /limit/],
    ['a fractional limit', { query: 'retry', limit: 2.5 }, /limit/],
    ['an unknown mode', { query: 'retry', mode: 'fuzzy' }, /mode/],
    ['no query', { limit: 3 }, /query/],
    ['an empty query', { query: '' }, /query/],
    ['a misspelt argument', { query: 'retry', paths: ['src/**'] }, /paths/],
    ['a path that is not a glob string', { query: 'retry', path: 7 }, /path/],
  ])('rejects %s as a tool error and keeps serving', async (_name, args, mentions) => {
    const result = await call(mcp.client, 'search', args);
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/Input validation error/);
    expect(result.text).toMatch(mentions);
    const after = await call(mcp.client, 'search', { query: 'retry with backoff', limit: 1 });
    expect(after.isError).toBeFalsy();
  });

  it('turns errors found past the schema into tool errors: a blank query, a bad language name', async () => {
    const blank = await call(mcp.client, 'search', { query: '   ' });
    expect(blank).toMatchObject({ isError: true, text: 'empty query: pass it as arguments or on stdin' });
    const lang = await call(mcp.client, 'search', { query: 'retry', lang: "x' OR 1=1" });
    expect(lang.isError).toBe(true);
    expect(lang.text).toMatch(/^--lang: unknown language "x' OR 1=1"; known: .*typescript/);
  });

  it('answers an unknown tool with an error result', async () => {
    const result = await call(mcp.client, 'grep', { pattern: 'x' });
    expect(result.isError).toBe(true);
    expect(result.text).toMatch(/grep not found/);
  });
});

describe('gitctx mcp outside a repository', () => {
  it('starts, and its tools say how to point it at one', async () => {
    const temp = makeTempDir();
    const session = await connect(temp.dir);
    try {
      const result = await call(session.client, 'status');
      expect(result.isError).toBe(true);
      expect(result.text).toMatch(/^not a git repository: .*\(start the server inside a git repository, or pass `gitctx mcp --repo <dir>`\)$/);
      expect(session.stderr()).toMatch(/warning: not a git repository/);
    } finally {
      await session.close();
      temp.cleanup();
    }
  });

  it('serves the repository named by --repo', async () => {
    const temp = makeTempDir();
    const other = makeRepo({ files: { 'a.ts': 'export const answer = 42;\n' } });
    const session = await connect(temp.dir, ['--repo', other.dir]);
    try {
      const report = statusOutputSchema.parse((await call(session.client, 'status')).structuredContent);
      expect(report.head).toBe(other.head());
      const search = await call(session.client, 'search', { query: 'answer' });
      expect(search.text).toBe(`no index yet: run \`gitctx index\` in ${other.dir}`);
    } finally {
      await session.close();
      temp.cleanup();
      other.cleanup();
    }
  });
});
