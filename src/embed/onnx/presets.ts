/**
 * Well-known ONNX embedding models, chosen by a short name in `model.embedding`, and the
 * `hf:<org>/<name>[@revision]` form for any other hub repository that publishes ONNX weights.
 * Pure data and name parsing: nothing here loads a model, so the registry can list these at no cost.
 *
 * Each preset pins a commit, so the weights (and thus the vectors in a shared cache) are the same
 * on every machine; the cache's model name carries that commit. Facts come from the model cards:
 * pooling, the query/document prefixes the model was trained with, the input limit.
 */

export type Pooling = 'mean' | 'cls';

export interface OnnxPreset {
  /** The name in `model.embedding`. */
  readonly name: string;
  /** `<org>/<name>` on the hub. */
  readonly repo: string;
  /** 40-hex commit: the weights every user of the preset gets. */
  readonly revision: string;
  /** The ONNX weights inside the repository. */
  readonly onnxFile: string;
  readonly dims: number;
  /** The model's own input limit, special tokens included. */
  readonly maxTokens: number;
  readonly pooling: Pooling;
  readonly normalize: boolean;
  /** Put before a search query (instruction-tuned retrieval models want one). */
  readonly queryPrefix: string;
  /** Put before each indexed chunk. */
  readonly documentPrefix: string;
  /** Bytes of the ONNX file, as published (for the README and the first download's notice). */
  readonly onnxBytes: number;
  /** One line: what the model is good for. */
  readonly purpose: string;
}

/** Files every model needs besides its weights; tokenizer_config.json is read when present. */
export const TOKENIZER_FILE = 'tokenizer.json';
export const TOKENIZER_CONFIG_FILE = 'tokenizer_config.json';
export const MODEL_CONFIG_FILE = 'config.json';
/** sentence-transformers' pooling settings, in repositories that have them. */
export const POOLING_CONFIG_FILE = '1_Pooling/config.json';

export const ONNX_PRESETS: readonly OnnxPreset[] = Object.freeze([
  {
    name: 'jina-code-v2',
    repo: 'jinaai/jina-embeddings-v2-base-code',
    revision: '516f4baf13dec4ddddda8631e019b5737c8bc250',
    onnxFile: 'onnx/model.onnx',
    dims: 768,
    maxTokens: 8192,
    pooling: 'mean',
    normalize: true,
    queryPrefix: '',
    documentPrefix: '',
    onnxBytes: 642_000_000,
    purpose: 'code search: trained on code and docstrings in 30 languages; 161M parameters',
  },
  {
    name: 'bge-small-en-v1.5',
    repo: 'BAAI/bge-small-en-v1.5',
    revision: '5c38ec7c405ec4b44b94cc5a9bb96e735b38267a',
    onnxFile: 'onnx/model.onnx',
    dims: 384,
    maxTokens: 512,
    pooling: 'cls',
    normalize: true,
    queryPrefix: 'Represent this sentence for searching relevant passages: ',
    documentPrefix: '',
    onnxBytes: 133_000_000,
    purpose: 'small general English retrieval model (33M parameters), questions in prose',
  },
  {
    name: 'all-minilm-l6-v2',
    repo: 'sentence-transformers/all-MiniLM-L6-v2',
    revision: 'c9745ed1d9f207416be6d2e6f8de32d1f16199bf',
    onnxFile: 'onnx/model.onnx',
    dims: 384,
    maxTokens: 256,
    pooling: 'mean',
    normalize: true,
    queryPrefix: '',
    documentPrefix: '',
    onnxBytes: 90_405_214,
    purpose: 'smallest and fastest (22M parameters); general sentence similarity',
  },
]);

export function presetNamed(name: string): OnnxPreset | undefined {
  return ONNX_PRESETS.find((preset) => preset.name === name);
}

/** `model.embedding` value for "the ONNX model in model.path", when no preset describes it. */
export const PATH_MODEL_NAME = 'onnx';

export const HF_PREFIX = 'hf:';

/** A hub repository named `hf:<org>/<name>[@revision]`. */
export interface HubModelName {
  repo: string;
  /** A branch, tag or commit; `main` when not given. */
  revision: string;
}

// Hub names: letters, digits, `-`, `_`, `.`; no leading `.` (no `..` path step can come through).
const REPO_PART = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,95}$/;
const REVISION = /^[A-Za-z0-9_][A-Za-z0-9._/-]{0,99}$/;

/**
 * The repository and revision of an `hf:` name, undefined when `name` is not one; a malformed
 * one throws a RangeError whose message says what is wrong (the caller adds the setting's name).
 */
export function parseHubModelName(name: string): HubModelName | undefined {
  if (!name.startsWith(HF_PREFIX)) return undefined;
  const body = name.slice(HF_PREFIX.length);
  const at = body.indexOf('@');
  const repo = at === -1 ? body : body.slice(0, at);
  const revision = at === -1 ? 'main' : body.slice(at + 1);
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((part) => REPO_PART.test(part))) {
    throw new RangeError(`expected hf:<org>/<name>[@revision], got ${JSON.stringify(name.slice(0, 120))}`);
  }
  if (!REVISION.test(revision) || revision.includes('..')) {
    throw new RangeError(`${JSON.stringify(revision.slice(0, 120))} is not a branch, tag or commit`);
  }
  return { repo, revision };
}

/** Whether the ONNX provider serves `name`: a preset, an `hf:` name, or `onnx` (the model at model.path). */
export function isOnnxModelName(name: string): boolean {
  return name === PATH_MODEL_NAME || name.startsWith(HF_PREFIX) || presetNamed(name) !== undefined;
}
