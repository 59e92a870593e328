/**
 * A model's own tokenizer (tokenizer.json through @huggingface/tokenizers), with what the
 * embedding path needs on top: the instruction prefix of queries or documents, truncation at the
 * model's input limit with its special tokens kept ([CLS] … [SEP] stay at the ends), and a count
 * of a text's own tokens for the chunker.
 */
import { Tokenizer } from '@huggingface/tokenizers';
import { UsageError } from '../../errors.js';

export type InputKind = 'query' | 'document';

export interface TokenizerSpec {
  /** tokenizer.json, parsed. */
  json: unknown;
  /** tokenizer_config.json, parsed ({} when the model has none). */
  config: unknown;
  /** The model's input limit, special tokens and prefix included. */
  maxTokens: number;
  queryPrefix: string;
  documentPrefix: string;
  /** Where tokenizer.json came from, for messages. */
  origin: string;
}

const PROBE = 'probe text';

export class ModelTokenizer {
  private readonly tokenizer: Tokenizer;
  /** Special tokens the model expects before and after a text. */
  private readonly head: readonly number[];
  private readonly tail: readonly number[];
  private readonly spec: TokenizerSpec;
  /** The unknown-token id, for tokens the library leaves without one. */
  private readonly unk: number | undefined;
  /** Longest text, in this tokenizer's tokens, that fits with the document prefix and the special tokens. */
  readonly maxTextTokens: number;

  constructor(spec: TokenizerSpec) {
    this.spec = spec;
    try {
      this.tokenizer = new Tokenizer(spec.json as object, spec.config as object);
      // The library gives unknown words of a WordLevel vocabulary no id unless tokenizer_config.json names the unk token.
      const unkToken = field(field(spec.json, 'model'), 'unk_token') ?? field(spec.config, 'unk_token');
      this.unk = typeof unkToken === 'string' ? this.tokenizer.token_to_id(unkToken) : undefined;
      // The special tokens, found once by comparing a probe's encodings with and without them:
      // tokenizer.json's post-processor comes in several shapes, this reads none of them.
      const plain = this.tokenizer.encode(PROBE, { add_special_tokens: false }).ids;
      const full = this.tokenizer.encode(PROBE).ids;
      const at = findRun(full, plain);
      if (at === -1) throw new Error('its special tokens are not around the text');
      this.head = full.slice(0, at);
      this.tail = full.slice(at + plain.length);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(`${spec.origin}: cannot use this tokenizer (${firstLine(err)})`, { cause: err });
    }
    // One token of slack: a prefix and a text can tokenize into one more token together than apart.
    const prefix = spec.documentPrefix === '' ? 0 : this.count(spec.documentPrefix) + 1;
    this.maxTextTokens = spec.maxTokens - this.head.length - this.tail.length - prefix;
    if (this.maxTextTokens < 16) throw new UsageError(`${spec.origin}: an input limit of ${spec.maxTokens} tokens leaves no room for text`);
  }

  /** Tokens of `text` alone: what the chunker sizes chunks in. */
  count(text: string): number {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids.length;
  }

  /** Token ids of `text` without special tokens; a token without an id becomes the unknown token, or is dropped when there is none. */
  private idsOf(text: string): number[] {
    const ids: number[] = this.tokenizer.encode(text, { add_special_tokens: false }).ids;
    if (ids.every((id) => Number.isSafeInteger(id))) return ids;
    const unk = this.unk;
    return unk === undefined ? ids.filter((id) => Number.isSafeInteger(id)) : ids.map((id) => (Number.isSafeInteger(id) ? id : unk));
  }

  /** The model's input for `text`: prefix, text cut to the input limit, special tokens. */
  encode(text: string, kind: InputKind): { ids: number[]; truncated: boolean } {
    const prefix = kind === 'query' ? this.spec.queryPrefix : this.spec.documentPrefix;
    const body = this.idsOf(prefix + text);
    const room = this.spec.maxTokens - this.head.length - this.tail.length;
    const truncated = body.length > room;
    return { ids: [...this.head, ...(truncated ? body.slice(0, room) : body), ...this.tail], truncated };
  }
}

function field(value: unknown, name: string): unknown {
  return value !== null && typeof value === 'object' && Object.hasOwn(value, name) ? (value as Record<string, unknown>)[name] : undefined;
}

function findRun(haystack: readonly number[], needle: readonly number[]): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

export function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return (text.split('\n')[0] ?? '').slice(0, 300);
}
