import type { SearchMode, SearchResponse, SearchResult } from '../search/types.js';
import type { FormatOutput } from './types.js';

/**
 * The search JSON document of shared/DESIGN.md, snake_case, stable: fields may be
 * added, never renamed. `uncommitted`, `scores` and `stale` are such additions, after the DESIGN keys.
 */
export interface SearchJson {
  query: string;
  mode: SearchMode;
  model: string;
  results: SearchResultJson[];
  /** The index is behind HEAD, so the results come from an older commit. */
  stale: boolean;
}

export interface SearchResultJson {
  path: string;
  start_line: number;
  end_line: number;
  /** What the result is ranked by and --min-score compares with (the mode's scale; see the README). */
  score: number;
  language: string;
  blob_sha: string;
  is_head: boolean;
  content: string;
  commit: { sha: string; author: string; date: string; message: string } | null;
  uncommitted: boolean;
  /** Each ranker's own score: `vector` the cosine (-1 to 1), `text` the BM25; absent when that ranker did not return the result. */
  scores: { vector?: number; text?: number };
}

// Every key is copied by name, never spread, so a field added to SearchResult
// does not leak into the public document unannounced.
export function toJsonShape(response: SearchResponse): SearchJson {
  return {
    query: response.query,
    mode: response.mode,
    model: response.model,
    results: response.results.map(resultJson),
    stale: response.stale === true,
  };
}

function resultJson(result: SearchResult): SearchResultJson {
  const commit = result.commit;
  return {
    path: result.path,
    start_line: result.startLine,
    end_line: result.endLine,
    score: result.score,
    language: result.language,
    blob_sha: result.blobSha,
    is_head: result.isHead,
    content: result.content,
    commit: commit === null ? null : { sha: commit.sha, author: commit.author, date: commit.date, message: commit.message },
    uncommitted: result.uncommitted,
    scores: rankerScores(result),
  };
}

function rankerScores({ scores }: SearchResult): SearchResultJson['scores'] {
  return {
    ...(scores.vector !== undefined ? { vector: scores.vector } : {}),
    ...(scores.text !== undefined ? { text: scores.text } : {}),
  };
}

/** One JSON document on one line, results or not: scripts parse stdout whole. */
export function formatJson(response: SearchResponse, out: FormatOutput): void {
  out.write(`${JSON.stringify(toJsonShape(response))}\n`);
}
