/**
 * The ONNX provider on a tiny generated model (test/helpers/tiny-onnx.ts) with the real ONNX
 * Runtime: vectors against a reference computed here, batching, truncation, worker threads,
 * the model's name in the cache, and the errors a user can meet.
 */
import { rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GitctxError } from '../../../src/errors.js';
import { InterruptedError, ProviderUnreachableError, UsageError } from '../../../src/errors.js';
import type { ModelFilesRequest } from '../../../src/embed/hub/index.js';
import { createOnnxProvider } from '../../../src/embed/onnx/provider.js';
import type { OnnxProviderOptions } from '../../../src/embed/onnx/provider.js';
import { RUNTIME_MISSING } from '../../../src/embed/onnx/runtime.js';
import { ModelTokenizer } from '../../../src/embed/onnx/tokenizer.js';
import type { EmbedProgress } from '../../../src/embed/types.js';
import { track } from '../../helpers/cleanup.js';
import { referenceVector, writeTinyModelDir } from '../../helpers/tiny-onnx.js';
import type { TinyModel, TinyModelDirOptions } from '../../helpers/tiny-onnx.js';

/** Worker threads run the built module: vitest's transform does not reach into a worker. */
const WORKER_URL = new URL('../../../dist/embed/onnx/worker.js', import.meta.url);

const TEXTS = [
  'parse the json number',
  'function sleep wait timeout',
  'a',
  'the cache of the vector search index for a model token query',
  'read file write file, error: retry!',
  'class user data value list map',
  'import export const let var',
  'return value',
];

/** The tiny tokenizer's ids for `text`, as its WordLevel model and Whitespace pre-tokenizer give them. */
function idsOf(model: TinyModel, text: string, maxTokens = Infinity): number[] {
  const words = text.toLowerCase().match(/\w+|[^\w\s]+/g) ?? [];
  const ids = words.map((w) => model.vocab.get(w) ?? (model.vocab.get('[UNK]') as number));
  return [model.vocab.get('[CLS]') as number, ...ids.slice(0, maxTokens - 2), model.vocab.get('[SEP]') as number];
}

function tinyDir(options: TinyModelDirOptions = {}) {
  return track(writeTinyModelDir(options));
}

function provider(dir: string, options: OnnxProviderOptions = {}, name = 'onnx') {
  return createOnnxProvider(name, { modelPath: dir, threads: 1, workerUrl: WORKER_URL, ...options });
}

function expectClose(actual: Float32Array | undefined, expected: Float64Array): void {
  expect(actual).toBeDefined();
  expect(actual!.length).toBe(expected.length);
  actual!.forEach((v, d) => expect(v).toBeCloseTo(expected[d] as number, 6));
}

describe('the ONNX provider on a tiny model', () => {
  it('gives the mean of the real tokens’ rows, normalised, and names the model by its files', async () => {
    const tiny = tinyDir({ tokenTypeIds: true });
    const p = await provider(tiny.dir);
    expect(p.dims).toBe(tiny.model.dims);
    expect(p.model).toMatch(/^onnx@sha256:[0-9a-f]{16}$/);
    expect(p.maxInputTokens).toBe(64 - 2); // tokenizer_config's limit less [CLS] and [SEP]
    expect(p.countTokens('parse the json')).toBe(3);
    const result = await p.embed(TEXTS);
    expect(result.vectors).toHaveLength(TEXTS.length);
    TEXTS.forEach((text, i) => expectClose(result.vectors[i], referenceVector(tiny.model, idsOf(tiny.model, text), 'mean')));
    expect(result.tokens).toBe(TEXTS.reduce((n, t) => n + idsOf(tiny.model, t).length, 0));
    expect(result.truncated).toBe(0);
    // The same files under another path are the same model; other weights are another.
    const copy = tinyDir({ tokenTypeIds: true });
    expect((await provider(copy.dir)).model).toBe(p.model);
    const other = tinyDir({ seed: 99 });
    expect((await provider(other.dir)).model).not.toBe(p.model);
    await p.close();
  });

  it('takes the first token when 1_Pooling/config.json says CLS', async () => {
    const tiny = tinyDir({ pooling: 'cls' });
    const p = await provider(tiny.dir);
    const [vector] = (await p.embed(['search the index'])).vectors;
    expectClose(vector, referenceVector(tiny.model, idsOf(tiny.model, 'search the index'), 'cls'));
    await p.close();
  });

  it('gives each text the same vector whatever it is batched and padded with', async () => {
    const tiny = tinyDir();
    const p = await provider(tiny.dir, { batchLimits: { maxPaddedTokens: 10_000, maxTexts: 64 } });
    const together = (await p.embed(TEXTS)).vectors;
    for (const [i, text] of TEXTS.entries()) expect((await p.embed([text])).vectors[0]).toEqual(together[i]);
    const small = await provider(tiny.dir, { batchLimits: { maxPaddedTokens: 12, maxTexts: 2 } });
    expect((await small.embed(TEXTS)).vectors).toEqual(together);
    await Promise.all([p.close(), small.close()]);
  });

  it('cuts a text at the model’s limit, keeping the special tokens', async () => {
    const tiny = tinyDir({ maxLength: 20 });
    const p = await provider(tiny.dir);
    expect(p.maxInputTokens).toBe(18);
    const long = Array.from({ length: 40 }, (_, i) => ['parse', 'json', 'file', 'cache'][i % 4]).join(' ');
    const result = await p.embed([long, 'short text']);
    expect(result.truncated).toBe(1);
    expectClose(result.vectors[0], referenceVector(tiny.model, idsOf(tiny.model, long, 20), 'mean'));
    await p.close();
  });

  it('gives worker threads the same vectors as one thread, in order, with progress for every input once', async () => {
    const tiny = tinyDir();
    const texts = Array.from({ length: 60 }, (_, i) => `${TEXTS[i % TEXTS.length]} ${'index '.repeat(i % 7)}`);
    const limits = { maxPaddedTokens: 40, maxTexts: 4 };
    const single = await provider(tiny.dir, { threads: 1, batchLimits: limits });
    const pooled = await provider(tiny.dir, { threads: 2, batchLimits: limits });
    const seen: number[] = [];
    const onProgress = (p: EmbedProgress) => {
      expect(p.vectors).toHaveLength(p.end - p.start);
      for (let i = p.start; i < p.end; i++) seen.push(i);
    };
    const a = await single.embed(texts);
    const b = await pooled.embed(texts, { onProgress });
    expect(b.vectors).toEqual(a.vectors);
    expect(seen.sort((x, y) => x - y)).toEqual(texts.map((_, i) => i));
    await Promise.all([single.close(), pooled.close()]);
  });

  it('learns the size from the graph when config.json does not state it', async () => {
    const tiny = tinyDir({ dims: 12 });
    writeFileSync(join(tiny.dir, 'config.json'), '{}');
    const p = await provider(tiny.dir);
    expect(p.dims).toBe(12);
    await p.close();
  });

  it('puts the query prefix before queries only, and keeps room for the document prefix', () => {
    const tiny = tinyDir();
    const spec = { json: tiny.model.tokenizer, config: {}, maxTokens: 32, origin: 'tokenizer.json' };
    const tokenizer = new ModelTokenizer({ ...spec, queryPrefix: 'search the ', documentPrefix: 'file: ' });
    const [cls, sep] = [tiny.model.vocab.get('[CLS]'), tiny.model.vocab.get('[SEP]')];
    const id = (w: string) => tiny.model.vocab.get(w);
    expect(tokenizer.encode('json', 'query').ids).toEqual([cls, id('search'), id('the'), id('json'), sep]);
    expect(tokenizer.encode('json', 'document').ids).toEqual([cls, id('file'), tiny.model.vocab.get('[UNK]'), id('json'), sep]);
    // 32 less [CLS], [SEP], the two prefix tokens and one of slack.
    expect(tokenizer.maxTextTokens).toBe(27);
    expect(new ModelTokenizer({ ...spec, queryPrefix: '', documentPrefix: '' }).maxTextTokens).toBe(30);
  });

  it('stops with InterruptedError when aborted', async () => {
    const tiny = tinyDir();
    const p = await provider(tiny.dir);
    const controller = new AbortController();
    controller.abort();
    await expect(p.embed(TEXTS, { signal: controller.signal })).rejects.toBeInstanceOf(InterruptedError);
    await p.close();
  });
});

describe('what a user can get wrong', () => {
  it('names `npm install onnxruntime-node` in one line when ONNX Runtime is missing, before any download', async () => {
    const missing = Object.assign(new Error("Cannot find package 'onnxruntime-node'"), { code: 'ERR_MODULE_NOT_FOUND' });
    let fetched = false;
    const err = await createOnnxProvider('bge-small-en-v1.5', {
      modelsDir: '/nonexistent',
      loader: () => Promise.reject(missing),
      fetchFiles: () => {
        fetched = true;
        return Promise.reject(new Error('no download expected'));
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as GitctxError).exitCode).toBe(2);
    expect((err as Error).message).toBe(RUNTIME_MISSING);
    expect((err as Error).message).not.toContain('\n');
    expect((err as Error).message).toContain('npm install onnxruntime-node');
    expect(fetched).toBe(false);
  });

  it('refuses a truncated or foreign model file with a one-line error naming it', async () => {
    const tiny = tinyDir();
    const file = join(tiny.dir, 'onnx', 'model.onnx');
    truncateSync(file, 100);
    const p = await provider(tiny.dir, { threads: 1 });
    const err = await p.embed(['parse json']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).not.toContain('\n');
    writeFileSync(file, 'not a model');
    const pooled = await provider(tiny.dir, { threads: 2, batchLimits: { maxPaddedTokens: 8, maxTexts: 1 } });
    const fromWorker = await pooled.embed(TEXTS).catch((e: unknown) => e);
    expect(fromWorker).toBeInstanceOf(UsageError);
    expect((fromWorker as Error).message).toContain('not a usable ONNX model');
    await Promise.all([p.close(), pooled.close()]);
  });

  it('says so when model.path holds another model than the preset named', async () => {
    const tiny = tinyDir();
    const p = await provider(tiny.dir, {}, 'all-minilm-l6-v2');
    expect(p.model).toMatch(/^all-minilm-l6-v2@sha256:[0-9a-f]{16}$/);
    await expect(p.embed(['json'])).rejects.toThrow(/gives vectors of 8 dimensions, but all-minilm-l6-v2@sha256:\w+ has 384/);
    await p.close();
  });

  it('says what is missing from a model.path directory', async () => {
    const tiny = tinyDir();
    await expect(provider(join(tiny.dir, 'nope'))).rejects.toThrow(/model\.path: .*nope does not exist/);
    rmSync(join(tiny.dir, 'tokenizer.json'));
    await expect(provider(tiny.dir)).rejects.toThrow(/tokenizer\.json is missing/);
    rmSync(join(tiny.dir, 'onnx'), { recursive: true });
    await expect(provider(tiny.dir)).rejects.toThrow(/no model\.onnx or onnx\/model\.onnx/);
    await expect(createOnnxProvider('onnx', { modelsDir: tiny.dir })).rejects.toThrow(/set model\.path/);
  });
});

describe('models from the hub (through the downloader contract)', () => {
  const COMMIT = 'abcdef0123456789abcdef0123456789abcdef01';

  it('asks for a preset’s pinned files and names the cache after the commit', async () => {
    const tiny = tinyDir();
    const requests: ModelFilesRequest[] = [];
    const p = await createOnnxProvider('bge-small-en-v1.5', {
      modelsDir: '/models',
      fetchFiles: (request) => {
        requests.push(request);
        return Promise.resolve({ dir: tiny.dir, commit: COMMIT });
      },
    });
    expect(p.model).toBe('bge-small-en-v1.5@abcdef012345');
    expect(p.dims).toBe(384);
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      hubUrl: 'https://huggingface.co',
      repo: 'BAAI/bge-small-en-v1.5',
      revision: '5c38ec7c405ec4b44b94cc5a9bb96e735b38267a',
      modelsDir: '/models',
    });
    expect(requests[0]?.files).toContain('onnx/model.onnx');
    await p.close();
  });

  it('runs any hf: repository, reading its size and pooling from its files', async () => {
    const tiny = tinyDir({ pooling: 'cls' });
    const requests: ModelFilesRequest[] = [];
    const p = await createOnnxProvider('hf:someone/tiny-model@v1', {
      modelsDir: '/models',
      hubUrl: 'http://127.0.0.1:1',
      fetchFiles: (request) => {
        requests.push(request);
        return Promise.resolve({ dir: tiny.dir, commit: COMMIT });
      },
    });
    expect(p.model).toBe('hf:someone/tiny-model@abcdef012345');
    expect(p.dims).toBe(tiny.model.dims);
    expect(requests[0]).toMatchObject({ repo: 'someone/tiny-model', revision: 'v1', hubUrl: 'http://127.0.0.1:1' });
    // Optional files are asked for at the resolved commit, not the moving revision.
    expect(requests.slice(1).every((r) => r.revision === COMMIT)).toBe(true);
    const [vector] = (await p.embed(['json file'])).vectors;
    expectClose(vector, referenceVector(tiny.model, idsOf(tiny.model, 'json file'), 'cls'));
    await p.close();
  });

  it('takes a file the hub does not have as absent (mean pooling), but not an unreachable hub', async () => {
    const tiny = tinyDir({ pooling: 'cls' });
    const hubLacks = (file: string) => (request: ModelFilesRequest) =>
      request.files.includes(file) ? Promise.reject(new UsageError(`the hub has no file ${file}`)) : Promise.resolve({ dir: tiny.dir, commit: COMMIT });
    const p = await createOnnxProvider('hf:someone/tiny-model', { modelsDir: '/models', fetchFiles: hubLacks('1_Pooling/config.json') });
    const [vector] = (await p.embed(['json file'])).vectors;
    expectClose(vector, referenceVector(tiny.model, idsOf(tiny.model, 'json file'), 'mean'));
    await p.close();
    const unreachable = (request: ModelFilesRequest) =>
      request.files.length === 1 ? Promise.reject(new ProviderUnreachableError('http://127.0.0.1:1 is unreachable')) : Promise.resolve({ dir: tiny.dir, commit: COMMIT });
    await expect(createOnnxProvider('hf:someone/tiny-model', { modelsDir: '/models', fetchFiles: unreachable })).rejects.toBeInstanceOf(ProviderUnreachableError);
  });
});
