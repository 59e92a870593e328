import { join } from 'node:path';
import type { EmbeddingProvider } from '../embed/index.js';
import { NoIndexError, UsageError } from '../errors.js';
import { IndexStore } from '../store/index-store.js';
import type { CandidateQuery, StoredChunk } from '../store/index-store.js';
import { searchTextOf } from '../store/search-text.js';
import { reciprocalRankFusion } from './fusion.js';
import { groupResults } from './group.js';
import { compilePathFilter } from './path-filter.js';
import type { SearchMode, SearchResponse } from './types.js';

export interface SearchOptions {
  query: string;
  mode: SearchMode;
  limit: number;
  /** Drop results scoring below this (units of the mode: cosine, BM25, or fused [0, 1]). */
  minScore?: number;
  paths?: readonly string[];
  language?: string;
  headOnly?: boolean;
}

/**
 * Below this cosine, a vector candidate is noise for any model we ship: unrelated
 * code and text sit near zero. Applied to vector candidates in every mode, unless
 * --min-score says otherwise in vector mode.
 */
export const VECTOR_NOISE_FLOOR = 0.05;

/** Candidates fetched from each ranker before grouping and filtering by path. */
function candidateCount(options: SearchOptions): number {
  const base = Math.max(50, options.limit * 5);
  return options.paths && options.paths.length > 0 ? Math.max(base, 1000) : base;
}

function whereClause(options: SearchOptions): string | undefined {
  const parts: string[] = [];
  if (options.headOnly) parts.push('is_head = true');
  if (options.language !== undefined) {
    if (!/^[a-z0-9+#._-]+$/i.test(options.language)) throw new UsageError(`--lang: not a language name: ${options.language}`);
    parts.push(`language = '${options.language.toLowerCase()}'`);
  }
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

export function validateQuery(query: string, provider: Pick<EmbeddingProvider, 'countTokens' | 'maxInputTokens'>): string {
  const trimmed = query.trim();
  if (trimmed === '') throw new UsageError('empty query: pass it as arguments or on stdin');
  const tokens = provider.countTokens(trimmed);
  if (tokens > provider.maxInputTokens) {
    throw new UsageError(`query is ${tokens} tokens; the limit for this model is ${provider.maxInputTokens}`);
  }
  return trimmed;
}

/** An open index and the provider that embeds queries for it. Reused across queries by the MCP server. */
export class Searcher {
  private constructor(
    private readonly store: IndexStore,
    private readonly provider: EmbeddingProvider,
  ) {}

  /** Opens `.gitctx/db`; NoIndexError (exit 8) when there is none, or it was built with another model. */
  static async open(gitctxDir: string, provider: EmbeddingProvider): Promise<Searcher> {
    const store = await IndexStore.openForRead(join(gitctxDir, 'db'));
    if (store === undefined) throw new NoIndexError();
    const meta = store.previousMeta;
    if (meta && (meta.model !== provider.model || meta.dims !== provider.dims)) {
      store.close();
      throw new NoIndexError(
        `the index was built with ${meta.model} (${meta.dims} dims) but model.embedding is ${provider.model}: run \`gitctx index\``,
      );
    }
    return new Searcher(store, provider);
  }

  get model(): string {
    return this.provider.model;
  }

  async search(options: SearchOptions): Promise<SearchResponse> {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 100) {
      throw new UsageError(`-n must be a whole number from 1 to 100, got ${options.limit}`);
    }
    const query = validateQuery(options.query, this.provider);
    const where = whereClause(options);
    const candidates: CandidateQuery = { limit: candidateCount(options), ...(where ? { where } : {}) };
    const floor = options.mode === 'vector' && options.minScore !== undefined ? options.minScore : VECTOR_NOISE_FLOOR;
    // The two rankers are independent: run them side by side.
    const [vectorHits, textHits] = await Promise.all([
      options.mode === 'text' ? [] : this.vectorCandidates(query, candidates, floor),
      options.mode === 'vector' ? [] : this.store.textSearch(searchTextOf('', query), candidates),
    ]);
    const inPaths = compilePathFilter(options.paths ?? []);
    const vector = vectorHits.filter((c) => inPaths(c.path));
    const text = textHits.filter((c) => inPaths(c.path));

    const ranked =
      options.mode === 'vector'
        ? vector
        : options.mode === 'text'
          ? text
          : reciprocalRankFusion([vector, text], chunkKey).map(({ item, score }) => ({ ...item, score }));
    const min = options.minScore;
    const results = groupResults(ranked)
      .filter((r) => min === undefined || r.score >= min)
      .slice(0, options.limit);
    return { query, mode: options.mode, model: this.provider.model, results };
  }

  private async vectorCandidates(query: string, candidates: CandidateQuery, floor: number): Promise<StoredChunk[]> {
    const vector = await this.queryVector(query);
    return (await this.store.vectorSearch(vector, candidates)).filter((c) => c.score >= floor);
  }

  /** API models' query vectors are cached in the index, so asking again costs no request. */
  private async queryVector(query: string): Promise<Float32Array> {
    const cacheable = this.provider.inProcess !== true;
    const cached = cacheable ? await this.store.cachedQueryVector(this.provider.model, query) : undefined;
    if (cached !== undefined) return cached;
    const [vector] = (await this.provider.embed([query])).vectors;
    if (vector === undefined) throw new Error('the provider returned no vector for the query');
    if (cacheable) await this.store.cacheQueryVector(this.provider.model, query, vector);
    return vector;
  }

  close(): void {
    this.store.close();
  }
}

function chunkKey(chunk: StoredChunk): string {
  return `${chunk.path}\0${chunk.blobSha}\0${chunk.chunkIndex}`;
}
