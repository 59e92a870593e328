/**
 * The in-memory fake of VectorStore: a list of chunks with their vectors, searched by exact
 * cosine similarity and by counting query terms in each chunk's search text (the same
 * `searchTextOf` the indexer stores). Deterministic: equal scores come in path, blob, chunk
 * order, as the LanceDB store returns them. It records every candidate query it answers, so a
 * test can see the filters a search passed down.
 */
import { cosine } from '../../src/cache-maintenance/verify.js';
import { searchTextOf } from '../../src/store/index.js';
import type { CandidateQuery, ChunkFilter, StoredChunk, VectorStore } from '../../src/store/index.js';

export interface MemoryChunk extends Omit<StoredChunk, 'score'> {
  vector: Float32Array;
}

/** A chunk with plain defaults: HEAD, committed, TypeScript, lines 1-10 of `src/a.ts`. */
export function memoryChunk(over: Partial<MemoryChunk> & Pick<MemoryChunk, 'vector'>): MemoryChunk {
  return {
    path: 'src/a.ts',
    startLine: 1,
    endLine: 10,
    chunkIndex: 0,
    language: 'typescript',
    blobSha: 'a'.repeat(40),
    isHead: true,
    uncommitted: false,
    content: 'code',
    commit: { sha: 'c'.repeat(40), author: 'Ann', date: '2024-01-01T00:00:00Z', message: 'init' },
    ...over,
  };
}

export interface AnsweredQuery {
  kind: 'vector' | 'text';
  limit: number;
  filter: ChunkFilter | undefined;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);


function passes(chunk: MemoryChunk, filter: ChunkFilter | undefined): boolean {
  if (filter === undefined) return true;
  if (filter.headOnly && !chunk.isHead) return false;
  if (filter.language !== undefined && chunk.language !== filter.language) return false;
  if (filter.paths !== undefined) {
    const listed = ('only' in filter.paths ? filter.paths.only : filter.paths.except).includes(chunk.path);
    if (listed !== 'only' in filter.paths) return false;
  }
  return true;
}

export class MemoryVectorStore implements VectorStore {
  readonly answered: AnsweredQuery[] = [];
  readonly queryCache = new Map<string, Float32Array>();
  closed = false;

  constructor(
    private readonly chunks: readonly MemoryChunk[],
    readonly builtWith: VectorStore['builtWith'] = undefined,
    /** Stores of one generation read the same data; a new generation stands for an index run's commit. */
    readonly generation = 1,
  ) {}

  sameDataAs(other: VectorStore): Promise<boolean> {
    return Promise.resolve(other instanceof MemoryVectorStore && other.generation === this.generation);
  }

  distinctPaths(): Promise<string[]> {
    return Promise.resolve([...new Set(this.chunks.map((c) => c.path))].sort(byText));
  }

  vectorSearch(vector: Float32Array, options: CandidateQuery): Promise<StoredChunk[]> {
    this.answered.push({ kind: 'vector', limit: options.limit, filter: options.filter });
    return Promise.resolve(this.top((chunk) => cosine(vector, chunk.vector), options));
  }

  /** Counted, so tests see a vector search ask for it and a text-only one not. */
  prewarmed = 0;

  prewarmVectorSearch(): void {
    this.prewarmed += 1;
  }

  /** Score: how many times the query's terms occur in the chunk's search text; chunks with none are no match. */
  textSearch(terms: string, options: CandidateQuery): Promise<StoredChunk[]> {
    this.answered.push({ kind: 'text', limit: options.limit, filter: options.filter });
    const wanted = new Set(terms.split(' ').filter((t) => t !== ''));
    const score = (chunk: MemoryChunk) => searchTextOf(chunk.path, chunk.content).split(' ').filter((t) => wanted.has(t)).length;
    return Promise.resolve(this.top(score, options).filter((c) => c.score > 0));
  }

  cachedQueryVector(model: string, text: string): Promise<Float32Array | undefined> {
    return Promise.resolve(this.queryCache.get(`${model}\0${text}`));
  }

  cacheQueryVector(model: string, text: string, vector: Float32Array): Promise<void> {
    this.queryCache.set(`${model}\0${text}`, vector);
    return Promise.resolve();
  }

  close(): void {
    this.closed = true;
  }

  private top(score: (chunk: MemoryChunk) => number, options: CandidateQuery): StoredChunk[] {
    return this.chunks
      .filter((chunk) => passes(chunk, options.filter))
      .map((chunk) => {
        const { vector: _vector, ...found } = chunk;
        return { ...found, score: score(chunk) };
      })
      .sort((a, b) => b.score - a.score || byText(a.path, b.path) || byText(a.blobSha, b.blobSha) || a.chunkIndex - b.chunkIndex)
      .slice(0, options.limit);
  }
}
