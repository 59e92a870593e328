/**
 * Where an ONNX model's files are and what they say about it: from the hub (through the
 * downloader in ../hub, into `$GITCTX_HOME/models`, verified there) or from the local directory
 * `model.path` (fully offline: no hub call at all). Also the model's name in the cache, which
 * pins the exact weights so vectors of two revisions never share a cache directory.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { readBounded } from '../../fs-read.js';
import { DEFAULT_HUB_URL, ensureModelFiles } from '../hub/index.js';
import type { ModelFiles, ModelFilesRequest } from '../hub/index.js';
import {
  HF_PREFIX,
  MODEL_CONFIG_FILE,
  parseHubModelName,
  PATH_MODEL_NAME,
  POOLING_CONFIG_FILE,
  presetNamed,
  TOKENIZER_CONFIG_FILE,
  TOKENIZER_FILE,
} from './presets.js';
import type { OnnxPreset, Pooling } from './presets.js';

/** The weights' path in repositories that do not say otherwise (the layout of Optimum exports). */
export const DEFAULT_ONNX_FILE = 'onnx/model.onnx';
/** Where the model file may be in a `model.path` directory, in the order looked for. */
const LOCAL_ONNX_FILES = ['model.onnx', DEFAULT_ONNX_FILE];
const DEFAULT_MAX_TOKENS = 512;

const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;
const MAX_CONFIG_BYTES = 1024 * 1024;

/** Everything needed to run the model, its files present and verified. */
export interface ResolvedModel {
  /** The model's name in the cache and the index: `<preset>@<commit12>`, `hf:<org>/<name>@<commit12>`, `<name>@sha256:<16 hex>`. */
  cacheName: string;
  modelFile: string;
  tokenizerJson: unknown;
  tokenizerConfig: unknown;
  /** Where tokenizer.json is, for messages. */
  tokenizerOrigin: string;
  /** Undefined when neither the preset nor config.json says; the graph's output shape decides then. */
  dims: number | undefined;
  maxTokens: number;
  pooling: Pooling;
  normalize: boolean;
  queryPrefix: string;
  documentPrefix: string;
}

export interface ModelSourceOptions {
  /** `model.path`: a local directory with the files; no hub call is made. */
  modelPath?: string;
  /** `$GITCTX_HOME/models`. */
  modelsDir?: string;
  /**
   * Plan only (`index --dry-run`): the tokenizer and config files are fetched, the weights never
   * are, so planning a run of a large model does not download hundreds of megabytes.
   */
  withoutWeights?: boolean;
  hubUrl?: string;
  /** The user's hub token, only when it may go to `hubUrl` (the config layer decides). */
  hubToken?: string;
  /** Per request, and retries after the first attempt (model.timeout_ms, model.max_retries). */
  timeoutMs?: number;
  maxRetries?: number;
  onProgress?: ModelFilesRequest['onProgress'];
  signal?: AbortSignal;
  /** The downloader; tests pass their own. */
  fetchFiles?: (request: ModelFilesRequest) => Promise<ModelFiles>;
}

/** The model `name` (a preset, `hf:…`, or `onnx` with model.path) with its files on disk. */
export async function resolveModel(name: string, options: ModelSourceOptions): Promise<ResolvedModel> {
  const preset = presetNamed(name);
  if (options.modelPath !== undefined) return fromDirectory(name, options.modelPath, preset);
  if (name === PATH_MODEL_NAME) throw new UsageError(`model.embedding is ${PATH_MODEL_NAME}: set model.path to the directory holding model.onnx and tokenizer.json`);
  if (preset !== undefined) return fromPreset(preset, options);
  return fromHubName(name, options);
}

/** What a preset says about running its model (the rest comes from its files). */
function presetFacts(preset: OnnxPreset): Pick<ResolvedModel, 'dims' | 'maxTokens' | 'pooling' | 'normalize' | 'queryPrefix' | 'documentPrefix'> {
  const { dims, maxTokens, pooling, normalize, queryPrefix, documentPrefix } = preset;
  return { dims, maxTokens, pooling, normalize, queryPrefix, documentPrefix };
}

async function fromPreset(preset: OnnxPreset, options: ModelSourceOptions): Promise<ResolvedModel> {
  const required = [...(options.withoutWeights ? [] : [preset.onnxFile]), TOKENIZER_FILE, TOKENIZER_CONFIG_FILE];
  const files = await fetchFrom(options, preset.repo, preset.revision, required);
  return {
    cacheName: `${preset.name}@${files.commit.slice(0, 12)}`,
    modelFile: join(files.dir, preset.onnxFile),
    ...(await readTokenizer(files.dir)),
    ...presetFacts(preset),
  };
}

async function fromHubName(name: string, options: ModelSourceOptions): Promise<ResolvedModel> {
  const hub = hubName(name);
  const weights = options.withoutWeights ? [] : [DEFAULT_ONNX_FILE];
  const files = await fetchFrom(options, hub.repo, hub.revision, [...weights, TOKENIZER_FILE, MODEL_CONFIG_FILE]);
  // The same commit for the optional files, so they cannot come from a newer revision.
  const optional = async (file: string) => (await fetchOptional(options, hub.repo, files.commit, file)) ?? undefined;
  const tokenizerConfigDir = await optional(TOKENIZER_CONFIG_FILE);
  const poolingDir = await optional(POOLING_CONFIG_FILE);
  const facts = await readFacts(files.dir, { tokenizerConfig: tokenizerConfigDir !== undefined, pooling: poolingDir !== undefined });
  return {
    cacheName: `${HF_PREFIX}${hub.repo}@${files.commit.slice(0, 12)}`,
    modelFile: join(files.dir, DEFAULT_ONNX_FILE),
    ...(await readTokenizer(tokenizerConfigDir ?? files.dir, files.dir)),
    ...facts,
  };
}

function hubName(name: string): { repo: string; revision: string } {
  try {
    const parsed = parseHubModelName(name);
    if (parsed === undefined) throw new RangeError(`${JSON.stringify(name)} is not an ONNX model name`);
    return parsed;
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`model.embedding: ${err.message}`);
    throw err;
  }
}

async function fetchFrom(options: ModelSourceOptions, repo: string, revision: string, files: string[]): Promise<ModelFiles> {
  if (options.modelsDir === undefined) throw new Error('no models directory given; this is a bug in gitctx');
  const fetchFiles = options.fetchFiles ?? ensureModelFiles;
  return fetchFiles({
    hubUrl: options.hubUrl ?? DEFAULT_HUB_URL,
    repo,
    revision,
    files,
    modelsDir: options.modelsDir,
    ...(options.hubToken !== undefined ? { token: options.hubToken } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.maxRetries !== undefined ? { retry: { maxRetries: options.maxRetries } } : {}),
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}

/**
 * The directory holding `file` when the repository has it, else undefined. The downloader says
 * "the hub has no such file" with a UsageError; anything else (unreachable hub, refused token,
 * Ctrl+C, a file that failed verification) is an error here too.
 */
async function fetchOptional(options: ModelSourceOptions, repo: string, commit: string, file: string): Promise<string | undefined> {
  try {
    return (await fetchFrom(options, repo, commit, [file])).dir;
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

/**
 * A local directory. Its cache name is `<name>@sha256:<16 hex>` over the model file, the tokenizer
 * and the settings that change vectors: the directory's path differs between machines and says
 * nothing of its contents, while the same files give the same name everywhere (teammates share
 * cached vectors) and changed files a new one (old vectors never mix with new).
 */
async function fromDirectory(name: string, dir: string, preset: OnnxPreset | undefined): Promise<ResolvedModel> {
  await assertDirectory(dir);
  const modelFile = await findModelFile(dir, preset);
  const facts =
    preset !== undefined
      ? presetFacts(preset)
      : await readFacts(dir, { tokenizerConfig: true, pooling: true });
  const tokenizer = await readTokenizer(dir);
  const identity = createHash('sha256')
    .update(await sha256File(modelFile))
    .update(JSON.stringify([tokenizer.tokenizerJson, facts.pooling, facts.normalize, facts.queryPrefix, facts.documentPrefix, facts.maxTokens]))
    .digest('hex');
  const base = name.startsWith(HF_PREFIX) ? `${HF_PREFIX}${hubName(name).repo}` : name;
  return { cacheName: `${base}@sha256:${identity.slice(0, 16)}`, modelFile, ...tokenizer, ...facts };
}

async function assertDirectory(dir: string): Promise<void> {
  try {
    if ((await stat(dir)).isDirectory()) return;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new UsageError(`model.path: ${dir} does not exist`);
  }
  throw new UsageError(`model.path: ${dir} is not a directory`);
}

async function findModelFile(dir: string, preset: OnnxPreset | undefined): Promise<string> {
  const candidates = preset !== undefined ? [preset.onnxFile, ...LOCAL_ONNX_FILES] : LOCAL_ONNX_FILES;
  for (const file of candidates) {
    try {
      if ((await stat(join(dir, file))).isFile()) return join(dir, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  throw new UsageError(`model.path: no ${LOCAL_ONNX_FILES.join(' or ')} in ${dir}`);
}

function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** A JSON file, undefined when absent; bounded, and a one-line UsageError when unreadable. */
async function readJson(path: string, maxBytes: number): Promise<unknown> {
  const read = await readBounded(path, maxBytes, { followLinks: true });
  if (read.kind === 'absent') return undefined;
  if (read.kind === 'unusable') throw new UsageError(`${path}: cannot be read (${read.reason})`);
  try {
    return JSON.parse(new TextDecoder().decode(read.bytes)) as unknown;
  } catch {
    throw new UsageError(`${path}: not valid JSON; download the model again`);
  }
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function positiveInt(value: unknown, below: number): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value < below ? value : undefined;
}

async function readTokenizer(configDir: string, jsonDir = configDir): Promise<Pick<ResolvedModel, 'tokenizerJson' | 'tokenizerConfig' | 'tokenizerOrigin'>> {
  const origin = join(jsonDir, TOKENIZER_FILE);
  const tokenizerJson = await readJson(origin, MAX_TOKENIZER_BYTES);
  if (tokenizerJson === undefined) throw new UsageError(`${origin} is missing: the model's tokenizer is needed`);
  return { tokenizerJson, tokenizerConfig: record(await readJson(join(configDir, TOKENIZER_CONFIG_FILE), MAX_CONFIG_BYTES)), tokenizerOrigin: origin };
}

/**
 * Size, input limit and pooling from a repository's own files: config.json (`hidden_size`,
 * `max_position_embeddings`), tokenizer_config.json (`model_max_length`, often a huge "unset"
 * sentinel) and sentence-transformers' 1_Pooling/config.json. Mean pooling and L2 normalisation
 * unless they say otherwise; no prefixes (an `hf:` model that needs one is better as a preset).
 */
async function readFacts(
  dir: string,
  present: { tokenizerConfig: boolean; pooling: boolean },
): Promise<Pick<ResolvedModel, 'dims' | 'maxTokens' | 'pooling' | 'normalize' | 'queryPrefix' | 'documentPrefix'>> {
  const config = record(await readJson(join(dir, MODEL_CONFIG_FILE), MAX_CONFIG_BYTES));
  const tokenizerConfig = present.tokenizerConfig ? record(await readJson(join(dir, TOKENIZER_CONFIG_FILE), MAX_CONFIG_BYTES)) : {};
  const pooling = present.pooling ? record(await readJson(join(dir, POOLING_CONFIG_FILE), MAX_CONFIG_BYTES)) : {};
  const limits = [positiveInt(tokenizerConfig.model_max_length, 1_000_000), positiveInt(config.max_position_embeddings, 1_000_000)].filter(
    (n): n is number => n !== undefined,
  );
  const dims = positiveInt(config.hidden_size, 65_537) ?? positiveInt(pooling.word_embedding_dimension, 65_537);
  return {
    dims,
    maxTokens: limits.length > 0 ? Math.min(...limits) : DEFAULT_MAX_TOKENS,
    pooling: pooling.pooling_mode_cls_token === true && pooling.pooling_mode_mean_tokens !== true ? 'cls' : 'mean',
    normalize: true,
    queryPrefix: '',
    documentPrefix: '',
  };
}
