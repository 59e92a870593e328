import { describe, expect, it } from 'vitest';

import { splitLines } from '../../src/chunk/index.js';

describe('splitLines', () => {
  it.each([
    ['', []],
    ['\uFEFF', []],
    ['a', ['a']],
    ['a\n', ['a']],
    ['a\nb', ['a', 'b']],
    ['a\nb\n', ['a', 'b']],
    ['a\n\n', ['a', '']],
    ['\n', ['']],
    ['\n\n', ['', '']],
    ['a\r\nb\r\n', ['a', 'b']],
    ['a\r\nb', ['a', 'b']],
    ['a\r\n\r\nb', ['a', '', 'b']],
    ['a\nb\r\nc\n', ['a', 'b', 'c']],
    // A lone CR is content, as it is to git and grep: line numbers agree with theirs.
    ['a\rb\n', ['a\rb']],
    ['a\r', ['a\r']],
    ['a\r\r\n', ['a\r']],
    ['\uFEFFa\nb', ['a', 'b']],
    // Only a leading BOM is dropped.
    ['a\n\uFEFFb', ['a', '\uFEFFb']],
  ])('%j → %j', (text, expected) => {
    expect(splitLines(text)).toEqual(expected);
  });

  it('gives the same lines for LF and CRLF files', () => {
    const lf = 'function f() {\n  return 1;\n}\n';
    expect(splitLines(lf.replaceAll('\n', '\r\n'))).toEqual(splitLines(lf));
  });
});
