import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import {
  CHUNKER_VERSION,
  DEFAULT_TARGET_TOKENS,
  chunkText,
  chunkerOptionsFor,
  chunkerSignature,
  splitLines,
  type ChunkerOptions,
} from '../../src/chunk/index.js';
import { expectContract, fakeOptions, fakeTokens, o200kOptions, o200kTokens } from './support.js';

/** Words that exercise the structure rules: openers, closers, comments, headings, keywords. */
const WORDS = [
  'function',
  'f(x)',
  '{',
  '}',
  '};',
  ')',
  'return',
  'x;',
  'end',
  'else:',
  'fi',
  'def',
  'class',
  '#',
  '##',
  '//',
  '/*',
  '*/',
  '*',
  '@decorator',
  '<div>',
  '</div>',
  'diff --git',
  '@@',
  'é',
  '漢字',
  '😀',
  '<|endoftext|>',
  'a_long_identifier_name',
  '0xdeadbeef',
];

const indentArb = fc.constantFrom('', '', '', '  ', '    ', '\t', '        ', ' ');
const codeLineArb = fc
  .tuple(indentArb, fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 8 }))
  .map(([indent, words]) => indent + words.join(' '));
const blankLineArb = fc.constantFrom('', '', '  ', '\t', ' \u00a0 ');
const longLineArb = fc
  .tuple(fc.constantFrom('x', 'ab ', 'é', '漢', '😀', 'var a=1;', '"base64+/'), fc.integer({ min: 50, max: 800 }))
  .map(([unit, n]) => unit.repeat(n));
const lineArb = fc.oneof(
  { weight: 12, arbitrary: codeLineArb },
  { weight: 5, arbitrary: blankLineArb },
  { weight: 1, arbitrary: longLineArb },
  // A lone CR inside a line is content.
  { weight: 1, arbitrary: codeLineArb.map((l) => `${l}\r${l}`) },
);
const textArb = fc
  .tuple(
    fc.array(lineArb, { maxLength: 120 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([lines, eol, trailing, bom, mixed]) => {
    let text = '';
    lines.forEach((line, i) => {
      text += line;
      if (i < lines.length - 1 || trailing) text += mixed && i % 3 === 0 ? '\r\n' : eol;
    });
    return (bom ? '\uFEFF' : '') + text;
  });
const optionsArb = fc
  .tuple(fc.integer({ min: 16, max: 160 }), fc.integer({ min: 0, max: 200 }))
  .map(([target, extra]) => fakeOptions(target, target + extra));

describe('chunkText contract', () => {
  it('spans are exact, ordered, cover every non-blank line, and respect the limit (fake tokenizer)', () => {
    fc.assert(
      fc.property(textArb, optionsArb, (text, options) => {
        const chunks = chunkText(text, options);
        expectContract(text, chunks, options);
        // Multi-line chunks stay near the target (a tiny neighbour may add up to an eighth).
        for (const c of chunks) {
          if (c.endLine > c.startLine) {
            expect(c.tokens).toBeLessThanOrEqual(options.targetTokens + Math.ceil(options.targetTokens / 8));
          }
          if (c.lineSlice !== undefined) expect(c.tokens).toBeLessThanOrEqual(options.targetTokens);
        }
        expect(chunkText(text, options)).toEqual(chunks);
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it('holds with a real BPE tokenizer (o200k_base)', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 16, max: 200 }), (text, target) => {
        const options = o200kOptions(target, target * 2);
        expectContract(text, chunkText(text, options), options);
      }),
      { numRuns: 60, seed: 2 },
    );
  });

  it('holds when the target equals the hard limit', () => {
    fc.assert(
      fc.property(textArb, fc.integer({ min: 16, max: 64 }), (text, target) => {
        const fake = fakeOptions(target, target);
        expectContract(text, chunkText(text, fake), fake);
        const real = o200kOptions(target, target);
        expectContract(text, chunkText(text, real), real);
      }),
      { numRuns: 60, seed: 3 },
    );
  });
});

describe('chunkText edge cases', () => {
  const options = fakeOptions(64, 128);

  it('gives no chunks for empty and whitespace-only files', () => {
    for (const text of ['', '\n', '\r\n', '\uFEFF', '   ', ' \n\t\n  \r\n', '\u00a0\n\u3000']) {
      expect(chunkText(text, options)).toEqual([]);
    }
  });

  it('ignores the final newline', () => {
    const text = 'function f() {\n  return 1;\n}';
    expect(chunkText(`${text}\n`, options)).toEqual(chunkText(text, options));
  });

  it('reads CRLF files exactly like LF files: same texts, spans and hashes', () => {
    const lf = ['import x from "y";', '', 'export function f(a) {', '  return a + 1;', '}', '', '// end', ''].join('\n');
    const crlf = lf.replaceAll('\n', '\r\n');
    const chunks = chunkText(crlf, options);
    expect(chunks).toEqual(chunkText(lf, options));
    for (const c of chunks) expect(c.text).not.toContain('\r');
  });

  it('trims blank lines from the ends of chunks', () => {
    const chunks = chunkText('\n\n  \nfoo()\nbar()\n\n\n', options);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toMatchObject({ startLine: 4, endLine: 5, text: 'foo()\nbar()' });
  });

  it('keeps a line over the target but under the limit whole', () => {
    const line = 'word '.repeat(90).trim(); // 90 tokens: over a 64 target, under the 128 limit
    const chunks = chunkText(`a()\n\n${line}\n\nb()`, options);
    expect(chunks.map((c) => c.text)).toEqual(['a()', line, 'b()']);
    expect(chunks.every((c) => c.lineSlice === undefined)).toBe(true);
  });

  it('cuts a line over the limit into pieces of the one line', () => {
    const giant = 'abcd '.repeat(1000).trim(); // 1000 tokens against a 128 limit
    const text = ['function before() {', '  return 1;', '}', '', `const blob = "${giant}";`, '', 'function after() {}'].join(
      '\n',
    );
    const chunks = chunkText(text, options);
    expectContract(text, chunks, options);
    const pieces = chunks.filter((c) => c.lineSlice !== undefined);
    expect(pieces.length).toBeGreaterThanOrEqual(1000 / 64);
    for (const p of pieces) expect(p).toMatchObject({ startLine: 5, endLine: 5 });
    expect(pieces.map((p) => p.text).join('')).toBe(`const blob = "${giant}";`);
    // The structure around it is untouched.
    expect(chunks[0]).toMatchObject({ startLine: 1, endLine: 3 });
    expect(chunks.at(-1)).toMatchObject({ startLine: 7, endLine: 7, text: 'function after() {}' });
  });

  it('cuts a file that is one giant line, preferring to cut after spaces', () => {
    const words = Array.from({ length: 5000 }, (_, i) => `w${i % 97}`);
    const text = words.join(' ');
    const chunks = chunkText(text, options);
    expectContract(text, chunks, options);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks.slice(0, -1)) expect(c.text.endsWith(' ')).toBe(true);
  });

  it('cuts a giant line without spaces, and never splits a surrogate pair', () => {
    const text = '😀a'.repeat(20_000);
    const chunks = chunkText(text, options);
    expectContract(text, chunks, options);
    for (const c of chunks) expect(c.text).toBe(Buffer.from(c.text, 'utf8').toString('utf8'));
  });

  it('never hands the tokenizer a line over 8192 characters whole', () => {
    const line = `${'word '.repeat(2000)}x`;
    const seen: number[] = [];
    const options = fakeOptions(64, 8192);
    const chunks = chunkText(line, {
      ...options,
      countTokens: (text) => {
        seen.push(text.length);
        return fakeTokens(text);
      },
    });
    expect(Math.max(...seen)).toBeLessThan(8192);
    expect(chunks.length).toBeGreaterThan(1);
    expect(chunks.every((c) => c.lineSlice !== undefined)).toBe(true);
    expectContract(line, chunks, options);
  });

  it('leaves out pieces of a cut line that are whitespace only', () => {
    const line = `start ${' '.repeat(9000)}end`;
    const options = { ...fakeOptions(16, 16), countTokens: (t: string) => Math.ceil(t.length / 64) };
    const chunks = chunkText(line, options);
    expectContract(line, chunks, options);
    expect(chunks.map((c) => c.text.trim())).toEqual(['start', 'end']);
  });

  it('stays fast on a line that makes BPE quadratic (one 60,000-character run of letters)', () => {
    const text = `${'漢字かな'.repeat(15_000)}\nafter()`;
    const started = performance.now();
    const chunks = chunkText(text, o200kOptions(DEFAULT_TARGET_TOKENS, 8191));
    expect(performance.now() - started).toBeLessThan(10_000);
    expectContract(text, chunks, o200kOptions(DEFAULT_TARGET_TOKENS, 8191));
  });

  it('chunks a very long file (50,000 lines) quickly and within the contract', () => {
    const parts: string[] = [];
    for (let i = 0; i < 5000; i++) {
      parts.push(`export function f${i}(a: number): number {`, `  const b = a * ${i};`, '  return b + 1;', '}', '');
      if (i % 50 === 0) parts.push(`// section ${i}`, '');
    }
    const text = parts.join('\n');
    expect(splitLines(text).length).toBeGreaterThan(25_000);
    const started = performance.now();
    const chunks = chunkText(text, o200kOptions(DEFAULT_TARGET_TOKENS));
    expect(performance.now() - started).toBeLessThan(5_000);
    expectContract(text, chunks, o200kOptions(DEFAULT_TARGET_TOKENS));
  });

  it('throws on a tokenizer that prices one character over the limit', () => {
    const greedy: ChunkerOptions = { ...fakeOptions(16, 16), countTokens: (t) => t.length * 100 };
    expect(() => chunkText('x'.repeat(100), greedy)).toThrow(RangeError);
  });
});

describe('options and signature', () => {
  const base = fakeOptions(400, 8192);

  it('rejects options that cannot hold a chunk', () => {
    expect(() => chunkText('x', { ...base, targetTokens: 8 })).toThrow(RangeError);
    expect(() => chunkText('x', { ...base, targetTokens: 1.5 })).toThrow(RangeError);
    expect(() => chunkText('x', { ...base, maxTokens: 399 })).toThrow(RangeError);
    expect(() => chunkText('x', { ...base, tokenizerId: '' })).toThrow(RangeError);
    expect(() => chunkerSignature({ ...base, maxTokens: 10 })).toThrow(RangeError);
  });

  it('names the version and every parameter, and changes when any of them does', () => {
    const signature = chunkerSignature(base);
    expect(signature).toBe(`${CHUNKER_VERSION}:target=400:max=8192:tok=fake`);
    expect(chunkerSignature({ ...base })).toBe(signature);
    // The function itself is not part of the signature; its id is.
    expect(chunkerSignature({ ...base, countTokens: o200kTokens })).toBe(signature);
    const variants = [
      { ...base, targetTokens: 300 },
      { ...base, maxTokens: 8191 },
      { ...base, tokenizerId: 'o200k_base' },
    ].map(chunkerSignature);
    expect(new Set([signature, ...variants]).size).toBe(4);
  });

  it('keeps tokenizer ids from breaking the signature apart', () => {
    expect(chunkerSignature({ ...base, tokenizerId: 'a:b c' })).toBe(`${CHUNKER_VERSION}:target=400:max=8192:tok=a%3Ab%20c`);
  });

  it('derives options from a provider, capping the target at its limit', () => {
    const provider = { model: 'local-v1', maxInputTokens: 8192, countTokens: fakeTokens };
    const options = chunkerOptionsFor(provider);
    expect(options).toMatchObject({ targetTokens: DEFAULT_TARGET_TOKENS, maxTokens: 8192, tokenizerId: 'local-v1' });
    expect(options.countTokens('abcd efgh')).toBe(2);
    expect(chunkerOptionsFor({ ...provider, maxInputTokens: 256 }).targetTokens).toBe(256);
    expect(chunkerOptionsFor(provider, 200).targetTokens).toBe(200);
  });
});
