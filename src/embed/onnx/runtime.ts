/**
 * ONNX Runtime, loaded only when an ONNX model is used: `onnxruntime-node` is an optional peer
 * dependency (its native libraries are about 294 MB for all platforms), so a default install of
 * gitctx does not have it and no other command may import it. One `OnnxSession` runs batches of
 * token ids through a model and pools its output into one vector per text.
 */
import type * as Ort from 'onnxruntime-node';
import { UsageError } from '../../errors.js';
import { poolTokenVectors, pooledRows } from './pooling.js';
import type { Pooling } from './presets.js';
import { firstLine } from './tokenizer.js';

export type OrtModule = typeof Ort;

/** How the runtime module is obtained; tests inject one that fails to stand for a missing install. */
export type RuntimeLoader = () => Promise<OrtModule>;

export const importRuntime: RuntimeLoader = () => import('onnxruntime-node');

export const RUNTIME_MISSING =
  'ONNX models need ONNX Runtime, which is not installed: run `npm install onnxruntime-node` where gitctx is installed (about 294 MB)';

/** The runtime, or a one-line UsageError (exit 2) saying how to install it. */
export async function loadRuntime(loader: RuntimeLoader = importRuntime): Promise<OrtModule> {
  try {
    return await loader();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') throw new UsageError(RUNTIME_MISSING, { cause: err });
    // Installed but unusable (a native library for another platform, a broken install).
    throw new UsageError(`onnxruntime-node is installed but cannot be loaded (${firstLine(err)}): reinstall it with \`npm install onnxruntime-node\``, {
      cause: err,
    });
  }
}

export interface SessionOptions {
  modelFile: string;
  pooling: Pooling;
  normalize: boolean;
  /** Threads inside one run; 1 when several workers share the cores. */
  threads: number;
}

/** The inputs gitctx can give a text encoder. */
const KNOWN_INPUTS = new Set(['input_ids', 'attention_mask', 'token_type_ids']);
const HIDDEN_OUTPUT = 'last_hidden_state';

export class OnnxSession {
  private constructor(
    private readonly ort: OrtModule,
    private readonly session: Ort.InferenceSession,
    private readonly options: SessionOptions,
  ) {}

  /** Loads the model; a file ONNX Runtime cannot read (truncated, not ONNX) is a one-line UsageError naming it. */
  static async open(ort: OrtModule, options: SessionOptions): Promise<OnnxSession> {
    let session: Ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(options.modelFile, {
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        executionMode: 'sequential',
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      throw new UsageError(`${options.modelFile}: not a usable ONNX model (${firstLine(err)}); download it again or fix model.path`, { cause: err });
    }
    const unknown = session.inputNames.filter((name) => !KNOWN_INPUTS.has(name));
    if (!session.inputNames.includes('input_ids') || unknown.length > 0) {
      await session.release();
      throw new UsageError(
        `${options.modelFile}: not a text embedding model gitctx can run (inputs ${session.inputNames.join(', ')}; expected input_ids, attention_mask, token_type_ids)`,
      );
    }
    return new OnnxSession(ort, session, options);
  }

  /** The vector size the graph declares, when its output shape says it. */
  declaredDims(): number | undefined {
    const meta = this.session.outputMetadata.find((m) => m.name === HIDDEN_OUTPUT) ?? this.session.outputMetadata[0];
    if (meta === undefined || !meta.isTensor) return undefined;
    const last = meta.shape[meta.shape.length - 1];
    return typeof last === 'number' && last > 0 ? last : undefined;
  }

  /** One vector per text of `batch` (token ids, special tokens included), in order. */
  async embed(batch: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const rows = batch.length;
    const seq = Math.max(1, ...batch.map((ids) => ids.length));
    const ids = new BigInt64Array(rows * seq);
    const mask = new BigInt64Array(rows * seq);
    batch.forEach((row, b) => {
      row.forEach((id, s) => {
        ids[b * seq + s] = BigInt(id);
        mask[b * seq + s] = 1n;
      });
    });
    const shape = [rows, seq];
    const feeds: Record<string, Ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const data = name === 'input_ids' ? ids : name === 'attention_mask' ? mask : new BigInt64Array(rows * seq);
      feeds[name] = new this.ort.Tensor('int64', data, shape);
    }
    const results = await this.session.run(feeds);
    const output = results[HIDDEN_OUTPUT] ?? results[this.session.outputNames[0] as string];
    if (output === undefined || output.type !== 'float32') throw new UsageError(`${this.options.modelFile}: the model gives no float32 output`);
    const data = output.data as Float32Array;
    const { pooling, normalize } = this.options;
    if (output.dims.length === 2) return pooledRows(data, rows, Number(output.dims[1]), normalize);
    if (output.dims.length !== 3) throw new UsageError(`${this.options.modelFile}: unexpected output shape [${output.dims.join(', ')}]`);
    const lengths = batch.map((row) => row.length);
    return poolTokenVectors(data, { batch: rows, seq, dims: Number(output.dims[2]) }, lengths, pooling, normalize);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
