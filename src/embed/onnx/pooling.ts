/**
 * From a model's token vectors to one vector per text: mean over the text's real tokens (padding
 * masked out) or the first token's vector (CLS), then L2-normalised. Pure; sums in float64.
 */
import type { Pooling } from './presets.js';

/**
 * `hidden` is `[batch, seq, dims]` row-major; text `b` has `lengths[b]` real tokens at the front
 * of its row (right padding). One Float32Array of `dims` per text.
 */
export function poolTokenVectors(
  hidden: Float32Array,
  shape: { batch: number; seq: number; dims: number },
  lengths: readonly number[],
  pooling: Pooling,
  normalize: boolean,
): Float32Array[] {
  const { batch, seq, dims } = shape;
  if (hidden.length !== batch * seq * dims) throw new RangeError(`model output has ${hidden.length} values, expected ${batch}×${seq}×${dims}`);
  const out: Float32Array[] = [];
  const acc = new Float64Array(dims);
  for (let b = 0; b < batch; b++) {
    const length = lengths[b] as number;
    const used = pooling === 'cls' ? 1 : length;
    acc.fill(0);
    for (let s = 0; s < used; s++) {
      const base = (b * seq + s) * dims;
      for (let d = 0; d < dims; d++) acc[d] = (acc[d] as number) + (hidden[base + d] as number);
    }
    for (let d = 0; d < dims; d++) acc[d] = (acc[d] as number) / used;
    out.push(finish(acc, normalize));
  }
  return out;
}

/** Rows of an already pooled `[batch, dims]` output (exports that end in a pooling layer). */
export function pooledRows(pooled: Float32Array, batch: number, dims: number, normalize: boolean): Float32Array[] {
  const out: Float32Array[] = [];
  for (let b = 0; b < batch; b++) out.push(finish(Float64Array.from(pooled.subarray(b * dims, (b + 1) * dims)), normalize));
  return out;
}

function finish(acc: Float64Array, normalize: boolean): Float32Array {
  let norm = 1;
  if (normalize) {
    let sum = 0;
    for (const v of acc) sum += v * v;
    norm = Math.sqrt(sum) || 1;
  }
  const vector = new Float32Array(acc.length);
  for (let d = 0; d < acc.length; d++) vector[d] = (acc[d] as number) / norm;
  return vector;
}
