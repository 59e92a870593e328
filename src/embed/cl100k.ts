/**
 * Token counting as the OpenAI embeddings API counts (cl100k_base, which the
 * text-embedding-3 models use). Special-token text such as `<|endoftext|>` is
 * ordinary text in a source file, so it is encoded as text, never rejected.
 * Loaded only when an API model is chosen: the tokenizer tables take ~70 ms.
 */
import { countTokens, decode, encode } from 'gpt-tokenizer/encoding/cl100k_base';
import type { Tokenizer } from './openai.js';

const asText = { disallowedSpecial: new Set<string>() };

export const cl100k: Tokenizer = {
  count: (text) => countTokens(text, asText),
  truncate: (text, maxTokens) => decode(encode(text, asText).slice(0, maxTokens)),
};
