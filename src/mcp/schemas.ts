/**
 * The tools' input and output schemas. Descriptions are written for the model that
 * reads `tools/list` to decide how to call: what each argument does and what values
 * look like. Output schemas mirror the stable JSON documents of shared/DESIGN.md;
 * the type checks at the bottom make a field added to (or renamed in) those
 * documents a compile error here, so the schema a client validates against never
 * disagrees with what the server sends.
 */
import * as z from 'zod';
import type { SearchJson } from '../format/index.js';
import type { StatusReport } from '../app/status.js';
import { MAX_RESULTS, SEARCH_MODES } from '../search/types.js';

export const SEARCH_TOOL_DESCRIPTION = [
  'Find the code and docs in this git repository that answer a question, ranked by relevance.',
  'Ask in plain words ("where are API keys masked before printing") or with names from the code ("parseConfig retry").',
  'Each result is a file path with exact line numbers (path:start-end), a score, the commit that last touched it, and the lines themselves,',
  'so you can read or edit the code without opening the file first.',
  'Scores are absolute, 0 to 1 in the default hybrid mode: a best result below about 0.3 often means the code does not do what was asked.',
  'Use it to locate code when you do not know the file or identifier names; use grep when you already know the exact string.',
  'Needs an index: if it reports none, run `gitctx index` in the repository (a shell command) and call again.',
].join(' ');

export const STATUS_TOOL_DESCRIPTION = [
  'Report what the gitctx search index covers: the commit it was built from, whether HEAD has moved since (stale),',
  'the embedding model, and how many files and chunks are indexed. Call it when search results look out of date or missing.',
].join(' ');

export const searchInputSchema = z
  .object({
    query: z
      .string()
      .min(1)
      .describe('What to look for: a question or description in words, or identifiers and code fragments.'),
    limit: z
      .number()
      .int()
      .min(1)
      .max(MAX_RESULTS)
      .optional()
      .describe('How many results to return, 1 to 100. Default: the repository setting search.limit (10 unless changed).'),
    path: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .describe(
        'Only files whose repository-relative path matches this glob, or any of these globs. ' +
          'Examples: "src/**" (everything under src), "*.ts" (TypeScript files in any directory), ' +
          '"src/**/*.test.ts", ["docs/**", "*.md"]. Paths use forward slashes.',
      ),
    mode: z
      .enum(SEARCH_MODES)
      .optional()
      .describe(
        'Ranking. "hybrid" (usual default, set by search.mode): meaning and keywords fused, best for most questions. ' +
          '"vector": meaning only, for questions phrased unlike the code. ' +
          '"text": keywords only (identifiers split into words), for exact names.',
      ),
    lang: z
      .string()
      .min(1)
      .optional()
      .describe('Only this language, by fence name or alias: typescript (ts), javascript (js), python (py), go, rust (rs), java, markdown (md), json, yaml (yml), ... An unknown name is an error that lists the known ones.'),
    head_only: z
      .boolean()
      .optional()
      .describe('Only files as they are at HEAD, leaving out earlier versions indexed with `gitctx index --history`. Default false.'),
    all_kinds: z
      .boolean()
      .optional()
      .describe(
        'Rank tests, docs, examples, changelogs and generated files level with source files. ' +
          'Default false: source ranks first (the repository setting search.prefer_source). Set true when looking for a test or a doc.',
      ),
  })
  // An argument with a misspelt name (`paths`, `language`) would otherwise be dropped
  // silently and the search would run unfiltered; an error tells the caller at once.
  .strict();

export type SearchToolInput = z.infer<typeof searchInputSchema>;

const commitSchema = z
  .object({
    sha: z.string(),
    author: z.string(),
    date: z.string().describe('ISO 8601 author date.'),
    message: z.string().describe('Subject line.'),
  })
  .nullable();

export const searchOutputSchema = z.object({
  query: z.string(),
  mode: z.enum(SEARCH_MODES),
  model: z.string().describe('The embedding model of the index.'),
  stale: z.boolean().describe('The index is behind HEAD: the results come from an older commit (run `gitctx index`).'),
  results: z.array(
    z.object({
      path: z.string(),
      start_line: z.number().int().describe('1-based, inclusive.'),
      end_line: z.number().int().describe('1-based, inclusive.'),
      score: z
        .number()
        .describe(
          'Higher is better, on a scale that does not depend on the other results: hybrid 0 to 1 (the larger of the cosine and the saturated BM25), ' +
            'vector the cosine (-1 to 1), text the saturated BM25 bm25/(bm25+10) (0 to 1). A question nothing answers scores low.',
        ),
      language: z.string(),
      blob_sha: z.string(),
      is_head: z.boolean().describe('This file version is the one at HEAD.'),
      content: z.string().describe('The lines start_line..end_line.'),
      commit: commitSchema,
      uncommitted: z.boolean().describe('From the work tree, not committed.'),
      scores: z
        .object({
          vector: z.number().optional().describe('Cosine similarity to the question, -1 to 1.'),
          text: z.number().optional().describe('BM25 keyword score, 0 and up.'),
        })
        .describe("Each ranker's own score; a ranker that did not find the result has none."),
    }),
  ),
});

export const statusOutputSchema = z.object({
  indexed_commit: z.string().nullable(),
  model: z.string().nullable(),
  dims: z.number().int().nullable(),
  files: z.number().int(),
  chunks: z.number().int(),
  cache: z.object({ files: z.number().int(), bytes: z.number().int(), uncompressed_bytes: z.number().int() }),
  stale: z.boolean().describe('HEAD moved since the index was last brought up to date, or there is no index.'),
  head: z.string().nullable(),
  db_uri: z.string().nullable().describe('The shared index on object storage this clone reads (index.db_uri); null for the local .gitctx/db.'),
  vector_index: z
    .object({ kind: z.string(), partitions: z.number().int(), trained_rows: z.number().int() })
    .nullable()
    .describe('The approximate-nearest-neighbour index on the vectors, built for large indexes; null when searches scan every vector.'),
  pending_changes: z
    .object({ rows: z.number().int(), runs: z.number().int() })
    .nullable()
    .describe('Rows added or removed by recent runs that left indexing them for later (large indexes only); searches still see them. Null when none.'),
});

// Same keys at every level, both ways round: a structural `extends` alone would let
// a field that exists only in the document slip past.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type _SearchSchemaMatches = Assert<Equal<z.infer<typeof searchOutputSchema>, SearchJson>>;
export type _StatusSchemaMatches = Assert<Equal<z.infer<typeof statusOutputSchema>, StatusReport>>;
