/**
 * Runs batches of token ids through a model: in this thread (one session), or in worker threads
 * (one session each, one intra-op thread each) so batches run on all cores at once. A worker
 * holds the process open only while it has a batch. Closing asks each worker to release its
 * session and end on its own: ONNX Runtime aborts the process when a thread holding a session is
 * terminated, so `terminate()` is only the fallback for a worker that does not answer.
 */
import { Worker } from 'node:worker_threads';
import { UsageError } from '../../errors.js';
import { loadRuntime, OnnxSession } from './runtime.js';
import type { RuntimeLoader, SessionOptions } from './runtime.js';

export type WorkerRequest = { id: number; batch: number[][] } | { close: true };

/** How long a worker may take to release its session before it is stopped the hard way. */
const CLOSE_GRACE_MS = 5_000;

export type WorkerReply = { id: number; vectors: Float32Array[] } | { id: number; error: { message: string; usage: boolean } };

export interface BatchRunner {
  /** Batches that can usefully run at once. */
  readonly parallelism: number;
  run(batch: number[][]): Promise<Float32Array[]>;
  close(): Promise<void>;
}

/** One session in this thread; ONNX Runtime's own threads do the work. */
export class InThreadRunner implements BatchRunner {
  readonly parallelism = 1;
  private session: Promise<OnnxSession> | undefined;

  constructor(
    private readonly options: SessionOptions,
    private readonly loader?: RuntimeLoader,
  ) {}

  run(batch: number[][]): Promise<Float32Array[]> {
    this.session ??= loadRuntime(this.loader).then((ort) => OnnxSession.open(ort, this.options));
    return this.session.then((session) => session.embed(batch));
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    // A session that never opened has nothing to release (its error was told to the caller).
    const opened = await session?.catch(() => undefined);
    await opened?.release();
  }
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

interface Pending {
  resolve: (vectors: Float32Array[]) => void;
  reject: (err: Error) => void;
  slot: Slot;
}

/** `workers` threads, each running worker.js; batches go to whichever is free. */
export class WorkerPool implements BatchRunner {
  private readonly slots: Slot[] = [];
  private readonly waiting: Array<{ batch: number[][]; resolve: (v: Float32Array[]) => void; reject: (e: Error) => void }> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly options: SessionOptions,
    readonly parallelism: number,
    private readonly workerUrl: URL = new URL('./worker.js', import.meta.url),
  ) {}

  run(batch: number[][]): Promise<Float32Array[]> {
    if (this.closed) return Promise.reject(new Error('the embedding workers are closed; this is a bug in gitctx'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ batch, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.waiting.length > 0) {
      const slot = this.slots.find((s) => !s.busy) ?? (this.slots.length < this.parallelism ? this.spawn() : undefined);
      if (slot === undefined) return;
      const job = this.waiting.shift()!;
      const id = this.nextId++;
      slot.busy = true;
      slot.worker.ref();
      this.pending.set(id, { resolve: job.resolve, reject: job.reject, slot });
      slot.worker.postMessage({ id, batch: job.batch } satisfies WorkerRequest);
    }
  }

  private spawn(): Slot {
    const worker = new Worker(this.workerUrl, { workerData: { ...this.options, threads: 1 } satisfies SessionOptions });
    const slot: Slot = { worker, busy: false };
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.settle(reply));
    worker.on('error', (err) => this.fail(slot, err));
    worker.on('exit', (code) => this.fail(slot, new Error(`an embedding worker stopped (exit code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  private settle(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    pending.slot.busy = false;
    pending.slot.worker.unref();
    if ('vectors' in reply) pending.resolve(reply.vectors);
    else pending.reject(reply.error.usage ? new UsageError(reply.error.message) : new Error(reply.error.message));
    this.dispatch();
  }

  /** A worker that died takes its batch with it; the others carry on, and a new one replaces it on demand. */
  private fail(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index === -1) return;
    this.slots.splice(index, 1);
    for (const [id, pending] of this.pending) {
      if (pending.slot !== slot) continue;
      this.pending.delete(id);
      pending.reject(err);
    }
    this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    // Nothing left waiting for an answer that will never come (the workers finish what they run first).
    const stopped = new Error('the embedding workers were closed');
    for (const job of this.waiting.splice(0)) job.reject(stopped);
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((slot) => closeWorker(slot.worker)));
    // A worker stopped the hard way never answered its batch.
    for (const pending of this.pending.values()) pending.reject(stopped);
    this.pending.clear();
  }
}

async function closeWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  // Idle workers are unref'd; without this the process could end while waiting for their exit.
  worker.ref();
  worker.postMessage({ close: true } satisfies WorkerRequest);
  const timer = setTimeout(() => void worker.terminate(), CLOSE_GRACE_MS);
  timer.unref();
  await exited;
  clearTimeout(timer);
}
