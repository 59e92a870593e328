import type { Settings } from '../config/index.js';
import { openRepository } from '../git/index.js';
import { readIndexMeta } from '../store/meta.js';
import { Searcher } from '../search/search.js';
import type { SearchOptions } from '../search/search.js';
import type { SearchMode } from '../search/types.js';
import type { RepoContext } from './context.js';
import { indexLocationOf, providerFor } from './context.js';

/** What one search asks for beyond the settings: the CLI's arguments, or an MCP call's. Unset fields fall back to `search.*`. */
export interface SearchInput {
  query: string;
  mode?: SearchMode;
  limit?: number;
  paths?: readonly string[];
  language?: string;
  headOnly?: boolean;
  /** Overrides search.prefer_source for this search. */
  preferSource?: boolean;
}

/** The one place a search request is built from settings and a caller's input. */
export function searchRequest(settings: Settings['search'], input: SearchInput): SearchOptions {
  return {
    query: input.query,
    mode: input.mode ?? settings.mode,
    limit: input.limit ?? settings.limit,
    ...(settings.min_score !== undefined ? { minScore: settings.min_score } : {}),
    paths: input.paths ?? [],
    ...(input.language !== undefined ? { language: input.language } : {}),
    headOnly: input.headOnly === true,
    preferSource: input.preferSource ?? settings.prefer_source,
  };
}

/** The repository's index with the provider its settings call for (approval checked first); the caller closes it. */
export async function openSearcher(context: RepoContext): Promise<Searcher> {
  const provider = await providerFor(context);
  return Searcher.open(await indexLocationOf(context), provider);
}

/** The index's commit and HEAD, when the index is behind HEAD. */
export interface IndexLag {
  indexed: string | null;
  head: string;
}

/**
 * Whether the index answers from an older commit than HEAD. `rereadHead` asks git for HEAD
 * again, for a caller (the MCP server) whose context was opened before HEAD moved.
 */
export async function indexLag(context: RepoContext, options: { rereadHead?: boolean } = {}): Promise<IndexLag | undefined> {
  const [meta, head] = await Promise.all([
    indexLocationOf(context).then(readIndexMeta),
    options.rereadHead === true ? openRepository(context.repo.root).then((repo) => repo.head) : Promise.resolve(context.repo.head),
  ]);
  if (head === null || meta === undefined || meta.indexed_commit === head) return undefined;
  return { indexed: meta.indexed_commit, head };
}

/** The one-line notice for stderr. */
export function describeIndexLag(lag: IndexLag): string {
  const short = (sha: string | null) => (sha === null ? 'none' : sha.slice(0, 7));
  return `the index is at ${short(lag.indexed)}, HEAD is ${short(lag.head)}: run gitctx index`;
}
