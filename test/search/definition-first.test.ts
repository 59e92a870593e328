import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const calls = (n: number, indent: string) => Array.from({ length: n }, (_, i) => `${indent}CountVarP(&verbosity${i}, "v${i}", "v", "count flag CountVarP ${i}")`);

/** One file defines CountVarP; a test, a doc and a caller mention it far more often. */
const FILES: Record<string, string> = {
  'flags/count.go': [
    'package flags',
    '',
    '// counts how many times an option was given',
    'func CountVarP(p *int, name, shorthand, usage string) {',
    '\tregister(newCounter(p), name, shorthand, usage)',
    '}',
    '',
  ].join('\n'),
  'flags/count_test.go': ['package flags', '', 'func TestCount(t *testing.T) {', ...calls(12, '\t'), '}', ''].join('\n'),
  'cmd/main.go': ['package main', '', '// CountVarP for each verbosity flag, CountVarP again below', 'func main() {', ...calls(12, '\tflags.'), '}', ''].join('\n'),
  'docs/flags.md': ['# Count flags', '', ...calls(8, '    '), '', 'CountVarP registers a count flag; CountVarP is repeatable.', ''].join('\n'),
};

let repo: TestRepo;

beforeAll(async () => {
  repo = makeRepo({ files: FILES, message: 'count flags' });
  const indexed = await runCli(['index', '-y', '-q'], { cwd: repo.dir });
  expect(indexed.code).toBe(0);
});

afterAll(() => repo.cleanup());

const firstPath = async (args: string[]) => {
  const result = await runCli(['search', ...args, '--format', 'json', '-n', '4'], { cwd: repo.dir });
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { results: { path: string }[] }).results.map((r) => r.path);
};

describe('a query that names an identifier', () => {
  it('ranks the file that defines it first, above a test, a doc and a caller that mention it more often', async () => {
    const paths = await firstPath(['CountVarP']);
    expect(paths[0]).toBe('flags/count.go');
    expect(paths).toContain('cmd/main.go');
  });

  it('does so with the file-kind prior off too: the definition, not the file kind, decides', async () => {
    const paths = await firstPath(['how is CountVarP registered', '--all-kinds']);
    expect(paths[0]).toBe('flags/count.go');
  });
});
