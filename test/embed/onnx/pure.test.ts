import { describe, expect, it } from 'vitest';
import { consecutiveRuns, planLengthBatches } from '../../../src/embed/onnx/batches.js';
import { poolTokenVectors } from '../../../src/embed/onnx/pooling.js';
import { isOnnxModelName, ONNX_PRESETS, parseHubModelName } from '../../../src/embed/onnx/presets.js';
import { modelDirName } from '../../../src/cache/paths.js';

describe('length batches', () => {
  it('puts every input in exactly one batch, shortest first, within the padded budget', () => {
    const lengths = [50, 3, 400, 7, 7, 120, 3, 9, 1000, 2];
    const batches = planLengthBatches(lengths, { maxPaddedTokens: 1000, maxTexts: 3 });
    expect(batches.flat().sort((a, b) => a - b)).toEqual(lengths.map((_, i) => i));
    const flat = batches.flat().map((i) => lengths[i] as number);
    expect(flat).toEqual([...flat].sort((a, b) => a - b));
    for (const batch of batches) {
      expect(batch.length).toBeLessThanOrEqual(3);
      if (batch.length > 1) expect(batch.length * Math.max(...batch.map((i) => lengths[i] as number))).toBeLessThanOrEqual(1000);
    }
    // Equal lengths keep input order: the same plan every run.
    expect(planLengthBatches([5, 5, 5], { maxPaddedTokens: 100, maxTexts: 2 })).toEqual([[0, 1], [2]]);
  });

  it('gives an input over the budget a batch of its own', () => {
    expect(planLengthBatches([10, 5000, 10], { maxPaddedTokens: 100, maxTexts: 8 })).toEqual([[0, 2], [1]]);
  });

  it('reports a sorted batch as runs of consecutive inputs', () => {
    expect(consecutiveRuns([7, 2, 3, 9, 8, 0])).toEqual([
      { start: 0, end: 1 },
      { start: 2, end: 4 },
      { start: 7, end: 10 },
    ]);
  });
});

describe('pooling', () => {
  // Two texts, three positions, two dims; the second text has one padded position.
  const hidden = Float32Array.from([1, 0, 3, 0, 5, 0, /* text 2 */ 0, 2, 0, 4, 99, 99]);
  const shape = { batch: 2, seq: 3, dims: 2 };

  it('averages only the real tokens (mean) and normalises', () => {
    const [a, b] = poolTokenVectors(hidden, shape, [3, 2], 'mean', true);
    expect(Array.from(a!)).toEqual([1, 0]);
    expect(Array.from(b!)).toEqual([0, 1]);
    const [raw] = poolTokenVectors(hidden, shape, [3, 2], 'mean', false);
    expect(Array.from(raw!)).toEqual([3, 0]);
  });

  it('takes the first token (CLS)', () => {
    const [, b] = poolTokenVectors(hidden, shape, [3, 2], 'cls', false);
    expect(Array.from(b!)).toEqual([0, 2]);
  });
});

describe('model names', () => {
  it('parses hf:<org>/<name>[@revision] and refuses path tricks', () => {
    expect(parseHubModelName('hf:BAAI/bge-m3')).toEqual({ repo: 'BAAI/bge-m3', revision: 'main' });
    expect(parseHubModelName('hf:org/name@0123456789abcdef0123456789abcdef01234567')?.revision).toHaveLength(40);
    expect(parseHubModelName('bge-small-en-v1.5')).toBeUndefined();
    for (const bad of ['hf:name', 'hf:a/b/c', 'hf:../x', 'hf:org/..', 'hf:org/name@', 'hf:org/name@../../etc', 'hf:org/na me']) {
      expect(() => parseHubModelName(bad), bad).toThrow(RangeError);
    }
  });

  it('pins every preset to a commit and gives it a cache directory name', () => {
    for (const preset of ONNX_PRESETS) {
      expect(preset.revision).toMatch(/^[0-9a-f]{40}$/);
      expect(isOnnxModelName(preset.name)).toBe(true);
      expect(modelDirName(`${preset.name}@${preset.revision.slice(0, 12)}`)).toMatch(/^[a-z0-9._%-]+$/);
    }
    // The other name forms escape into one directory name each.
    expect(modelDirName('hf:BAAI/bge-m3@0123456789ab')).toBe('hf%3A%42%41%41%49%2Fbge-m3%400123456789ab');
    expect(modelDirName('onnx@sha256:0123456789abcdef')).toBe('onnx%40sha256%3A0123456789abcdef');
  });
});
