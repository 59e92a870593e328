import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OPENAI_BATCH_LIMITS, planBatches } from '../../src/embed/batch.js';

describe('planBatches', () => {
  it('splits at 2,048 inputs', () => {
    const batches = planBatches(new Array<number>(5000).fill(1), OPENAI_BATCH_LIMITS);
    expect(batches.map((b) => b.end - b.start)).toEqual([2048, 2048, 904]);
  });

  it('splits at 300,000 tokens', () => {
    const batches = planBatches(new Array<number>(100).fill(8000), OPENAI_BATCH_LIMITS);
    expect(batches.map((b) => b.end - b.start)).toEqual([37, 37, 26]);
    expect(Math.max(...batches.map((b) => b.tokens))).toBeLessThanOrEqual(300_000);
  });

  it('gives nothing for nothing', () => {
    expect(planBatches([], OPENAI_BATCH_LIMITS)).toEqual([]);
  });

  it('puts an input over the token limit alone', () => {
    expect(planBatches([1, 50, 1], { maxInputs: 10, maxTokens: 10 })).toEqual([
      { start: 0, end: 1, tokens: 1 },
      { start: 1, end: 2, tokens: 50 },
      { start: 2, end: 3, tokens: 1 },
    ]);
  });

  it('covers every input once, in order, within limits, with no batch that could have taken the next input', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 300 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 50, max: 400 }),
        (counts, maxInputs, maxTokens) => {
          const batches = planBatches(counts, { maxInputs, maxTokens });
          let next = 0;
          for (const [i, b] of batches.entries()) {
            expect(b.start).toBe(next);
            expect(b.end).toBeGreaterThan(b.start);
            expect(b.end - b.start).toBeLessThanOrEqual(maxInputs);
            expect(b.tokens).toBe(counts.slice(b.start, b.end).reduce((a, c) => a + c, 0));
            expect(b.tokens).toBeLessThanOrEqual(maxTokens);
            if (i < batches.length - 1) {
              const roomForNext = b.end - b.start < maxInputs && b.tokens + (counts[b.end] as number) <= maxTokens;
              expect(roomForNext).toBe(false);
            }
            next = b.end;
          }
          expect(next).toBe(counts.length);
        },
      ),
      { seed: 23 },
    );
  });
});
