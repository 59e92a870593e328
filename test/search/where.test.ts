import { describe, expect, it } from 'vitest';
import { pathPredicate, sqlString } from '../../src/search/where.js';

describe('sqlString', () => {
  it.each([
    ['plain.py', "'plain.py'"],
    ["it's.py", "'it''s.py'"],
    ["a\\'b", "'a\\''b'"],
    ["' OR 1=1 --", "''' OR 1=1 --'"],
    ['line\nbreak', "'line\nbreak'"],
  ])('%j -> %s', (value, literal) => {
    expect(sqlString(value)).toBe(literal);
  });
});

describe('pathPredicate', () => {
  const paths = ['a.ts', 'b.ts', 'c.py', "d'.py"];
  it('every path matches: no predicate', () => {
    expect(pathPredicate(paths, () => true)).toBeUndefined();
  });
  it('no path matches: nothing to search', () => {
    expect(pathPredicate(paths, () => false)).toBe(false);
  });
  it('few match: the matched paths are listed', () => {
    expect(pathPredicate(paths, (p) => p === "d'.py")).toBe("path IN ('d''.py')");
  });
  it('most match: the others are listed', () => {
    expect(pathPredicate(paths, (p) => p !== 'c.py')).toBe("path NOT IN ('c.py')");
  });
});
