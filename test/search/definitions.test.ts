import { describe, expect, it } from 'vitest';
import { defines, definitionStrength, queryIdentifiers } from '../../src/search/definitions.js';
import { reorder } from '../../src/search/file-kind.js';

describe('queryIdentifiers', () => {
  it('takes words shaped like code and capitalised words, never plain lower-case English', () => {
    expect(queryIdentifiers('how does parseConfig read parse_config and int32 values')).toEqual(['parseConfig', 'parse_config', 'int32']);
    expect(queryIdentifiers('hex.DecodeString in the Lexer for CIDR')).toEqual(['hex', 'DecodeString', 'Lexer', 'CIDR']);
    expect(queryIdentifiers('how are flags parsed')).toEqual([]);
  });
});

describe('defines', () => {
  it('recognises declarations across languages', () => {
    expect(defines('export function parseConfig(text) {', 'parseConfig')).toBe(true);
    expect(defines('export class Lexer {', 'Lexer')).toBe(true);
    expect(defines('func (f *FlagSet) MarkHidden(name string) error {', 'MarkHidden')).toBe(true);
    expect(defines('type countValue int', 'countValue')).toBe(true);
    expect(defines('def parse_config(path):', 'parse_config')).toBe(true);
    expect(defines('var (\n\tErrHelp = errors.New("help")\n)', 'ErrHelp')).toBe(true);
    expect(defines('class A {\n  async parseDoc(src: string): Promise<void> {', 'parseDoc')).toBe(true);
    expect(defines('exports.parseDoc = parseDoc;', 'parseDoc')).toBe(true);
    expect(defines('const api = {\n  parseDoc: function (s) {', 'parseDoc')).toBe(true);
  });

  it('does not count uses, calls or longer names', () => {
    expect(defines('const doc = parseConfig(text);', 'parseConfig')).toBe(false);
    expect(defines('  if (parseConfig(text) === x) {', 'parseConfig')).toBe(false);
    expect(defines('function parseConfigFile() {}', 'parseConfig')).toBe(false);
    expect(defines('expect(parseConfig).toBe(x) // parseConfig', 'parseConfig')).toBe(false);
    expect(defines('    x := fs.MarkHidden("a")', 'MarkHidden')).toBe(false);
  });
});

describe('definitionStrength', () => {
  const chunk = (path: string, content: string) => ({ path, content });
  it('is 1 for the only file that defines a named identifier, 0 for files that mention it', () => {
    const candidates = [
      chunk('test/config.test.ts', 'parseConfig(a); parseConfig(b); parseConfig(c);'),
      chunk('src/config.ts', 'export function parseConfig(text: string) {'),
    ];
    expect(definitionStrength('parseConfig errors', candidates)).toEqual([0, 1]);
  });

  it('counts a name many files define for little: one over the number of defining files', () => {
    const candidates = [0, 1, 2, 3].map((i) => chunk(`v${i}.go`, 'func (v *value) Set(s string) error {'));
    candidates.push(chunk('count.go', 'type countValue int\nfunc (v *countValue) Set(s string) error {'));
    expect(definitionStrength('countValue Set', candidates)).toEqual([0.2, 0.2, 0.2, 0.2, 1]);
  });

  it('is 0 everywhere for a question in plain words', () => {
    expect(definitionStrength('how are values read', [chunk('a.ts', 'function read() {}')])).toEqual([0]);
  });
});

describe('reorder', () => {
  const item = (path: string, score: number) => ({ path, score });
  it('moves a lifted item by its lift without changing any score', () => {
    const ranked = [item('src/a.ts', 0.6), item('src/b.ts', 0.4)];
    const out = reorder(ranked, { kinds: true, lifts: [0, 0.5] });
    expect(out.map((r) => r.path)).toEqual(['src/b.ts', 'src/a.ts']);
    expect(out.map((r) => r.score)).toEqual([0.4, 0.6]);
  });

  it('applies the file-kind prior after the lift, and keeps the order without either', () => {
    const ranked = [item('test/a.test.ts', 0.9), item('src/a.ts', 0.5)];
    expect(reorder(ranked, { kinds: true }).map((r) => r.path)).toEqual(['src/a.ts', 'test/a.test.ts']);
    expect(reorder(ranked, { kinds: false }).map((r) => r.path)).toEqual(['test/a.test.ts', 'src/a.ts']);
    expect(reorder(ranked, { kinds: false, lifts: [0, 0.9] }).map((r) => r.path)).toEqual(['src/a.ts', 'test/a.test.ts']);
  });
});
