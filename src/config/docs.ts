import type { Settings } from './schema.js';

/** Every `section.key` the schema declares, as a type: the table below must name each one, and nothing else. */
export type SettingName = {
  [S in keyof Settings & string]: `${S}.${keyof Settings[S] & string}`;
}[keyof Settings & string];

export interface SettingDoc {
  /** One line for `config init`'s comments and `config list --json`; what the key does, not its type. */
  text: string;
  /** For a key with no default: a value to show, commented out, in `config init`'s file. */
  example?: unknown;
}

/**
 * What each setting is for. The schema says what a value may be; this says why you would change it.
 * Typed against the schema, and a test checks it against SETTING_KEYS, so a new key cannot go undocumented.
 */
export const SETTING_DOCS: Readonly<Record<SettingName, SettingDoc>> = {
  'model.embedding': {
    text: 'Embedding model: local (offline, no key; = local-v2, code words plus a shipped token table), local-v1 (offline, code words only, faster), an ONNX model run in process (jina-code-v2, bge-small-en-v1.5, all-minilm-l6-v2, hf:<org>/<name>[@revision]; needs onnxruntime-node), text-embedding-3-small, text-embedding-3-large, or any model base_url serves. An API model, or hf: weights, set in the repo file need `gitctx config trust`.',
  },
  'model.base_url': {
    text: 'OpenAI-compatible endpoint (also $OPENAI_BASE_URL); unset means the OpenAI API. Set in the repo file, it needs `gitctx config trust` and never gets your key.',
    example: 'http://localhost:11434/v1',
  },
  'model.dimensions': {
    text: 'Shorter vectors, for models that support it; unset means the model’s full size.',
    example: 1024,
  },
  'model.hub_url': {
    text: 'Where ONNX model weights are downloaded from (also $HF_ENDPOINT); unset means https://huggingface.co. Set in the repo file, it needs `gitctx config trust` and never gets your token.',
    example: 'https://hf-mirror.example.com',
  },
  'model.path': {
    text: 'A local directory holding an ONNX model (model.onnx or onnx/model.onnx, tokenizer.json, config files), used fully offline; model.embedding then names the preset the files are, or onnx. User settings only.',
    example: '/models/bge-small-en-v1.5',
  },
  'model.max_retries': { text: 'Retries of one API request (rate limits, 5xx, timeouts) before giving up with exit 5.' },
  'model.timeout_ms': { text: 'Time allowed for one API request, in milliseconds.' },
  'index.refs': { text: 'Refs whose history `gitctx index --history` indexes.' },
  'index.exclude': { text: 'Extra globs to skip, beside binary, generated, vendored and lock files.' },
  'index.max_file_bytes': { text: 'Files larger than this many bytes are skipped (at most 8388608, 8 MiB).' },
  'index.db_uri': {
    text: 'Keep the index on object storage instead of .gitctx/db: `gitctx index` (one writer at a time, e.g. CI) writes it, search, status and mcp only read it. Set in the repo file, it needs `gitctx config trust`.',
    example: 's3://my-bucket/gitctx/my-repo',
  },
  'index.storage_options': {
    text: 'name=value options for reaching index.db_uri (aws_endpoint, aws_region, ...); credentials (names with key, secret, token...) only in the user file or environment (AWS_*, GOOGLE_*, AZURE_*), shown masked, and never sent to an endpoint the repo file names (its requests go unsigned).',
  },
  'cache.encoding': { text: 'How vectors are stored in .gitctx/embeddings: f32 and f32-shuffle are lossless, f16 halves the size.' },
  'search.limit': { text: 'Results per search (-n).' },
  'search.min_score': {
    text: 'Drop results whose score is below this (--min-score): hybrid 0 to 1, vector the cosine (-1 to 1), text the BM25 saturated to 0 to 1.',
    example: 0.3,
  },
  'search.format': { text: 'Output format (--format).' },
  'search.mode': { text: 'Ranking (--mode): hybrid fuses vector and full-text ranks.' },
  'search.prefer_source': {
    text: 'Rank source files above tests, docs, examples, changelogs and generated files (false, or --all-kinds, ranks every kind alike).',
  },
  'api_keys.openai': {
    text: 'OpenAI API key (also $OPENAI_API_KEY); user file only, always shown masked.',
    example: 'sk-...',
  },
  'api_keys.huggingface': {
    text: 'Hugging Face token for gated or private models (also $HF_TOKEN); user file only, always shown masked, sent only to a hub you chose.',
    example: 'hf_...',
  },
};

export function settingDoc(key: string): SettingDoc | undefined {
  return (SETTING_DOCS as Readonly<Record<string, SettingDoc>>)[key];
}
