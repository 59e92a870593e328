/**
 * A tiny embedding model for the ONNX tests, made on the spot: an ONNX graph written from the
 * protobuf schema (onnx.proto: ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto)
 * plus a WordLevel `tokenizer.json` in Hugging Face's format.
 *
 * The graph is one Gather: `last_hidden_state[b, s, :] = table[input_ids[b, s], :]`, with a
 * small table of seeded pseudo-random floats. `attention_mask` (and, on request,
 * `token_type_ids`) are declared inputs the graph does not read, as in a real encoder's
 * signature, so the provider's input handling is exercised. Vectors are then exactly
 * computable in JavaScript: mean of the rows of the unmasked tokens, or the first row (CLS).
 *
 * The protobuf encoder is hand-written (about 60 lines of varints and length prefixes): a test
 * fixture does not justify a protobuf dependency or a checked-in binary model.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prng } from './cache-data.js';

// --- protobuf wire format: varint (0) and length-delimited (2) fields are all ONNX needs here.

type Field = Uint8Array;

function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 1n << 64n; // two's complement, as int64 fields are encoded
  const out: number[] = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return out;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function intField(field: number, value: number | bigint): Field {
  return Uint8Array.from([...varint(field << 3), ...varint(value)]);
}

function bytesField(field: number, bytes: Uint8Array): Field {
  return concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
}

function stringField(field: number, text: string): Field {
  return bytesField(field, new TextEncoder().encode(text));
}

function message(...fields: readonly (Field | readonly Field[])[]): Uint8Array {
  return concat(fields.flat());
}

// --- onnx.proto messages (field numbers from the schema).

const ELEM_FLOAT = 1;
const ELEM_INT64 = 7;

/** TensorShapeProto.Dimension: a number (dim_value = 1) or a symbolic name (dim_param = 2). */
function dimension(dim: number | string): Uint8Array {
  return typeof dim === 'number' ? message(intField(1, dim)) : message(stringField(2, dim));
}

/** ValueInfoProto { name = 1, type = 2: TypeProto { tensor_type = 1: { elem_type = 1, shape = 2 } } }. */
function valueInfo(name: string, elemType: number, dims: readonly (number | string)[]): Uint8Array {
  const shape = message(dims.map((d) => bytesField(1, dimension(d))));
  const tensorType = message(intField(1, elemType), bytesField(2, shape));
  return message(stringField(1, name), bytesField(2, message(bytesField(1, tensorType))));
}

/** TensorProto { dims = 1, data_type = 2, name = 8, raw_data = 9 (little-endian) }. */
function floatTensor(name: string, dims: readonly number[], values: Float32Array): Uint8Array {
  const raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  return message(
    dims.map((d) => intField(1, d)),
    intField(2, ELEM_FLOAT),
    stringField(8, name),
    bytesField(9, raw),
  );
}

/** NodeProto { input = 1, output = 2, name = 3, op_type = 4 }. */
function node(opType: string, inputs: readonly string[], outputs: readonly string[], name: string): Uint8Array {
  return message(
    inputs.map((i) => stringField(1, i)),
    outputs.map((o) => stringField(2, o)),
    stringField(3, name),
    stringField(4, opType),
  );
}

export interface TinyModelOptions {
  /** Vocabulary words; ids follow the special tokens. */
  words?: readonly string[];
  dims?: number;
  seed?: number;
  /** Declare a `token_type_ids` input, as BERT exports do. */
  tokenTypeIds?: boolean;
  /**
   * `dims × dims` MatMul layers after the lookup: compute per token like a real encoder's, for
   * the bench (vectors then no longer match `referenceVector`).
   */
  layers?: number;
}

export interface TinyModel {
  /** The serialized ModelProto. */
  onnx: Uint8Array;
  /** The embedding table, row per token id. */
  table: Float32Array;
  dims: number;
  /** tokenizer.json as an object. */
  tokenizer: object;
  /** Token id of each vocabulary entry, special tokens included. */
  vocab: ReadonlyMap<string, number>;
}

export const TINY_SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]'] as const;

const DEFAULT_WORDS = (
  'the a of to and in is for on with that this it as be by from function return const let var ' +
  'class def import export if else while loop parse json number string file read write sleep wait ' +
  'timeout error retry cache vector search index model token query user data value list map'
).split(' ');


/** The model bytes, its table and its tokenizer, all in memory. */
export function makeTinyModel(options: TinyModelOptions = {}): TinyModel {
  const words = options.words ?? DEFAULT_WORDS;
  const dims = options.dims ?? 8;
  const vocab = new Map<string, number>();
  for (const token of [...TINY_SPECIALS, ...words]) if (!vocab.has(token)) vocab.set(token, vocab.size);
  const random = prng(options.seed ?? 7);
  const table = new Float32Array(vocab.size * dims);
  for (let i = 0; i < table.length; i++) table[i] = random() * 2 - 1;

  const inputs = [
    valueInfo('input_ids', ELEM_INT64, ['batch', 'sequence']),
    valueInfo('attention_mask', ELEM_INT64, ['batch', 'sequence']),
    ...(options.tokenTypeIds === true ? [valueInfo('token_type_ids', ELEM_INT64, ['batch', 'sequence'])] : []),
  ];
  const layers = options.layers ?? 0;
  const hidden = (i: number) => (i === layers ? 'last_hidden_state' : `hidden_${i}`);
  const weights = Array.from({ length: layers }, (_, i) => {
    const w = new Float32Array(dims * dims);
    for (let j = 0; j < w.length; j++) w[j] = (random() * 2 - 1) / Math.sqrt(dims);
    return floatTensor(`weight_${i}`, [dims, dims], w);
  });
  const graph = message(
    bytesField(1, node('Gather', ['embeddings', 'input_ids'], [hidden(0)], 'lookup')),
    Array.from({ length: layers }, (_, i) => bytesField(1, node('MatMul', [hidden(i), `weight_${i}`], [hidden(i + 1)], `layer_${i}`))),
    stringField(2, 'tiny-embedding'),
    bytesField(5, floatTensor('embeddings', [vocab.size, dims], table)),
    weights.map((w) => bytesField(5, w)),
    inputs.map((i) => bytesField(11, i)),
    bytesField(12, valueInfo('last_hidden_state', ELEM_FLOAT, ['batch', 'sequence', dims])),
  );
  const onnx = message(
    intField(1, 8), // ir_version
    stringField(2, 'gitctx-tests'), // producer_name
    bytesField(7, graph),
    bytesField(8, message(stringField(1, ''), intField(2, 13))), // opset_import: default domain, opset 13
  );
  return { onnx, table, dims, tokenizer: wordLevelTokenizer(vocab), vocab };
}

/** A BERT-like tokenizer.json: lowercase, split on whitespace and punctuation, WordLevel, [CLS] … [SEP]. */
function wordLevelTokenizer(vocab: ReadonlyMap<string, number>): object {
  const special = (content: string) => ({
    id: vocab.get(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TINY_SPECIALS.map(special),
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'Whitespace' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab.get('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab.get('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: null,
    model: { type: 'WordLevel', vocab: Object.fromEntries(vocab), unk_token: '[UNK]' },
  };
}

export interface TinyModelDir {
  dir: string;
  model: TinyModel;
  cleanup(): void;
}

export interface TinyModelDirOptions extends TinyModelOptions {
  /** Where model.onnx goes inside the directory (default `onnx/model.onnx`, as on the hub). */
  modelFile?: string;
  /** `1_Pooling/config.json` of a sentence-transformers repository, when given. */
  pooling?: 'mean' | 'cls';
  /** tokenizer_config.json's `model_max_length`. */
  maxLength?: number;
}

/** The model's files in a temp directory laid out like a hub repository (`model.path` points at it). */
export function writeTinyModelDir(options: TinyModelDirOptions = {}): TinyModelDir {
  const model = makeTinyModel(options);
  const dir = mkdtempSync(join(tmpdir(), 'gitctx-tiny-onnx-'));
  const modelFile = join(dir, options.modelFile ?? 'onnx/model.onnx');
  mkdirSync(join(modelFile, '..'), { recursive: true });
  writeFileSync(modelFile, model.onnx);
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(model.tokenizer));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify({ model_max_length: options.maxLength ?? 64, do_lower_case: true, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]' }),
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', hidden_size: model.dims, max_position_embeddings: 512 }));
  if (options.pooling !== undefined) {
    mkdirSync(join(dir, '1_Pooling'));
    writeFileSync(
      join(dir, '1_Pooling', 'config.json'),
      JSON.stringify({ word_embedding_dimension: model.dims, pooling_mode_cls_token: options.pooling === 'cls', pooling_mode_mean_tokens: options.pooling === 'mean' }),
    );
  }
  return { dir, model, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What the model should give for `ids` (one text's token ids, specials included): pooled, then L2-normalised, in float64. */
export function referenceVector(model: TinyModel, ids: readonly number[], pooling: 'mean' | 'cls'): Float64Array {
  const out = new Float64Array(model.dims);
  const rows = pooling === 'cls' ? ids.slice(0, 1) : ids;
  for (const id of rows) for (let d = 0; d < model.dims; d++) out[d] = (out[d] as number) + (model.table[id * model.dims + d] as number);
  for (let d = 0; d < model.dims; d++) out[d] = (out[d] as number) / rows.length;
  const norm = Math.hypot(...out);
  for (let d = 0; d < model.dims; d++) out[d] = (out[d] as number) / norm;
  return out;
}
