/**
 * The stability guarantee: an edit inside one top-level block changes only the
 * chunks in its neighbourhood, and everything else keeps its text and hash (so
 * its cached vector), its span shifted by the number of lines added or removed.
 *
 * Precisely, with "standalone" meaning a block with a nested body whose
 * estimated size (its lines' tokens plus one per line break) is at least a
 * quarter of the target, and for files larger than the target before and after:
 * - an edit inside a standalone block that stays standalone changes only chunks
 *   overlapping that block or the small blocks between it and the nearest
 *   standalone blocks on either side (so when its neighbours are standalone,
 *   as functions usually are: only its own chunks);
 * - any other edit changes only chunks overlapping the lines from the last line
 *   of the nearest standalone block before it to the first line of the nearest
 *   standalone block after it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { chunkText, type Chunk, type ChunkerOptions } from '../../src/chunk/index.js';
import { expectContract, fakeOptions, fakeTokens, o200kOptions } from './support.js';

type Style = 'ts' | 'py' | 'go';

interface Item {
  kind: 'fn' | 'const';
  name: string;
  comment: boolean;
  /** Body lines, indentation included; empty strings are blank lines. */
  body: string[];
}

const STYLE = {
  ts: { indents: ['  ', '    '], separator: [''] },
  py: { indents: ['    ', '        '], separator: ['', ''] },
  go: { indents: ['\t', '\t\t'], separator: [''] },
} as const;

function renderItem(item: Item, style: Style): string[] {
  if (item.kind === 'const') {
    if (style === 'py') return [`${item.name} = 1`];
    if (style === 'go') return [`var ${item.name} = 1`];
    return [`const ${item.name} = 1;`];
  }
  const out: string[] = [];
  if (item.comment) out.push(style === 'py' ? `# ${item.name} does things` : `// ${item.name} does things`);
  if (style === 'py') return [...out, `def ${item.name}(a, b):`, ...item.body];
  if (style === 'go') return [...out, `func ${item.name}(a, b int) int {`, ...item.body, '}'];
  return [...out, `function ${item.name}(a, b) {`, ...item.body, '}'];
}

interface Rendered {
  text: string;
  lines: string[];
  /** 1-based first and last non-blank line of each item. */
  ranges: Array<[number, number]>;
}

function render(items: readonly Item[], style: Style): Rendered {
  const lines: string[] = [];
  const ranges: Array<[number, number]> = [];
  items.forEach((item, i) => {
    if (i > 0) lines.push(...STYLE[style].separator);
    const first = lines.length + 1;
    lines.push(...renderItem(item, style));
    let last = lines.length;
    while ((lines[last - 1] as string).trim() === '') last--;
    ranges.push([first, last]);
  });
  return { text: `${lines.join('\n')}\n`, lines, ranges };
}

/** The chunker's documented size estimate of lines [first, last]. */
function estimate(lines: readonly string[], [first, last]: [number, number], count: (t: string) => number): number {
  let total = last - first;
  for (let n = first; n <= last; n++) total += count(lines[n - 1] as string);
  return total;
}

function standalone(r: Rendered, i: number, items: readonly Item[], options: ChunkerOptions): boolean {
  const item = items[i] as Item;
  const hasBody = item.kind === 'fn' && item.body.some((l) => l.trim() !== '');
  return hasBody && estimate(r.lines, r.ranges[i] as [number, number], options.countTokens) >= Math.ceil(options.targetTokens / 4);
}

type Zone = [number, number];

/**
 * The lines whose chunks an edit of item `u` may change. `stays` (the item is
 * standalone before and after): strictly between the nearest standalone items
 * around it. Otherwise: from the last line of the one before to the first line
 * of the one after, since a tiny group next to them may join or leave their chunks.
 */
function neighbourhood(r: Rendered, items: readonly Item[], u: number, options: ChunkerOptions, stays: boolean): Zone {
  const inset = stays ? 1 : 0;
  let first = 1;
  for (let i = u - 1; i >= 0; i--) {
    if (standalone(r, i, items, options)) {
      first = (r.ranges[i] as Zone)[1] + inset;
      break;
    }
  }
  let last = r.lines.length;
  for (let i = u + 1; i < items.length; i++) {
    if (standalone(r, i, items, options)) {
      last = (r.ranges[i] as Zone)[0] - inset;
      break;
    }
  }
  return [first, last];
}

/** Chunks that do not overlap `zone`, keyed by content and span (shifted to be comparable). */
function outside(chunks: readonly Chunk[], zone: Zone, shiftAfter: number, delta: number): string[] {
  return chunks
    .filter((c) => c.endLine < zone[0] || c.startLine > zone[1])
    .map((c) => {
      const shift = c.startLine > shiftAfter ? delta : 0;
      return `${c.startLine + shift}-${c.endLine + shift} ${c.tokens} ${c.hash} ${JSON.stringify(c.text)}`;
    });
}

const memo = new WeakMap<ChunkerOptions, Map<string, Chunk[]>>();
/** The unedited file is the same across runs of one property: chunk it once. */
function chunkOnce(text: string, options: ChunkerOptions): Chunk[] {
  let byText = memo.get(options);
  if (byText === undefined) memo.set(options, (byText = new Map()));
  let chunks = byText.get(text);
  if (chunks === undefined) byText.set(text, (chunks = chunkText(text, options)));
  return chunks;
}

/** Checks the guarantee for an edit of item `u` (only its body changed). */
function expectStable(
  before: readonly Item[],
  after: readonly Item[],
  u: number,
  style: Style,
  options: ChunkerOptions,
  strictlyOwn = false,
): { changed: number; total: number } {
  const r0 = render(before, style);
  const r1 = render(after, style);
  const stays = standalone(r0, u, before, options) && standalone(r1, u, after, options);
  const zone0 = strictlyOwn ? (r0.ranges[u] as Zone) : neighbourhood(r0, before, u, options, stays);
  const zone1 = strictlyOwn ? (r1.ranges[u] as Zone) : neighbourhood(r1, after, u, options, stays);
  const old = chunkOnce(r0.text, options);
  const now = chunkText(r1.text, options);
  expectContract(r1.text, now, options);
  const delta = r1.lines.length - r0.lines.length;
  const editEnd = (r0.ranges[u] as Zone)[1];
  // Old chunks outside the edit's neighbourhood, moved by the edit, are exactly the new ones outside it.
  expect(outside(now, zone1, Number.POSITIVE_INFINITY, 0)).toEqual(outside(old, zone0, editEnd, delta));
  const kept = new Set(old.map((c) => c.hash));
  return { changed: now.filter((c) => !kept.has(c.hash)).length, total: now.length };
}

const WORDS = ['alpha', 'beta', 'x', 'y', '=', '+', '(', ')', 'call()', 'return', 'if', '1', '42', 'value', 'é', '{', '}'];

function bodyLineArb(style: Style): fc.Arbitrary<string> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(fc.constantFrom(...STYLE[style].indents), fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 7 }))
        .map(([indent, words]) => indent + words.join(' ')),
    },
    { weight: 1, arbitrary: fc.constant('') },
  );
}

function itemArb(style: Style, allFunctions: boolean): fc.Arbitrary<Omit<Item, 'name'>> {
  const fn = fc.record({
    kind: fc.constant('fn' as const),
    comment: fc.boolean(),
    body: fc.array(bodyLineArb(style), { minLength: allFunctions ? 6 : 0, maxLength: 30 }),
  });
  if (allFunctions) return fn;
  const small: fc.Arbitrary<Omit<Item, 'name'>> = fc.constant({ kind: 'const', comment: false, body: [] });
  return fc.oneof({ weight: 3, arbitrary: fn }, { weight: 2, arbitrary: small });
}

function fileArb(style: Style, allFunctions = false): fc.Arbitrary<Item[]> {
  return fc
    .array(itemArb(style, allFunctions), { minLength: 3, maxLength: 24 })
    .map((items) => items.map((item, i) => ({ ...item, name: `${item.kind === 'fn' ? 'f' : 'c'}${i}` })));
}

interface Edit {
  target: number;
  op: 'replace' | 'insert' | 'delete' | 'blank';
  at: number;
  lines: string[];
}

function editArb(style: Style): fc.Arbitrary<Edit> {
  return fc.record({
    target: fc.nat(),
    op: fc.constantFrom('replace', 'insert', 'delete', 'blank'),
    at: fc.nat(),
    lines: fc.array(bodyLineArb(style), { minLength: 1, maxLength: 8 }),
  });
}

/** Applies `edit` to the body of one function; undefined when the file has none. */
function applyEdit(items: readonly Item[], edit: Edit): { after: Item[]; u: number } | undefined {
  const functions = items.flatMap((item, i) => (item.kind === 'fn' ? [i] : []));
  if (functions.length === 0) return undefined;
  const u = functions[edit.target % functions.length] as number;
  const item = items[u] as Item;
  const body = [...item.body];
  const at = body.length === 0 ? 0 : edit.at % (body.length + 1);
  if (edit.op === 'replace' && body.length > 0) body.splice(Math.min(at, body.length - 1), 1, ...edit.lines);
  else if (edit.op === 'delete' && body.length > 0) body.splice(Math.min(at, body.length - 1), 1 + (edit.at % 3));
  else if (edit.op === 'blank') body.splice(at, 0, '');
  else body.splice(at, 0, ...edit.lines);
  const after = items.map((it, i) => (i === u ? { ...it, body } : it));
  return { after, u };
}

function bigEnough(items: readonly Item[], style: Style, options: ChunkerOptions): boolean {
  const r = render(items, style);
  return estimate(r.lines, [1, r.lines.length], options.countTokens) > options.targetTokens;
}

describe('stability under local edits', () => {
  for (const style of ['ts', 'py', 'go'] as const) {
    it(`${style}: chunks away from an edited function keep their text and hash`, () => {
      const options = fakeOptions(48, 96);
      fc.assert(
        fc.property(fileArb(style), editArb(style), (items, edit) => {
          const applied = applyEdit(items, edit);
          fc.pre(applied !== undefined);
          const { after, u } = applied as { after: Item[]; u: number };
          fc.pre(bigEnough(items, style, options) && bigEnough(after, style, options));
          expectStable(items, after, u, style, options);
        }),
        { numRuns: 400, seed: 7 },
      );
    });
  }

  it('a file of functions: an edit changes only the chunks of the function it is in', () => {
    const options = fakeOptions(48, 96);
    fc.assert(
      fc.property(fileArb('ts', true), editArb('ts'), (items, edit) => {
        const { after, u } = applyEdit(items, edit) as { after: Item[]; u: number };
        const r0 = render(items, 'ts');
        const r1 = render(after, 'ts');
        const allStandalone = (r: Rendered, its: readonly Item[]): boolean =>
          its.every((_, i) => standalone(r, i, its, options));
        fc.pre(allStandalone(r0, items) && allStandalone(r1, after));
        fc.pre(bigEnough(items, 'ts', options) && bigEnough(after, 'ts', options));
        expectStable(items, after, u, 'ts', options, true);
      }),
      { numRuns: 200, seed: 8 },
    );
  });

  it('a 2,000-line TypeScript file, real tokenizer: one edited function, only its chunks change', () => {
    const options = o200kOptions(400, 8191);
    // A fixed pseudo-random file: 100 functions of 8 to 40 body lines, some with nested blocks.
    let seed = 12345;
    const next = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const statements = [
      'const total = items.reduce((sum, item) => sum + item.price * item.quantity, 0);',
      'if (total > limit) throw new RangeError(`total ${total} over limit ${limit}`);',
      'const key = `${user.id}:${session.token}`;',
      'await cache.set(key, JSON.stringify(payload), { ttlSeconds: 3600 });',
      'logger.debug({ key, size: payload.length }, "stored payload");',
      'return results.filter((r) => r.score >= threshold).slice(0, count);',
      'for (const entry of entries) index.set(entry.id, entry);',
      'const parsed = schema.safeParse(input);',
    ];
    const items: Item[] = [];
    for (let f = 0; f < 100; f++) {
      const body: string[] = [];
      const length = 8 + next(33);
      for (let i = 0; i < length; i++) {
        if (next(7) === 0) body.push('');
        if (next(9) === 0) body.push('  if (ready) {', `    ${statements[next(statements.length)]}`, '  }');
        else body.push(`  ${statements[next(statements.length)]}`);
      }
      items.push({ kind: 'fn', name: `handler${f}`, comment: next(2) === 0, body });
    }
    expect(render(items, 'ts').lines.length).toBeGreaterThan(2000);
    fc.assert(
      fc.property(editArb('ts'), (edit) => {
        const { after, u } = applyEdit(items, edit) as { after: Item[]; u: number };
        const { changed, total } = expectStable(items, after, u, 'ts', options, true);
        // One function is a few of the file's chunks.
        expect(changed).toBeLessThanOrEqual(4);
        expect(total).toBeGreaterThan(90);
      }),
      { numRuns: 25, seed: 9 },
    );
  });
});

describe('boundaries follow markdown structure', () => {
  it('starts a chunk at every heading of a long document, and an edit in one section leaves the others', () => {
    const options = fakeOptions(64, 128);
    const section = (n: number, lines: number): string[] => [
      `## Section ${n}`,
      '',
      ...Array.from({ length: lines }, (_, i) => `word${i} `.repeat(8).trim()),
      '',
    ];
    const doc = ['# Title', '', 'An introduction.', '', ...[1, 2, 3, 4, 5].flatMap((n) => section(n, 1 + n))];
    const chunks = chunkText(doc.join('\n'), options);
    const headings = doc.flatMap((line, i) => (line.startsWith('## ') ? [i + 1] : []));
    for (const line of headings) expect(chunks.some((c) => c.startLine === line)).toBe(true);

    const third = headings[2] as number;
    const fourth = headings[3] as number;
    const edited = [...doc];
    edited.splice(third + 1, 0, 'An inserted sentence.', '');
    const after = chunkText(edited.join('\n'), options);
    const changed = after.filter((c) => !chunks.some((o) => o.hash === c.hash));
    expect(changed.length).toBeGreaterThan(0);
    // Only chunks of the edited section (now two lines longer) are new.
    for (const c of changed) {
      expect(c.startLine).toBeGreaterThanOrEqual(third);
      expect(c.endLine).toBeLessThan(fourth + 2);
    }
  });
});

describe('sanity of the fake tokenizer', () => {
  it('is additive over lines, which the zone computation relies on', () => {
    fc.assert(
      fc.property(fc.array(fc.string()), (lines) => {
        expect(fakeTokens(lines.join('\n'))).toBe(lines.reduce((n, l) => n + fakeTokens(l), 0));
      }),
      { seed: 10 },
    );
  });
});
