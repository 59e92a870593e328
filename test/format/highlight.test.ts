import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LANGUAGES } from '../../src/chunk/index.js';
import { highlight, tokenize } from '../../src/format/highlight/builtin.js';
import { highlightLines, loadHighlighter, splitAnsiLines, stripSgr } from '../../src/format/highlight/index.js';
import { syntaxFor } from '../../src/format/highlight/syntax.js';

/** The coloured runs of `code`, as [class, text] pairs. */
function classes(code: string, language: string): [string, string][] {
  const rules = syntaxFor(language);
  if (rules === undefined) return [];
  return tokenize(code, rules).flatMap((token) => (token.class === undefined ? [] : [[token.class, token.text] as [string, string]]));
}

describe('built-in highlighter', () => {
  it('finds comments, strings, keywords and numbers in TypeScript', () => {
    expect(classes('const n = 0x1f + 2.5e3; // note\n/* a\nb */ return "s\\"q" + `t${x}`;', 'typescript')).toEqual([
      ['keyword', 'const'],
      ['number', '0x1f'],
      ['number', '2.5e3'],
      ['comment', '// note'],
      ['comment', '/* a\nb */'],
      ['keyword', 'return'],
      ['string', '"s\\"q"'],
      ['string', '`t${x}`'],
    ]);
  });

  it('leaves keywords and digits inside identifiers plain', () => {
    expect(classes('const ifx = x1 + constant;', 'typescript')).toEqual([['keyword', 'const']]);
  });

  it('ends an unclosed one-line string at the line end', () => {
    expect(classes('"open\nreturn 1', 'javascript')).toEqual([
      ['string', '"open'],
      ['keyword', 'return'],
      ['number', '1'],
    ]);
  });

  it('knows Python triple quotes and # comments', () => {
    expect(classes('def f():\n    """doc\n    more"""  # why\n    return None', 'python')).toEqual([
      ['keyword', 'def'],
      ['string', '"""doc\n    more"""'],
      ['comment', '# why'],
      ['keyword', 'return'],
      ['keyword', 'None'],
    ]);
  });

  it("does not read a Rust lifetime as a string, but does a char literal", () => {
    expect(classes("fn f<'a>(s: &'a str) -> char { '\\n' }", 'rust')).toEqual([
      ['keyword', 'fn'],
      ['string', "'\\n'"],
    ]);
  });

  it('matches SQL keywords in any case', () => {
    expect(classes('SELECT id FROM t -- all\nwhere x = 1', 'sql')).toEqual([
      ['keyword', 'SELECT'],
      ['keyword', 'FROM'],
      ['comment', '-- all'],
      ['keyword', 'where'],
      ['number', '1'],
    ]);
  });

  it('takes # as a comment only after whitespace or at the start (shell $#, YAML a#b)', () => {
    expect(classes('echo $# ${#x} # real', 'shell')).toEqual([['comment', '# real']]);
    expect(classes('# top\nkey: a#b', 'yaml')).toEqual([['comment', '# top']]);
  });

  it('leaves prose plain: apostrophes in markdown are not strings', () => {
    expect(classes("It's the user's cookie <!-- hidden -->", 'markdown')).toEqual([['comment', '<!-- hidden -->']]);
    expect(highlight("it's plain", 'text')).toBe("it's plain");
  });

  it('closes every colour before a newline, so each line stands alone', () => {
    const out = highlight('/* one\ntwo\nthree */ x', 'c');
    expect(out.split('\n')).toEqual(['\x1b[90m/* one\x1b[39m', '\x1b[90mtwo\x1b[39m', '\x1b[90mthree */\x1b[39m x']);
  });

  /**
   * Any code points, lone surrogates included, as `fc.string({ unit: 'binary' })` draws them, but three in
   * four from ASCII so quotes, comment markers, escapes and newlines meet the highlighters often. Built
   * from integers because that arbitrary spends seconds building its tables on first use in a process.
   */
  const codePoint = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 0x7f }), weight: 3 }, { arbitrary: fc.integer({ min: 0, max: 0x10ffff }), weight: 1 });
  const anyCodePoints = fc.array(codePoint, { maxLength: 200 }).map((points) => String.fromCodePoint(...points));

  it('never changes the text, only adds escapes, for any input in any language', () => {
    fc.assert(
      fc.property(anyCodePoints, fc.constantFrom(...LANGUAGES, 'unknown-lang'), (code, language) => {
        const out = highlight(code, language);
        expect(stripSgr(out)).toBe(code);
        // Already one self-contained line per line: splitting adds nothing.
        expect(splitAnsiLines(out)).toEqual(out.split('\n'));
      }),
      { numRuns: 400, seed: 22 },
    );
  });

  it('gives every language a rule set; text-like ones none', () => {
    for (const language of LANGUAGES) {
      const rules = syntaxFor(language);
      if (['text', 'csv', 'rst', 'diff', 'bat', 'vim'].includes(language)) expect(rules).toBeUndefined();
      else expect(rules).toBeDefined();
    }
  });
});

describe('splitAnsiLines', () => {
  it('reopens a style that spans lines and closes it at each line end', () => {
    expect(splitAnsiLines('\x1b[90m/* a\nb */\x1b[0m c')).toEqual(['\x1b[90m/* a\x1b[0m', '\x1b[90mb */\x1b[0m c']);
  });

  it('tracks attributes separately: closing the colour keeps bold open', () => {
    expect(splitAnsiLines('\x1b[1;31mx\x1b[39m\ny\x1b[22m\nz')).toEqual(['\x1b[1;31mx\x1b[39m\x1b[0m', '\x1b[1my\x1b[22m', 'z']);
  });

  it('reopens extended colours whole', () => {
    expect(splitAnsiLines('\x1b[38;2;1;2;3ma\nb\x1b[m')).toEqual(['\x1b[38;2;1;2;3ma\x1b[0m', '\x1b[38;2;1;2;3mb\x1b[m']);
  });

  it('leaves plain text as its lines', () => {
    expect(splitAnsiLines('a\n\nb')).toEqual(['a', '', 'b']);
  });
});

describe('highlightLines', () => {
  it('uses what a highlighter returns, line by line', async () => {
    const bold = (code: string): string => `\x1b[1m${code}\x1b[0m`;
    expect(await highlightLines(bold, 'a\nb', 'text')).toEqual(['\x1b[1ma\x1b[0m', '\x1b[1mb\x1b[0m']);
  });

  it('falls back to plain lines when a highlighter changed the text', async () => {
    const tabsToSpaces = (code: string): string => `\x1b[1m${code.replace(/\t/g, '  ')}\x1b[0m`;
    expect(await highlightLines(tabsToSpaces, '\ta\nb', 'text')).toEqual(['\ta', 'b']);
  });

  it('refuses escapes other than colour (cursor moves, titles)', async () => {
    const sneaky = (code: string): string => `\x1b[2J${code}`;
    expect(await highlightLines(sneaky, 'a', 'text')).toEqual(['a']);
  });

  it('accepts an asynchronous highlighter', async () => {
    const later = (code: string): Promise<string> => Promise.resolve(`\x1b[32m${code}\x1b[39m`);
    expect(await highlightLines(later, 'a', 'text')).toEqual(['\x1b[32ma\x1b[39m']);
  });
});

describe('loadHighlighter', () => {
  it('loads the built-in once and hands out the same function', async () => {
    const first = await loadHighlighter();
    expect(await loadHighlighter()).toBe(first);
    expect(first).toBe(highlight);
  });
});
