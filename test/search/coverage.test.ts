import { describe, expect, it } from 'vitest';
import { fullMatches } from '../../src/search/coverage.js';

const chunk = (path: string, content: string) => ({ path, content });

describe('fullMatches', () => {
  it('is true for a chunk holding every word of the question, after splitting identifiers and stemming', () => {
    const candidates = [
      chunk('ip.go', 'func ipConv(sval string) (interface{}, error) {\n\tip := net.ParseIP(sval)\n\t// parses an ip flag value'),
      chunk('ip_slice.go', 'func (s *ipSliceValue) Type() string { return "ipSlice" }'),
    ];
    expect(fullMatches('ip flag value parsed from a string', candidates)).toEqual([true, false]);
  });

  it('counts the path as part of the chunk, and ignores stop words in the question', () => {
    expect(fullMatches('how is the config parsed', [chunk('src/config.ts', 'export function parse(text) {}')])).toEqual([true]);
  });

  it('never counts a question of a single term', () => {
    expect(fullMatches('parse', [chunk('a.ts', 'parse')])).toEqual([false]);
  });
});
