import type { ChildProcessWithoutNullStreams } from 'node:child_process';

import { GitCommandError, MissingObjectError } from './errors.js';
import type { Repository } from './repository.js';
import { exitFailure, runGit, watchProcess } from './runner.js';
import type { ProcessExit } from './runner.js';

/** One blob's content, or null when the object is not in the repository. */
export interface BlobContent {
  sha: string;
  content: Buffer | null;
}

export interface ReadManyOptions {
  /**
   * Upper bound on blob bytes read ahead but not yet taken by the consumer. A single
   * blob larger than this is still read whole (a Buffer is the unit handed out), but
   * nothing else is buffered beside it. Default 32 MiB.
   */
  maxInFlightBytes?: number;
  /** Requests queued to git ahead of the consumer. Default 256. */
  maxInFlightRequests?: number;
}

/** Where blob contents come from; `openBlobReader` for a repository, `MemoryBlobSource` in tests. */
export interface BlobSource {
  /** The blob's bytes; rejects with MissingObjectError when it does not exist. */
  read(sha: string): Promise<Buffer>;
  /** Blobs in the order asked, reading ahead within `maxInFlightBytes`; missing ones yield `content: null`. */
  readMany(shas: Iterable<string>, options?: ReadManyOptions): AsyncGenerator<BlobContent, void, undefined>;
  /** Stops the reader; pending reads reject. Safe to call twice. */
  close(): Promise<void>;
}

export interface BlobReaderStats {
  /** Blob bytes held by the reader now: finished but not yet taken, plus the one being received. */
  bufferedBytes: number;
  /** The most `bufferedBytes` has been since the reader opened. */
  peakBufferedBytes: number;
  /** Requests sent to git and not yet answered. */
  pendingRequests: number;
}

const DEFAULT_MAX_IN_FLIGHT_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 256;
const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const CAT_FILE_ARGS = ['cat-file', '--batch'] as const;

interface Request {
  sha: string;
  /** Set while a readMany window owns the result: its bytes count against the window's budget. */
  held: boolean;
  heldBytes: number;
  settle(error: Error | null, content: Buffer | null): void;
}

interface Body {
  sha: string;
  buffer: Buffer;
  filled: number;
  /** Set when the object is not a blob: its content is still consumed, then the request fails. */
  wrongType: string | null;
}

/**
 * Starts one long-lived `git cat-file --batch` for the repository. Keep one per
 * indexing run and close it when done: process start-up, not reading, is what costs
 * when a repository has thousands of small files.
 */
export function openBlobReader(repo: Repository): CatFileBlobReader {
  return new CatFileBlobReader(repo);
}

/**
 * Talks the `cat-file --batch` protocol: one `<id>\n` per request on stdin, answered
 * in order on stdout by `<id> <type> <size>\n<content>\n` or `<id> missing\n`.
 * Answers are parsed as they stream in, so a blob may span many chunks and a chunk
 * may hold many blobs. When a readMany consumer falls behind by `maxInFlightBytes`,
 * stdout is paused and git blocks on its full pipe: memory stays bounded without
 * git or us buffering the rest. (A read() issued meanwhile waits too: one pipe
 * serves all requests, in order.)
 */
export class CatFileBlobReader implements BlobSource {
  readonly pid: number | undefined;

  private readonly child: ChildProcessWithoutNullStreams;
  private readonly exited: Promise<ProcessExit>;
  private readonly queue: Request[] = [];
  private queueHead = 0;
  private header: Buffer[] = [];
  private body: Body | null = null;
  /** The LF that ends every content is still to come (it may arrive in the next chunk). */
  private awaitingTerminator = false;
  private heldBytes = 0;
  private holdLimit = Number.POSITIVE_INFINITY;
  private peakBytes = 0;
  private paused = false;
  private failure: Error | null = null;
  private closing = false;
  private windowOpen = false;

  constructor(repo: Repository) {
    this.child = repo.runner.spawn(CAT_FILE_ARGS, repo.root);
    this.pid = this.child.pid;
    this.exited = watchProcess(this.child, repo.root);
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    void this.exited.then((exit) => this.onExit(exit));
  }

  read(sha: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.send({
        sha,
        held: false,
        heldBytes: 0,
        settle: (error, content) => {
          if (error !== null) reject(error);
          else if (content === null) reject(new MissingObjectError(sha));
          else resolve(content);
        },
      });
    });
  }

  async *readMany(shas: Iterable<string>, options: ReadManyOptions = {}): AsyncGenerator<BlobContent, void, undefined> {
    const maxBytes = options.maxInFlightBytes ?? DEFAULT_MAX_IN_FLIGHT_BYTES;
    const maxRequests = Math.max(1, options.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT_REQUESTS);
    // The byte budget is the reader's, so two windows at once could not both honour theirs.
    if (this.windowOpen) throw new Error('CatFileBlobReader: only one readMany may run at a time');
    this.windowOpen = true;
    this.holdLimit = maxBytes;

    interface Slot {
      request: Request;
      result: Promise<{ error: Error | null; content: Buffer | null }>;
    }
    const window: Slot[] = [];
    const source = shas[Symbol.iterator]();
    let exhausted = false;
    const fill = (): void => {
      while (!exhausted && window.length < maxRequests && this.heldBytes < maxBytes) {
        const next = source.next();
        if (next.done === true) {
          exhausted = true;
          return;
        }
        let settle!: Request['settle'];
        const result = new Promise<{ error: Error | null; content: Buffer | null }>((resolve) => {
          settle = (error, content) => resolve({ error, content });
        });
        const request: Request = { sha: next.value, held: true, heldBytes: 0, settle };
        window.push({ request, result });
        this.send(request);
      }
    };

    let current: Slot | undefined;
    try {
      fill();
      for (current = window.shift(); current !== undefined; current = window.shift()) {
        const { error, content } = await current.result;
        if (error !== null) throw error;
        yield { sha: current.request.sha, content };
        // The consumer asked for the next blob, so it is done with this one as far as our budget goes.
        this.release(current.request);
        fill();
      }
    } finally {
      // The consumer may have stopped holding one blob; answers still on their way
      // are parsed and dropped. None of them may count against a budget any more.
      if (current !== undefined) this.release(current.request);
      for (const slot of window) this.release(slot.request);
      this.windowOpen = false;
      this.holdLimit = Number.POSITIVE_INFINITY;
      this.updateFlow();
    }
  }

  stats(): BlobReaderStats {
    return {
      bufferedBytes: this.bufferedBytes(),
      peakBufferedBytes: this.peakBytes,
      pendingRequests: this.queue.length - this.queueHead,
    };
  }

  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.failPending(new Error('blob reader closed'));
      this.child.stdin.end();
      // Git would otherwise finish answering (or stay blocked on a paused pipe) before exiting.
      if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
      this.child.stdout.resume();
    }
    await this.exited;
  }

  private send(request: Request): void {
    if (this.failure !== null || this.closing) {
      request.settle(this.failure ?? new Error('blob reader closed'), null);
      return;
    }
    // Anything but a full object id could be read by git as a revision expression or split the protocol.
    if (!OBJECT_ID.test(request.sha)) {
      request.settle(new TypeError(`not a full object id: ${JSON.stringify(request.sha)}`), null);
      return;
    }
    this.queue.push(request);
    this.child.stdin.write(`${request.sha}\n`);
  }

  private onData(chunk: Buffer): void {
    if (this.closing || this.failure !== null) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.awaitingTerminator) {
        if (chunk[offset] !== 0x0a) return this.fail(protocolError('missing LF after object content'));
        this.awaitingTerminator = false;
        offset += 1;
      } else if (this.body !== null) {
        offset = this.fillBody(chunk, offset);
      } else {
        const lf = chunk.indexOf(0x0a, offset);
        if (lf === -1) {
          this.header.push(Buffer.from(chunk.subarray(offset)));
          break;
        }
        this.header.push(chunk.subarray(offset, lf));
        const line = Buffer.concat(this.header).toString('utf8');
        this.header = [];
        offset = lf + 1;
        if (!this.onHeader(line)) return;
      }
    }
    this.updateFlow();
  }

  /** Handles one answer line; false when the stream can no longer be trusted. */
  private onHeader(line: string): boolean {
    const request = this.queue[this.queueHead];
    if (request === undefined) {
      this.fail(protocolError(`answer with no request: ${line}`));
      return false;
    }
    const [sha, type, sizeText] = line.split(' ');
    if (sha !== request.sha) {
      this.fail(protocolError(`asked for ${request.sha}, got ${line}`));
      return false;
    }
    if (type === 'missing') {
      this.finish(null, null);
      return true;
    }
    const size = Number(sizeText);
    if (type === undefined || sizeText === undefined || !Number.isSafeInteger(size) || size < 0) {
      this.fail(protocolError(`unexpected answer: ${line}`));
      return false;
    }
    this.body = { sha, buffer: Buffer.allocUnsafe(size), filled: 0, wrongType: type === 'blob' ? null : type };
    this.notePeak();
    if (size === 0) this.completeBody();
    return true;
  }

  private fillBody(chunk: Buffer, offset: number): number {
    const body = this.body;
    if (body === null) return offset;
    const take = Math.min(body.buffer.length - body.filled, chunk.length - offset);
    chunk.copy(body.buffer, body.filled, offset, offset + take);
    body.filled += take;
    if (body.filled === body.buffer.length) this.completeBody();
    return offset + take;
  }

  private completeBody(): void {
    const body = this.body;
    if (body === null) return;
    this.body = null;
    this.awaitingTerminator = true;
    if (body.wrongType === null) this.finish(null, body.buffer);
    else this.finish(new TypeError(`${body.sha} is a ${body.wrongType}, not a blob`), null);
  }

  /** Settles the oldest request. Its bytes stay counted while a readMany window holds them. */
  private finish(error: Error | null, content: Buffer | null): void {
    const request = this.queue[this.queueHead];
    if (request === undefined) return;
    this.queueHead += 1;
    // Compact now and then instead of shift(): shift is O(n) on a long queue.
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
    if (request.held && content !== null) {
      request.heldBytes = content.length;
      this.heldBytes += content.length;
    }
    request.settle(error, content);
  }

  private release(request: Request): void {
    if (!request.held) return;
    request.held = false;
    this.heldBytes -= request.heldBytes;
    request.heldBytes = 0;
    this.updateFlow();
  }

  private bufferedBytes(): number {
    return this.heldBytes + (this.body?.buffer.length ?? 0);
  }

  private notePeak(): void {
    this.peakBytes = Math.max(this.peakBytes, this.bufferedBytes());
  }

  /**
   * Pauses stdout while finished blobs wait for the consumer and the budget is spent.
   * With nothing finished waiting, the consumer is waiting on the blob in progress,
   * so reading must go on whatever its size, or both sides would wait forever.
   */
  private updateFlow(): void {
    this.notePeak();
    const shouldPause =
      !this.closing && this.heldBytes > 0 && this.bufferedBytes() >= this.holdLimit;
    if (shouldPause && !this.paused) {
      this.paused = true;
      this.child.stdout.pause();
    } else if (!shouldPause && this.paused) {
      this.paused = false;
      this.child.stdout.resume();
    }
  }

  private onExit(exit: ProcessExit): void {
    if (this.closing) return;
    this.fail(exitFailure(CAT_FILE_ARGS, exit) ?? new GitCommandError(CAT_FILE_ARGS, exit.code, exit.signal, 'cat-file exited early'));
  }

  private fail(error: Error): void {
    if (this.failure === null) this.failure = error;
    this.failPending(this.failure);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
  }

  private failPending(error: Error): void {
    this.body = null;
    const pending = this.queue.slice(this.queueHead);
    this.queue.length = 0;
    this.queueHead = 0;
    for (const request of pending) request.settle(error, null);
  }
}

function protocolError(detail: string): GitCommandError {
  return new GitCommandError(CAT_FILE_ARGS, null, null, `cat-file protocol: ${detail}`);
}

/**
 * Sizes of many objects from one `git cat-file --batch-check` process, for blobs
 * whose size no tree listing gave (history). Missing objects are left out.
 */
export async function readObjectSizes(repo: Repository, shas: Iterable<string>): Promise<Map<string, number>> {
  const unique = [...new Set(shas)].filter((sha) => OBJECT_ID.test(sha));
  const sizes = new Map<string, number>();
  if (unique.length === 0) return sizes;
  const { stdout } = await runGit(repo.runner, repo.root, ['cat-file', '--batch-check'], {
    input: `${unique.join('\n')}\n`,
  });
  for (const line of stdout.toString('utf8').split('\n')) {
    const [sha, type, sizeText] = line.split(' ');
    if (sha === undefined || type === undefined || type === 'missing' || sizeText === undefined) continue;
    sizes.set(sha, Number(sizeText));
  }
  return sizes;
}

/** Object types (`blob`, `tree`, ...) of `shas` from one `git cat-file --batch-check`; missing objects are left out. */
export async function readObjectTypes(repo: Repository, shas: readonly string[]): Promise<Map<string, string>> {
  const types = new Map<string, string>();
  if (shas.length === 0) return types;
  const { stdout } = await runGit(repo.runner, repo.root, ['cat-file', '--batch-check=%(objectname) %(objecttype)'], {
    input: `${shas.join('\n')}\n`,
  });
  for (const line of stdout.toString('utf8').split('\n')) {
    const [sha, type] = line.split(' ');
    if (sha !== undefined && type !== undefined && type !== 'missing') types.set(sha, type);
  }
  return types;
}
