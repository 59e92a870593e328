/** Shared fixtures for the chunker tests: tokenizers and checks of the chunk contract. */
import { createHash } from 'node:crypto';

import { countTokens as o200kCount } from 'gpt-tokenizer/encoding/o200k_base';
import { expect } from 'vitest';

import { splitLines, type Chunk, type ChunkerOptions } from '../../src/chunk/index.js';

const FAKE_TOKEN = /[A-Za-z0-9_]{1,4}|[^\sA-Za-z0-9_]/g;

/**
 * A cheap, additive stand-in tokenizer: every 4 word characters or any other
 * non-space character is a token, whitespace is free. Additive across lines
 * (a line break is whitespace), so tests can predict the chunker's estimates.
 */
export function fakeTokens(text: string): number {
  let n = 0;
  FAKE_TOKEN.lastIndex = 0;
  while (FAKE_TOKEN.exec(text) !== null) n++;
  return n;
}

export function fakeOptions(targetTokens: number, maxTokens = targetTokens * 2): ChunkerOptions {
  return { targetTokens, maxTokens, countTokens: fakeTokens, tokenizerId: 'fake' };
}

/** The real thing: OpenAI's o200k_base, with special-token markers read as plain text (as the API does). */
const PLAIN = { disallowedSpecial: new Set<string>() };
export function o200kTokens(text: string): number {
  return o200kCount(text, PLAIN);
}

export function o200kOptions(targetTokens: number, maxTokens = 8191): ChunkerOptions {
  return { targetTokens, maxTokens, countTokens: o200kTokens, tokenizerId: 'o200k_base' };
}

export function sha256Prefix(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
}

export function isBlank(line: string): boolean {
  return line.trim() === '';
}

/**
 * Asserts the chunk contract for `chunks = chunkText(text, options)`: exact
 * spans, order, coverage of every non-blank line, token counts and hashes.
 */
export function expectContract(text: string, chunks: readonly Chunk[], options: ChunkerOptions): void {
  const lines = splitLines(text);
  const covered = new Map<number, string[]>();
  const lastSliceEnd = new Map<number, number>();
  let previous: Chunk | undefined;
  chunks.forEach((chunk, i) => {
    expect(chunk.index).toBe(i);
    expect(chunk.startLine).toBeGreaterThanOrEqual(1);
    expect(chunk.endLine).toBeGreaterThanOrEqual(chunk.startLine);
    expect(chunk.endLine).toBeLessThanOrEqual(lines.length);
    expect(chunk.tokens).toBe(options.countTokens(chunk.text));
    expect(chunk.tokens).toBeLessThanOrEqual(options.maxTokens);
    expect(chunk.hash).toBe(sha256Prefix(chunk.text));
    expect(isBlank(chunk.text)).toBe(false);
    if (chunk.lineSlice === undefined) {
      expect(chunk.text).toBe(lines.slice(chunk.startLine - 1, chunk.endLine).join('\n'));
      expect(isBlank(lines[chunk.startLine - 1] as string)).toBe(false);
      expect(isBlank(lines[chunk.endLine - 1] as string)).toBe(false);
      for (let n = chunk.startLine; n <= chunk.endLine; n++) {
        expect(covered.has(n)).toBe(false);
        covered.set(n, [lines[n - 1] as string]);
      }
      if (previous !== undefined) expect(chunk.startLine).toBeGreaterThan(previous.endLine);
    } else {
      expect(chunk.endLine).toBe(chunk.startLine);
      const line = lines[chunk.startLine - 1] as string;
      expect(chunk.text).toBe(line.slice(chunk.lineSlice.start, chunk.lineSlice.end));
      const pieces = covered.get(chunk.startLine);
      // Pieces follow each other; only whitespace may be left out between them.
      if (pieces === undefined) {
        expect(isBlank(line.slice(0, chunk.lineSlice.start))).toBe(true);
        if (previous !== undefined) expect(chunk.startLine).toBeGreaterThan(previous.endLine);
        covered.set(chunk.startLine, [chunk.text]);
      } else {
        expect(previous?.startLine).toBe(chunk.startLine);
        const previousEnd = previous?.lineSlice?.end ?? Number.NaN;
        expect(chunk.lineSlice.start).toBeGreaterThanOrEqual(previousEnd);
        expect(isBlank(line.slice(previousEnd, chunk.lineSlice.start))).toBe(true);
        pieces.push(chunk.text);
      }
      lastSliceEnd.set(chunk.startLine, chunk.lineSlice.end);
    }
    previous = chunk;
  });
  lines.forEach((line, i) => {
    const pieces = covered.get(i + 1);
    if (isBlank(line)) return;
    expect(pieces, `line ${i + 1} is covered`).toBeDefined();
    const sliceEnd = lastSliceEnd.get(i + 1);
    if (sliceEnd === undefined) expect((pieces as string[]).join('')).toBe(line);
    else expect(isBlank(line.slice(sliceEnd))).toBe(true);
    // Whatever was left out of a cut line is whitespace.
    expect((pieces as string[]).join('').replace(/\s/g, '')).toBe(line.replace(/\s/g, ''));
  });
}
