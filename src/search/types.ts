/** What a search returns, before any formatting. Formatters and the MCP server consume this. */

/** Every ranking mode, in the order help text lists them; the settings schema, flags and the MCP tool use this list. */
export const SEARCH_MODES = ['hybrid', 'vector', 'text'] as const;

export type SearchMode = (typeof SEARCH_MODES)[number];

/** Most results one search returns (`-n`, `search.limit`, the MCP tool's `limit`). */
export const MAX_RESULTS = 100;

export interface ResultCommit {
  sha: string;
  author: string;
  /** ISO 8601 author date. */
  date: string;
  /** Subject line. */
  message: string;
}

export interface SearchResult {
  path: string;
  /** 1-based, inclusive: the real file's line numbers. */
  startLine: number;
  endLine: number;
  /**
   * Higher is better. vector: cosine similarity in [-1, 1]; text: BM25 score (unbounded, ≥ 0);
   * hybrid: the fused score (see src/search/fusion.ts).
   */
  score: number;
  /** Fence-name language id (`typescript`, `python`, `text`, ...). */
  language: string;
  blobSha: string;
  /** The file version at HEAD (or in the work tree with --worktree). */
  isHead: boolean;
  /** From the work tree, not committed. */
  uncommitted: boolean;
  /** The lines startLine..endLine, joined with '\n'. */
  content: string;
  commit: ResultCommit | null;
}

export interface SearchResponse {
  query: string;
  mode: SearchMode;
  model: string;
  results: SearchResult[];
  /** The index is behind HEAD: the results answer from an older commit. Set by the caller that knows HEAD. */
  stale?: boolean;
}
