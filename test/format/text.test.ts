import { describe, expect, it } from 'vitest';

import { printable } from '../../src/printable.js';
import { commitDay, fenceFor, firstChars, formatScore, quote, shortSha } from '../../src/format/text.js';

describe('formatScore', () => {
  it.each([
    [0.873456, '0.873'],
    [0.8735, '0.874'],
    [1, '1.000'],
    // BM25 in text mode is unbounded: same precision, no exponent.
    [12.34567, '12.346'],
    [1234.5, '1234.500'],
    [-0.25, '-0.250'],
    [-0.0001, '0.000'],
    [-0, '0.000'],
  ])('%d -> %s', (score, text) => {
    expect(formatScore(score)).toBe(text);
  });
});

describe('commitDay', () => {
  it.each([
    ['2024-05-02T00:30:00+02:00', '2024-05-02'],
    ['2024-05-01T23:30:00-07:00', '2024-05-01'],
    ['2024-05-01T12:00:00Z', '2024-05-01'],
    ['2024-05-01', '2024-05-01'],
    // Not ISO 8601 but parseable: its UTC day.
    ['Wed, 01 May 2024 12:00:00 GMT', '2024-05-01'],
    ['not a date', 'not a date'],
  ])('%s -> %s', (date, day) => {
    expect(commitDay(date)).toBe(day);
  });
});

describe('firstChars', () => {
  it('keeps short text whole and cuts long text at exactly n code points', () => {
    expect(firstChars('short', 50)).toBe('short');
    expect(firstChars('x'.repeat(50), 50)).toBe('x'.repeat(50));
    expect(firstChars('x'.repeat(51), 50)).toBe('x'.repeat(50));
  });

  it('counts an astral character as one and never splits its surrogate pair', () => {
    expect(firstChars('😀😀😀', 2)).toBe('😀😀');
    expect(firstChars(`${'a'.repeat(49)}😀b`, 50)).toBe(`${'a'.repeat(49)}😀`);
  });
});

describe('quote', () => {
  it('escapes backslashes and double quotes so the closing quote is the last character', () => {
    expect(quote('plain')).toBe('"plain"');
    expect(quote('say "hi"')).toBe('"say \\"hi\\""');
    expect(quote('C:\\path\\')).toBe('"C:\\\\path\\\\"');
  });
});

describe('shortSha', () => {
  it('takes seven characters', () => {
    expect(shortSha('a94a8fe5ccb19ba61c4c0873d391e987982fbbd3')).toBe('a94a8fe');
  });
});

describe('printable', () => {
  it('leaves ordinary text, tabs and unicode alone (and returns the same string)', () => {
    const text = 'tab\there ünïcode 📘';
    expect(printable(text)).toBe(text);
  });

  it('shows control characters as their pictures', () => {
    expect(printable('a\x1b[31mb')).toBe('a␛[31mb');
    expect(printable('cr\rlf\nnul\x00del\x7f')).toBe('cr␍lf␊nul␀del␡');
    expect(printable('csi\x9b31m')).toBe('csi\ufffd31m');
  });

  it('shows bidirectional overrides and isolates as U+FFFD', () => {
    expect(printable('a\u202eb\u2066c\u2069d\u202a')).toBe('a\ufffdb\ufffdc\ufffdd\ufffd');
    expect(printable('\u200f')).toBe('\u200f');
  });

  it('keeps newlines in multi-line text', () => {
    expect(printable('a\nb\r\n', true)).toBe('a\nb␍\n');
  });
});

describe('fenceFor', () => {
  it.each([
    ['no ticks', '```'],
    ['`inline`', '```'],
    ['```ts\nx\n```', '````'],
    ['````\n`````', '``````'],
  ])('%j -> %s', (text, fence) => {
    expect(fenceFor(text)).toBe(fence);
  });
});
