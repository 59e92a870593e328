import { describe, expect, it } from 'vitest';

import { DEFAULT_FORMAT, FORMATS, formatters, isFormatName, renderMcpMarkdown } from '../../src/format/index.js';
import type { SearchResponse } from '../../src/search/types.js';
import { FIXTURE, render, result } from './support.js';

const EMPTY: SearchResponse = { query: 'nothing: here', mode: 'text', model: 'local-v1', results: [] };

function one(overrides: Parameters<typeof result>[0]): SearchResponse {
  return { ...FIXTURE, results: [result(overrides)] };
}

describe('registry', () => {
  it('has a formatter for every format name and terse first, as the default', () => {
    expect(Object.keys(formatters).sort()).toEqual([...FORMATS].sort());
    expect(DEFAULT_FORMAT).toBe('terse');
    expect(FORMATS[0]).toBe(DEFAULT_FORMAT);
  });

  it('validates --format values', () => {
    for (const name of FORMATS) expect(isFormatName(name)).toBe(true);
    expect(isFormatName('yaml')).toBe(false);
    expect(isFormatName('Terse')).toBe(false);
    expect(isFormatName('toString')).toBe(false);
  });
});

describe('no results', () => {
  it.each(['terse', 'verbose'] as const)('%s writes nothing at all (the CLI tells stderr)', async (format) => {
    for (const color of [false, true]) {
      expect(await render(format, EMPTY, { color })).toEqual({ text: '', writes: 0 });
    }
  });

  it('mcp writes the front matter with count 0 and says so', async () => {
    expect((await render('mcp', EMPTY)).text).toBe('---\nquery: "nothing: here"\ncount: 0\n---\n\nNo results.\n');
  });
});

describe('terse', () => {
  it('marks only HEAD results', async () => {
    expect((await render('terse', one({ isHead: true }))).text).toBe('src/a.ts:1:0.500 ● fedcba9 (2023-01-02, Grace Hopper) "Add a"\n');
    expect((await render('terse', one({ isHead: false }))).text).toBe('src/a.ts:1:0.500 fedcba9 (2023-01-02, Grace Hopper) "Add a"\n');
  });

  it('says which results have no commit to show, and why', async () => {
    expect((await render('terse', one({ uncommitted: true, commit: null }))).text).toBe('src/a.ts:1:0.500 ● (uncommitted)\n');
    // Work-tree content with a last commit known: the commit is not what matched.
    expect((await render('terse', one({ uncommitted: true }))).text).toBe('src/a.ts:1:0.500 ● (uncommitted)\n');
    expect((await render('terse', one({ commit: null }))).text).toBe('src/a.ts:1:0.500 ● (no commit)\n');
  });

  it('keeps every result on one line whatever the path and message hold', async () => {
    const response = one({
      path: 'a\nb.ts',
      commit: { sha: 'abcdef0123', author: 'A\rB', date: '2020-01-01T00:00:00Z', message: 'line one\nline two' },
    });
    const { text } = await render('terse', response);
    expect(text).toBe('a␊b.ts:1:0.500 ● abcdef0 (2020-01-01, A␍B) "line one␊line two"\n');
  });

  it('cuts the subject at exactly 50 characters, then escapes', async () => {
    const message = `${'"'.repeat(49)}xyz`;
    const { text } = await render('terse', one({ commit: { sha: 'abcdef0', author: 'a', date: '2020-01-01', message } }));
    expect(text).toBe(`src/a.ts:1:0.500 ● abcdef0 (2020-01-01, a) "${'\\"'.repeat(49)}x"\n`);
  });
});

describe('verbose', () => {
  it('is synchronous without colour: nothing to load', () => {
    const chunks: string[] = [];
    const returned = formatters.verbose(FIXTURE, { write: (chunk: string) => chunks.push(chunk) }, { color: false });
    expect(returned).toBeUndefined();
    expect(chunks).toHaveLength(1);
  });

  it('numbers lines from the real file, right-aligned to the widest number', async () => {
    const { text } = await render('verbose', one({ startLine: 9, endLine: 11, content: 'a\nb\nc' }));
    expect(text.split('\n').slice(1)).toEqual([' 9 │ a', '10 │ b', '11 │ c', '']);
  });

  it('uses the highlighter it is given, only when colour is on', async () => {
    const calls: string[] = [];
    const highlighter = (code: string, language: string): string => {
      calls.push(language);
      return `\x1b[1m${code}\x1b[22m`;
    };
    await render('verbose', FIXTURE, { color: false, highlighter });
    expect(calls).toEqual([]);
    const { text } = await render('verbose', FIXTURE, { color: true, highlighter });
    expect(calls).toEqual(['typescript', 'markdown', 'python']);
    expect(text).toContain('\x1b[1m/** Sessions last');
  });
});

describe('mcp', () => {
  it('is what the mcp formatter writes, for the MCP server to reuse', async () => {
    expect(renderMcpMarkdown(FIXTURE)).toBe((await render('mcp', FIXTURE)).text);
  });

  it('quotes every query so YAML readers keep it a string', () => {
    for (const query of ['yes', '123', 'null', '---', 'a: b', '- x', 'multi\nline', '']) {
      const text = renderMcpMarkdown({ ...EMPTY, query });
      expect(text.split('\n')[1]).toBe(`query: ${JSON.stringify(query)}`);
    }
  });

  it('fences content with a fence longer than any backtick run inside it', () => {
    const text = renderMcpMarkdown(one({ content: 'a\n``````\nb', language: 'markdown' }));
    expect(text).toContain('\n```````markdown\na\n``````\nb\n```````\n');
  });

  it('puts a path with backticks or emphasis characters in a code span that holds it', () => {
    expect(renderMcpMarkdown(one({ path: 'pkg/__init__.py' }))).toContain('\n## `pkg/__init__.py:1-1`\n');
    expect(renderMcpMarkdown(one({ path: 'we`ird.ts' }))).toContain('\n## ``we`ird.ts:1-1``\n');
    expect(renderMcpMarkdown(one({ path: '`x' }))).toContain('\n## `` `x:1-1 ``\n');
  });

  it('drops a language id that could break the fence', () => {
    expect(renderMcpMarkdown(one({ language: 'ts```' }))).toContain('\n```\nexport const a = 1;\n```\n');
  });
});
