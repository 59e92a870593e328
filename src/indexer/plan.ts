/**
 * The pure half of an index run: from data already read (the wanted file versions,
 * what the store holds, its last metadata, one blob's bytes, what the cache knows),
 * what the run will do. Nothing here reads or writes; `planner.ts` gathers the inputs
 * and `apply.ts` carries the plan out.
 *
 * A plan comes in two parts. The run plan (`planRun`) is computed from ids alone and
 * held whole: which file versions to add, which stored ones to remove, which stay.
 * The blob plans (`planBlob`, `reuseCached`) are made one blob at a time as the
 * contents stream by, and carry that blob's chunks; see `planner.ts` for why.
 */
import { createHash } from 'node:crypto';
import { detectLanguage, chunkText } from '../chunk/index.js';
import type { Chunk, ChunkerOptions } from '../chunk/index.js';
import type { Embedding } from '../cache/index.js';
import { SKIP_REASONS } from '../filter/index.js';
import type { FileFilter, SkipReason } from '../filter/index.js';
import type { CommitInfo, LinguistAttributes } from '../git/index.js';
import type { IndexMeta, RememberedSkip, StoredFile } from '../store/index-store.js';

/** A file version the index should contain after this run. */
export interface WantedFile {
  fileId: string;
  path: string;
  blobSha: string;
  size: number;
  isHead: boolean;
  /** From the working tree, not yet committed (`--worktree`). */
  uncommitted: boolean;
  commit: CommitInfo | null;
}

/** A plain-data refresh plan (Continue's compute/delete), computed from ids alone, then applied. */
export interface IndexPlan {
  add: WantedFile[];
  remove: string[];
  unchanged: number;
}

/** Path and blob together identify a file version; hashed so it is safe in a filter expression. */
export function fileIdOf(path: string, blobSha: string): string {
  return createHash('sha256').update(path).update('\0').update(blobSha).digest('hex').slice(0, 40);
}

function sameVersion(wanted: WantedFile, stored: StoredFile): boolean {
  return (
    stored.isHead === wanted.isHead &&
    stored.uncommitted === wanted.uncommitted &&
    stored.commitSha === (wanted.commit?.sha ?? null)
  );
}

/**
 * What to add and what to remove so the index holds exactly `wanted`. A file version whose
 * metadata changed (no longer HEAD, another introducing commit), or whose filter decision
 * must be made again (`redecide`), is removed and added again: its vectors come back from
 * the cache at no cost, and rows are never updated in place.
 */
export function planIndex(
  wanted: readonly WantedFile[],
  stored: ReadonlyMap<string, StoredFile>,
  force = false,
  redecide: ReadonlySet<string> = new Set(),
): IndexPlan {
  const add: WantedFile[] = [];
  const keep = new Set<string>();
  for (const file of wanted) {
    const existing = stored.get(file.fileId);
    if (!force && existing && sameVersion(file, existing) && !redecide.has(file.fileId)) keep.add(file.fileId);
    else add.push(file);
  }
  const remove = [...stored.keys()].filter((id) => !keep.has(id));
  return { add, remove, unchanged: keep.size };
}

/** The run as a whole: what the store gains, loses and keeps, decided before any content is read. */
export interface RunPlan extends IndexPlan {
  /** The wanted file versions the run decides about: those without a remembered skip that still holds. */
  wanted: WantedFile[];
  /** Wanted file versions left out by a content decision that still holds: not read again. */
  knownSkips: Record<string, RememberedSkip>;
  /** Stored file versions that stay as they are. */
  kept: StoredFile[];
  /** Old blobs of paths whose version is replaced: their cached chunks may be reused. */
  previousBlobs: Map<string, string[]>;
  /** The filter inputs of a file without linguist attributes. */
  usualInputs: string;
}

export interface RunPlanInput {
  /** Every file version the path stage let through. */
  wanted: readonly WantedFile[];
  stored: ReadonlyMap<string, StoredFile>;
  /** The last complete run's metadata; undefined with `--force` or without an index. */
  previous: IndexMeta | undefined;
  force: boolean;
  usualInputs: string;
  /** The filter inputs of one file version (its attributes, the settings, the filter's version). */
  inputsOf: (file: WantedFile) => string;
}

export function planRun(input: RunPlanInput): RunPlan {
  const { previous, stored, usualInputs, inputsOf } = input;
  const knownSkips = rememberedSkips(previous, input.wanted, inputsOf);
  const wanted = input.wanted.filter((file) => knownSkips[file.fileId] === undefined);
  const plan = planIndex(wanted, stored, input.force, staleDecisions(previous, wanted, stored, usualInputs, inputsOf));
  const removed = new Set(plan.remove);
  return {
    ...plan,
    wanted,
    knownSkips,
    kept: [...stored.values()].filter((f) => !removed.has(f.fileId)),
    previousBlobs: previousVersionsByPath(plan.remove, stored),
    usualInputs,
  };
}

/** Old blobs of paths whose version is being replaced: their cached chunks may be reused. */
function previousVersionsByPath(removed: readonly string[], stored: ReadonlyMap<string, StoredFile>): Map<string, string[]> {
  const byPath = new Map<string, string[]>();
  for (const id of removed) {
    const file = stored.get(id);
    if (file === undefined) continue;
    const list = byPath.get(file.path) ?? [];
    list.push(file.blobSha);
    byPath.set(file.path, list);
  }
  return byPath;
}

const REMEMBERED_REASONS: ReadonlySet<string> = new Set([...SKIP_REASONS, 'empty']);

/**
 * The remembered content skips that still hold: of a file version still wanted (so
 * meta.json does not grow forever), decided with the filter inputs it has now (its
 * attributes, the settings and the filter's version). Any other is decided again.
 */
function rememberedSkips(
  previous: IndexMeta | undefined,
  wanted: readonly WantedFile[],
  inputsOf: (file: WantedFile) => string,
): Record<string, RememberedSkip> {
  const remembered = previous?.skipped_files ?? {};
  const held: Record<string, RememberedSkip> = {};
  for (const file of wanted) {
    if (!Object.hasOwn(remembered, file.fileId)) continue;
    const skip = remembered[file.fileId];
    // A bare reason (an older gitctx) or a malformed entry says nothing of its inputs.
    if (typeof skip !== 'object' || skip === null || typeof skip.inputs !== 'string' || typeof skip.reason !== 'string') continue;
    if (REMEMBERED_REASONS.has(skip.reason) && skip.inputs === inputsOf(file)) held[file.fileId] = { reason: skip.reason, inputs: skip.inputs };
  }
  return held;
}

/**
 * Indexed file versions whose content decision was made with other filter inputs than
 * they have now (an attribute added or removed, a setting or the filter changed): they
 * go through the filter again, their vectors from the cache. Without a record of the
 * inputs (an index from an older gitctx) every one is decided again, once.
 */
function staleDecisions(
  previous: IndexMeta | undefined,
  wanted: readonly WantedFile[],
  stored: ReadonlyMap<string, StoredFile>,
  usualInputs: string,
  inputsOf: (file: WantedFile) => string,
): Set<string> {
  const stale = new Set<string>();
  if (previous === undefined) return stale;
  const recorded = previous.included_inputs ?? {};
  for (const file of wanted) {
    if (!stored.has(file.fileId)) continue;
    const before = Object.hasOwn(recorded, file.fileId) ? recorded[file.fileId] : previous.filter_inputs;
    if (before !== inputsOf(file)) stale.add(file.fileId);
  }
  return stale;
}

/** The inputs of indexed files that differ from the usual ones (files with linguist attributes), for meta.json. */
export function unusualInputs(
  wanted: readonly WantedFile[],
  skips: Readonly<Record<string, RememberedSkip>>,
  usualInputs: string,
  inputsOf: (file: WantedFile) => string,
): Record<string, string> {
  const unusual: Record<string, string> = {};
  for (const file of wanted) {
    const inputs = inputsOf(file);
    if (inputs !== usualInputs && !Object.hasOwn(skips, file.fileId)) unusual[file.fileId] = inputs;
  }
  return unusual;
}

/** The file versions to add, grouped by blob (in first-seen order): each blob is read, chunked and embedded once. */
export function groupByBlob(files: readonly WantedFile[]): Map<string, WantedFile[]> {
  const groups = new Map<string, WantedFile[]>();
  for (const file of files) {
    const group = groups.get(file.blobSha);
    if (group) group.push(file);
    else groups.set(file.blobSha, [file]);
  }
  return groups;
}

export type ContentSkipReason = SkipReason | 'empty';

/** What one blob's bytes decide for the file versions that have them. */
export interface BlobDecision {
  /** Left out by the filter's content stage, in the order of the files. */
  filtered: { file: WantedFile; reason: SkipReason }[];
  /** Let through by the filter, each with its own language. */
  included: { file: WantedFile; language: string }[];
  /** The blob's chunks; empty when no file is included (the bytes are then not chunked). */
  chunks: Chunk[];
  /** Why the included files are left out after all: no chunk, or more than one cache file holds. */
  dropped?: 'empty' | 'too-large';
}

export interface BlobDecisionContext {
  filter: FileFilter;
  attributes: ReadonlyMap<string, LinguistAttributes>;
  chunkerOptions: ChunkerOptions;
  /** Most chunks one cache file holds: a blob with more could never have its vectors cached. */
  maxChunks: number;
}

/** Filters, chunks and names the language of one blob's file versions. */
export function planBlob(content: Buffer, files: readonly WantedFile[], ctx: BlobDecisionContext): BlobDecision {
  const filtered: BlobDecision['filtered'] = [];
  const passed: WantedFile[] = [];
  for (const file of files) {
    const decision = ctx.filter.decideContent(file.path, content, ctx.attributes.get(file.path));
    if (decision.include) passed.push(file);
    else filtered.push({ file, reason: decision.reason });
  }
  if (passed.length === 0) return { filtered, included: [], chunks: [] };
  const text = content.toString('utf8');
  const chunks = chunkText(text, ctx.chunkerOptions);
  const newline = text.indexOf('\n');
  const firstLine = newline === -1 ? text : text.slice(0, newline);
  const included = passed.map((file) => ({ file, language: detectLanguage(file.path, firstLine) }));
  if (chunks.length === 0) return { filtered, included, chunks, dropped: 'empty' };
  // Its vectors could never be cached: left out before any of them is paid for.
  if (chunks.length > ctx.maxChunks) return { filtered, included, chunks, dropped: 'too-large' };
  return { filtered, included, chunks };
}

/**
 * The vectors the cache already holds for these chunks, matched by chunk hash across
 * the given cache entries (the blob's own first, then earlier versions of its paths).
 */
export function reuseCached(chunks: readonly Chunk[], entries: readonly (Embedding[] | undefined)[]): { vectors: (Float32Array | undefined)[]; reused: number } {
  const known = new Map<string, Float32Array>();
  for (const embeddings of entries) {
    for (const e of embeddings ?? []) if (e.chunkHash !== undefined && !known.has(e.chunkHash)) known.set(e.chunkHash, e.vector);
  }
  const vectors = new Array<Float32Array | undefined>(chunks.length);
  let reused = 0;
  chunks.forEach((chunk, i) => {
    const vector = known.get(chunk.hash);
    if (vector === undefined) return;
    vectors[i] = vector;
    reused += 1;
  });
  return { vectors, reused };
}

/** The chunks left to embed, their tokens and what they would cost at this price. */
export function embedEstimate(
  chunks: readonly Chunk[],
  vectors: readonly (Float32Array | undefined)[],
  usdPerMillionTokens: number | undefined,
): { chunks: number; tokens: number; costUsd: number } {
  let pending = 0;
  let tokens = 0;
  chunks.forEach((chunk, i) => {
    if (vectors[i] !== undefined) return;
    pending += 1;
    tokens += chunk.tokens;
  });
  return { chunks: pending, tokens, costUsd: (tokens * (usdPerMillionTokens ?? 0)) / 1e6 };
}
