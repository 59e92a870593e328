/**
 * Imports point down the layers of docs/ARCHITECTURE.md. Each top-level module of src/
 * has a rank; a file may import its own module or one of a lower rank, never a higher
 * one, and never another module of the same rank (so cli/ and mcp/ stay apart). Type-only
 * imports count too: they couple modules as much as any other.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'src');

/** Lowest first. A module not listed fails the test, so a new folder must find its place here and in the doc. */
const RANKS: Record<string, number> = {
  'errors.ts': 0,
  'version.ts': 0,
  'printable.ts': 0,
  'fs-read.ts': 1,
  glob: 1,
  git: 2,
  cache: 2,
  embed: 3,
  chunk: 4,
  filter: 4,
  workspace: 4,
  store: 5,
  'cache-maintenance': 5,
  search: 6,
  format: 7,
  config: 8,
  indexer: 9,
  app: 10,
  cli: 11,
  mcp: 11,
  'index.ts': 11,
};

/** The entry point composes the two adapters: `gitctx mcp` hands the process to the MCP server. */
const ALLOWED = new Set(['cli/main.ts -> mcp']);

function moduleOf(file: string): string {
  const [first] = relative(src, file).split(sep);
  return first!;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Relative specifiers of static imports and exports, `import type`, and dynamic `import('...')`. */
function importsOf(text: string): string[] {
  const found: string[] = [];
  for (const match of text.matchAll(/(?:^|\s)(?:import|export)\s[^'";]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/gm)) {
    found.push((match[1] ?? match[2])!);
  }
  return found;
}

describe('module layers', () => {
  const files = sourceFiles(src);

  it('every module of src/ has a rank', () => {
    expect([...new Set(files.map(moduleOf))].filter((m) => RANKS[m] === undefined)).toEqual([]);
  });

  it('imports only point down (or stay inside their module)', () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = moduleOf(file);
      for (const specifier of importsOf(readFileSync(file, 'utf8'))) {
        const to = moduleOf(normalize(join(dirname(file), specifier)).replace(/\.js$/, '.ts'));
        if (to === from) continue;
        const edge = `${relative(src, file).split(sep).join('/')} -> ${to}`;
        if (ALLOWED.has(edge)) continue;
        if (!(RANKS[to]! < RANKS[from]!)) wrong.push(`${edge} (${from} is rank ${RANKS[from]}, ${to} rank ${RANKS[to]})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('finds the imports it checks (the scan is not vacuous)', () => {
    const text = readFileSync(join(src, 'cli', 'main.ts'), 'utf8');
    expect(importsOf(text)).toEqual(expect.arrayContaining(['./program.js', '../mcp/index.js']));
  });
});
