/** What a search returns, before any formatting. Formatters and the MCP server consume this. */
import type { RankerScores } from './fusion.js';

export type { RankerScores };

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
   * What the result is ranked by and --min-score compares with; higher is better, and it does
   * not depend on the other results. vector: the cosine similarity, -1 to 1; text: the BM25
   * saturated into [0, 1); hybrid: both combined, 0 to 1 (src/search/fusion.ts).
   */
  score: number;
  /** Each ranker's own score; a ranker that did not return the result has none. */
  scores: RankerScores;
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
