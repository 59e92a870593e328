/**
 * The query pipeline: check the query, turn the filters into a store filter, ask the store
 * for vector and text candidates side by side, fuse them (hybrid), group them into results.
 * It sees the index only as a `VectorStore`; `Searcher.open` is the convenience that opens
 * the LanceDB one under `.gitctx/db` through the store module.
 */
import { LANGUAGES, normalizeLanguage } from '../chunk/index.js';
import type { Language } from '../chunk/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import { GitctxError, NoIndexError, UsageError } from '../errors.js';
import { openVectorStore, searchTextOf } from '../store/index.js';
import type { IndexLocation } from '../store/index.js';
import type { CandidateQuery, ChunkFilter, StoredChunk, VectorStore } from '../store/index.js';
import { fuseHybrid, saturatedBm25 } from './fusion.js';
import type { Fused } from './fusion.js';
import { fullMatches, FULL_MATCH_LIFT } from './coverage.js';
import { definitionStrength, DEFINITION_LIFT } from './definitions.js';
import { reorder } from './file-kind.js';
import { groupResults } from './group.js';
import { compilePathFilter, pathSelection } from './path-filter.js';
import { MAX_RESULTS } from './types.js';
import type { SearchMode, SearchResponse } from './types.js';

export interface SearchOptions {
  query: string;
  mode: SearchMode;
  limit: number;
  /** Drop results whose `score` is below this: the cosine (vector), the saturated BM25 (text) or the hybrid score, see fusion.ts. */
  minScore?: number;
  paths?: readonly string[];
  language?: string;
  headOnly?: boolean;
  /** Rank source files above tests, docs, examples, changelogs and generated files (search.prefer_source); on unless false. */
  preferSource?: boolean;
}

/**
 * Below this cosine, a vector candidate is noise for any model we ship: unrelated
 * code and text sit near zero. Applied to vector candidates in every mode, unless
 * --min-score says otherwise in vector mode.
 */
export const VECTOR_NOISE_FLOOR = 0.05;

/**
 * Candidates fetched from each ranker before fusion and grouping: one fixed pool, whatever
 * `-n` is, so the ranking is the same for every limit and `-n 5` is a prefix of `-n 20`.
 * A list that stopped at a depth tied to `-n` would give fusion different votes for each
 * limit. Five per result at the largest limit leaves room for grouping and --min-score.
 * (Filters apply inside the query, not to these.)
 */
export const CANDIDATE_POOL = MAX_RESULTS * 5;

/** The filters, applied inside the store's query; `false` when the paths filter leaves nothing to search. */
async function chunkFilter(options: SearchOptions, store: VectorStore): Promise<ChunkFilter | false> {
  const filter: ChunkFilter = {};
  if (options.headOnly) filter.headOnly = true;
  if (options.language !== undefined) filter.language = languageId(options.language);
  if (options.paths !== undefined && options.paths.length > 0) {
    const paths = pathSelection(await store.distinctPaths(), compilePathFilter(options.paths));
    if (paths === false) return false;
    if (paths !== undefined) filter.paths = paths;
  }
  return filter;
}

/**
 * The language id `--lang` names: an id (`typescript`), in any case, or an alias (`ts`, `py`,
 * `golang`). An unknown name would filter out everything and look like "no results", so it is
 * a usage error that lists the names there are.
 */
export function languageId(name: string): Language {
  const id = normalizeLanguage(name);
  if (id !== undefined) return id;
  const shown = JSON.stringify(name.slice(0, 40)) + (name.length > 40 ? '…' : '');
  throw new UsageError(`--lang: unknown language ${shown}; known: ${LANGUAGES.join(', ')} (and aliases such as js, ts, py, go, rb, rs, sh, yml, md)`);
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

/**
 * An open index and the provider that embeds queries for it. Reused across queries by the MCP server.
 * `reopen`, when given, opens the index as it is now: a search that fails for a reason of the
 * store's is run once more on a reopened store if that reads other data (an index run committed).
 */
export class Searcher {
  constructor(
    private store: VectorStore,
    private readonly provider: EmbeddingProvider,
    private readonly reopen?: () => Promise<VectorStore>,
  ) {}

  /** Opens `.gitctx/db`; NoIndexError (exit 8) when there is none, or it was built with another model. */
  static async open(dbDir: IndexLocation, provider: EmbeddingProvider): Promise<Searcher> {
    const open = () => openStoreFor(dbDir, provider);
    return new Searcher(await open(), provider, open);
  }

  get model(): string {
    return this.provider.model;
  }

  /**
   * Runs one search. An index run that commits meanwhile may delete the table version
   * this Searcher opened; then the search is run once more on the index as it is now.
   */
  async search(options: SearchOptions): Promise<SearchResponse> {
    try {
      return await this.searchOnce(options);
    } catch (err) {
      if (err instanceof GitctxError || !(await this.reopenIfMoved())) throw err;
      return this.searchOnce(options);
    }
  }

  /** Moves to the index on disk if it is not the one open; false when nothing changed (the failure was not a commit's doing). */
  private async reopenIfMoved(): Promise<boolean> {
    if (this.reopen === undefined) return false;
    const fresh = await this.reopen();
    if (await fresh.sameDataAs(this.store)) {
      fresh.close();
      return false;
    }
    this.store.close();
    this.store = fresh;
    return true;
  }

  private async searchOnce(options: SearchOptions): Promise<SearchResponse> {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > MAX_RESULTS) {
      throw new UsageError(`-n must be a whole number from 1 to ${MAX_RESULTS}, got ${options.limit}`);
    }
    const query = validateQuery(options.query, this.provider);
    const filter = await chunkFilter(options, this.store);
    if (filter === false) return { query, mode: options.mode, model: this.provider.model, results: [] };
    const candidates: CandidateQuery = { limit: CANDIDATE_POOL, filter };
    const floor = options.mode === 'vector' && options.minScore !== undefined ? options.minScore : VECTOR_NOISE_FLOOR;
    // The two rankers are independent: run them side by side, the text search asked first, so
    // LanceDB runs it while the query is embedded (a local model loads on first use).
    const [text, vector] = await Promise.all([
      options.mode === 'vector' ? [] : this.store.textSearch(searchTextOf('', query), candidates),
      options.mode === 'text' ? [] : this.vectorCandidates(query, candidates, floor),
    ]);

    const ranked: Fused<StoredChunk>[] =
      options.mode === 'vector'
        ? vector.map((c) => ({ ...c, scores: { vector: c.score } }))
        : options.mode === 'text'
          ? text.map((c) => ({ ...c, score: saturatedBm25(c.score), scores: { text: c.score } }))
          : fuseHybrid(vector, text, chunkKey);
    const min = options.minScore;
    const lifts = options.mode === 'hybrid' ? hybridLifts(query, ranked) : undefined;
    const ordered = reorder(ranked, { kinds: options.preferSource !== false, ...(lifts !== undefined ? { lifts } : {}) });
    const results = groupResults(ordered)
      .filter((r) => min === undefined || r.score >= min)
      .slice(0, options.limit);
    return { query, mode: options.mode, model: this.provider.model, results };
  }

  private async vectorCandidates(query: string, candidates: CandidateQuery, floor: number): Promise<StoredChunk[]> {
    // Loading the model (a local one, on first use) or asking an API takes a while: the index loads meanwhile.
    this.store.prewarmVectorSearch();
    const vector = await this.queryVector(query);
    return (await this.store.vectorSearch(vector, candidates)).filter((c) => c.score >= floor);
  }

  /** API models' query vectors are cached in the index, so asking again costs no request. */
  private async queryVector(query: string): Promise<Float32Array> {
    const cacheable = this.provider.inProcess !== true;
    const cached = cacheable ? await this.store.cachedQueryVector(this.provider.model, query) : undefined;
    if (cached !== undefined) return cached;
    const [vector] = (await this.provider.embed([query], { inputType: 'query' })).vectors;
    if (vector === undefined) throw new Error('the provider returned no vector for the query');
    if (cacheable) await this.store.cacheQueryVector(this.provider.model, query, vector);
    return vector;
  }

  close(): void {
    this.store.close();
  }
}

/** The index in `dbDir`, if it was built with the provider's model. */
async function openStoreFor(dbDir: IndexLocation, provider: EmbeddingProvider): Promise<VectorStore> {
  const store = await openVectorStore(dbDir);
  if (store === undefined) throw new NoIndexError();
  const meta = store.builtWith;
  if (meta && (meta.model !== provider.model || meta.dims !== provider.dims)) {
    store.close();
    throw new NoIndexError(
      `the index was built with ${meta.model} (${meta.dims} dims) but model.embedding is ${provider.model}: run \`gitctx index\``,
    );
  }
  return store;
}

/**
 * How far each hybrid candidate's ranking key moves towards 1 for lexical evidence the fused
 * score does not see: it defines an identifier the query names (definitions.ts), or it holds
 * every word of the query (coverage.ts). Only hybrid mode: text mode is
 * plain BM25 and vector mode ranks by meaning alone.
 */
function hybridLifts(query: string, ranked: readonly Fused<StoredChunk>[]): number[] {
  const defined = definitionStrength(query, ranked);
  const lexical = ranked.map((c, i) => ({ c, i })).filter(({ c }) => c.scores.text !== undefined);
  const full = fullMatches(query, lexical.map(({ c }) => c));
  const lifts = defined.map((s) => s * DEFINITION_LIFT);
  lexical.forEach(({ i }, j) => {
    // Both: one lift after the other, so a chunk with both kinds of evidence ranks above one with either.
    if (full[j] === true) lifts[i] = 1 - (1 - (lifts[i] as number)) * (1 - FULL_MATCH_LIFT);
  });
  return lifts;
}

function chunkKey(chunk: StoredChunk): string {
  return `${chunk.path}\0${chunk.blobSha}\0${chunk.chunkIndex}`;
}
