import { InterruptedError } from '../errors.js';
import type { EmbedOptions, EmbedResult } from './types.js';

/** About 50 ms of work between event-loop turns. */
const YIELD_EVERY = 128;

/**
 * Embeds texts with a model computed in this process (the built-in local models), free and
 * offline. The work is CPU-bound, so the event loop gets a turn between groups of texts:
 * Ctrl+C and progress output are not held up by a large batch. Progress is told per group.
 */
export async function embedInProcess(
  texts: readonly string[],
  embedOne: (text: string) => Float32Array,
  countTokens: (text: string) => number,
  opts: EmbedOptions = {},
): Promise<EmbedResult> {
  const vectors: Float32Array[] = [];
  let tokens = 0;
  for (let start = 0; start < texts.length; start += YIELD_EVERY) {
    if (start > 0) await new Promise((resolve) => setImmediate(resolve));
    if (opts.signal?.aborted) throw new InterruptedError();
    const end = Math.min(texts.length, start + YIELD_EVERY);
    const group: Float32Array[] = [];
    let groupTokens = 0;
    for (let i = start; i < end; i++) {
      const text = texts[i] as string;
      group.push(embedOne(text));
      groupTokens += countTokens(text);
    }
    vectors.push(...group);
    tokens += groupTokens;
    opts.onProgress?.({ start, end, vectors: group, tokens: groupTokens, costUsd: 0 });
  }
  return { vectors, tokens, costUsd: 0 };
}
