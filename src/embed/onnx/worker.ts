/**
 * One embedding worker thread: its own ONNX Runtime session (one intra-op thread, so several
 * workers share the cores without oversubscribing them), fed batches of token ids by pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { GitctxError } from '../../errors.js';
import { loadRuntime, OnnxSession } from './runtime.js';
import type { SessionOptions } from './runtime.js';
import type { WorkerReply, WorkerRequest } from './pool.js';

const port = parentPort;
if (port === null) throw new Error('worker.js runs as a worker thread');

const options = workerData as SessionOptions;
let session: Promise<OnnxSession> | undefined;
/** The batch being embedded, so a close waits for it: releasing a session mid-run aborts the process. */
let running: Promise<unknown> = Promise.resolve();

port.on('message', (request: WorkerRequest) => {
  if ('close' in request) {
    // Released before the thread ends: a session alive at thread teardown aborts the process.
    void (async () => {
      await running;
      await (await session?.catch(() => undefined))?.release();
      port.close();
    })();
    return;
  }
  running = (async () => {
    let reply: WorkerReply;
    try {
      session ??= loadRuntime().then((ort) => OnnxSession.open(ort, options));
      const vectors = await (await session).embed(request.batch);
      reply = { id: request.id, vectors };
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      reply = { id: request.id, error: { message, usage: err instanceof GitctxError } };
    }
    port.postMessage(reply, 'vectors' in reply ? reply.vectors.map((v) => v.buffer as ArrayBuffer) : []);
  })();
});
