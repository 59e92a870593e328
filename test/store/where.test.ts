import { describe, expect, it } from 'vitest';
import { pathSelection } from '../../src/search/path-filter.js';
import { sqlString, whereOf } from '../../src/store/where.js';

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

describe('a path filter as a predicate', () => {
  const paths = ['a.ts', 'b.ts', 'c.py', "d'.py"];
  const predicate = (matches: (path: string) => boolean) => {
    const selection = pathSelection(paths, matches);
    return selection === false ? false : whereOf(selection === undefined ? {} : { paths: selection });
  };
  it('every path matches: no predicate', () => {
    expect(predicate(() => true)).toBeUndefined();
  });
  it('no path matches: nothing to search', () => {
    expect(predicate(() => false)).toBe(false);
  });
  it('few match: the matched paths are listed', () => {
    expect(predicate((p) => p === "d'.py")).toBe("path IN ('d''.py')");
  });
  it('most match: the others are listed', () => {
    expect(predicate((p) => p !== 'c.py')).toBe("path NOT IN ('c.py')");
  });
});

describe('whereOf', () => {
  it('joins the parts in a fixed order', () => {
    expect(whereOf(undefined)).toBeUndefined();
    expect(whereOf({})).toBeUndefined();
    expect(whereOf({ headOnly: false })).toBeUndefined();
    expect(whereOf({ paths: { only: ['x'] }, language: "ru'by", headOnly: true })).toBe(
      "is_head = true AND language = 'ru''by' AND path IN ('x')",
    );
  });
});
