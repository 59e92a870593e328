/** The counts of one index run, kept alike by the dry run's summary and the apply step. */
import type { RememberedSkip } from '../store/index-store.js';
import type { BlobAdd, BlobPlan } from './planner.js';

export type IndexPhase = 'listing' | 'embedding' | 'writing';

export interface IndexProgress {
  phase: IndexPhase;
  filesDone: number;
  filesTotal: number;
  chunks: number;
  embeddedChunks: number;
  tokens: number;
  costUsd: number;
}

export class RunTally {
  indexedFiles = 0;
  indexedChunks = 0;
  readonly indexedBlobs = new Set<string>();
  cacheHits = 0;
  embeddedChunks = 0;
  tokens = 0;
  costUsd = 0;
  filesDone = 0;
  readonly contentSkips: Record<string, RememberedSkip> = {};
  /** Blob of the last version of each path finished in this run (history: the next version may reuse it). */
  readonly finished = new Map<string, string>();

  constructor(private readonly filesTotal: number) {}

  progress(): IndexProgress {
    return {
      phase: 'embedding',
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      chunks: this.indexedChunks,
      embeddedChunks: this.embeddedChunks,
      tokens: this.tokens,
      costUsd: this.costUsd,
    };
  }

  /** A blob plan taken up: its content skips recorded, its chunks from the cache counted. */
  planned(step: BlobPlan): void {
    Object.assign(this.contentSkips, step.skips);
    if (step.add) this.cacheHits += step.add.reused;
  }

  /** One file version of a blob in the index. */
  finishedFile(path: string, blobSha: string, add: BlobAdd): void {
    this.finished.set(path, blobSha);
    this.indexedFiles += 1;
    this.indexedChunks += add.chunks.length;
  }
}
