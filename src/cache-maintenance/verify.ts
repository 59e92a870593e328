/**
 * `gitctx cache verify`: every cache file checked as a hostile one would be, and
 * against the repository it claims to describe.
 *
 * A file passes when its name is a blob id in the right fan-out directory of a
 * model directory; it decodes completely (zstd checksum, safetensors header,
 * dtype, shape, offsets, finite values) with metadata naming that blob, that
 * model and the model's dimensions; the blob is in the repository (or is an
 * uncommitted file of the work tree, from `index --worktree`); and, when the file
 * was made by the chunker the index uses now, its spans are exactly what
 * chunking the blob gives.
 *
 * None of that proves the vectors are the model's: a file rewritten with other
 * unit vectors and honest metadata passes every check above. `reembed` closes
 * that gap for a random sample, comparing stored and fresh vectors by cosine.
 *
 * `repair` rewrites the bad files it can: each from the vectors the search index
 * already holds for the blob's current chunks (no API cost), re-embedding only the
 * chunks the index lacks, through the cache's own atomic `set`, so the file comes
 * out as `gitctx index` would have written it.
 *
 * The walk of the cache directory is `scanCache` (scan.ts), shared with stats and prune.
 */
import { randomInt } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import { chunkText, chunkerSignature } from '../chunk/index.js';
import type { Chunk, ChunkerOptions } from '../chunk/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import { ExitCode, GitctxError, InterruptedError } from '../errors.js';
import { listWorktreeChanges, readObjectTypes, streamBlobs } from '../git/index.js';
import type { Repository, StreamedBlob, WantedBlob } from '../git/index.js';
import {
  CacheFormatError,
  declaredDims,
  decodeCacheFile,
  EmbeddingCache,
  MAX_DECOMPRESSED_BYTES,
  modelFromDirName,
  peekCacheMetadata,
} from '../cache/index.js';
import type { CacheEncoding, CacheEntry } from '../cache/index.js';
import { readBounded } from '../fs-read.js';
import { mapLimited } from './map-limited.js';
import { scanCache } from './scan.js';
import type { CacheScan, ScannedCacheFile } from './scan.js';

// ---------------------------------------------------------------------------
// One file's bytes

/** What a sound cache file says about itself. */
export interface CheckedFile {
  chunker: string;
  dims: number;
  entry: CacheEntry;
}

/**
 * Decodes a whole cache file and holds it to the blob and model its path names,
 * with the file's own chunker (a file from another chunker is still checked in
 * full). `dims` is what the model produces, when known; otherwise the file's own
 * count is used and only its consistency with the data is checked.
 * Throws CacheFormatError, or whatever the decoders throw on hostile bytes.
 */
export function checkCacheFile(bytes: Uint8Array, expected: { blobSha: string; model: string; dims?: number }): CheckedFile {
  const metadata = peekCacheMetadata(bytes);
  // An unparsable count is left for decodeCacheFile to describe; any number reaches its check.
  const dims = expected.dims ?? declaredDims(metadata) ?? 1;
  const chunker = metadata['chunker'] ?? '';
  const result = decodeCacheFile(bytes, { blobSha: expected.blobSha, model: expected.model, dims, chunker });
  // Not reachable with the file's own chunker as the key; kept so a codec change cannot pass a file silently.
  if (result.status !== 'hit') throw new CacheFormatError(result.reason);
  return { chunker, dims, entry: result.entry };
}

/** Cosine similarity, in double precision; 0 when either vector is all zeros. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`cosine of vectors of ${a.length} and ${b.length} dimensions`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** `count` distinct indexes below `size`, uniformly at random (partial Fisher-Yates on crypto randomness). */
export function pickRandom(size: number, count: number): number[] {
  const n = Math.min(size, Math.max(0, Math.floor(count)));
  const pool = Array.from({ length: size }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + randomInt(size - i);
    [pool[i], pool[j]] = [pool[j] as number, pool[i] as number];
  }
  return pool.slice(0, n);
}

// ---------------------------------------------------------------------------
// The whole cache

/**
 * Largest accepted deviation (1 - cosine) between a stored vector and a fresh one.
 * local-v1 is a pure function of the text, so any honest file is within float
 * rounding, and f16 files within the format's stated 1e-4; 1e-3 leaves room for both.
 */
export const DETERMINISTIC_MAX_DEVIATION = 1e-3;
/**
 * API models answer the same text with slightly different vectors from call to
 * call (batching, hardware); cosine stays above 0.99 in practice, while a vector
 * of other content lands far lower (unrelated code scores well under 0.9).
 */
export const API_MAX_DEVIATION = 1e-2;

/** What verify can know about one model; the CLI decides from the settings. */
export interface VerifyModel {
  /** Dimensions the model produces. Unknown: each file must agree with the others of its directory. */
  dims?: number;
  /** The chunker the index uses for this model now; spans are checked only for files it made. */
  chunker?: ChunkerOptions;
  /** Present when this model can be called now, for `reembed`. */
  provider?: EmbeddingProvider;
  /** Largest accepted 1 - cosine on re-embedding (default API_MAX_DEVIATION). */
  maxDeviation?: number;
  /** Why spans or vectors of this model cannot be checked here (reported once per directory). */
  unavailable?: string;
}

export interface VerifyIssue {
  /** Relative to the repository root, `/`-separated. */
  path: string;
  reason: string;
}

export interface ReembedReport {
  /** Blob ids picked and re-embedded. */
  blobs: string[];
  /** Their cache files. */
  files: string[];
  chunks: number;
  /** Largest 1 - cosine seen over every re-embedded chunk; null when nothing was re-embedded. */
  max_deviation: number | null;
}

export interface VerifyReport {
  /** Cache files judged: passed plus bad (warnings are about other things). */
  files: number;
  ok: number;
  bad: VerifyIssue[];
  warnings: VerifyIssue[];
  reembedded: ReembedReport;
  /** The files that passed, for a verbose listing. */
  passed: string[];
  /** What `repair` did; present only when asked to repair. */
  repair?: RepairReport;
}

export type VerifyPhase = 'reading' | 'chunking' | 're-embedding' | 'repairing';

/** A chunk the search index holds for a blob, with its vector. */
export interface IndexedChunk {
  startLine: number;
  endLine: number;
  text: string;
  vector: Float32Array;
}

/** What repairing needs from outside the cache. */
export interface RepairOptions {
  /**
   * The chunks the search index holds for `blobSha`, when the index was built with this
   * model and chunker signature; none otherwise (no index, another model).
   */
  indexedChunks(model: string, chunker: string, blobSha: string): Promise<IndexedChunk[]>;
  /** How rewritten files are encoded (`cache.encoding`), as `gitctx index` writes them. */
  encoding?: CacheEncoding;
}

export interface RepairedFile {
  path: string;
  /** Chunks whose vectors came from the index, at no API cost. */
  from_index: number;
  /** Chunks sent to the model because the index had no vector for them. */
  embedded: number;
}

export interface RepairReport {
  repaired: RepairedFile[];
  /** Bad files left as they are, and why. */
  failed: VerifyIssue[];
  from_index_chunks: number;
  embedded_chunks: number;
  tokens: number;
  cost_usd: number;
}

export interface VerifyOptions {
  repo: Repository;
  /** The cache root, normally `<repo>/.gitctx/embeddings`. */
  dir: string;
  /** What is known about a model (called once per model directory). */
  modelFor(model: string): Promise<VerifyModel>;
  /** How many blobs to re-embed at random (default 0). */
  reembed?: number;
  /** Chooses which eligible files to re-embed (default: crypto random); tests pass a fixed choice. */
  pick?: (size: number, count: number) => number[];
  signal?: AbortSignal;
  onProgress?: (phase: VerifyPhase, done: number, total: number) => void;
  /** Rewrite the bad files that can be rewritten (the caller holds the index lock). */
  repair?: RepairOptions;
}

/** The command that rewrites bad cache files, named wherever verify fails. */
export const REPAIR_COMMAND = 'gitctx cache verify --repair';

/** A bad file found by `gitctx cache verify`, or left bad by `--repair` (exit 1); the report is printed before this is thrown. */
export class CacheVerifyError extends GitctxError {
  readonly bad: VerifyIssue[];

  constructor(bad: VerifyIssue[], files: number, options: { repaired?: boolean } = {}) {
    const paths = bad.map((b) => b.path).join(', ');
    super(
      options.repaired
        ? `cache repair incomplete: ${bad.length} of ${files} files are still bad: ${paths}`
        : `cache verification failed: ${bad.length} of ${files} files are bad: ${paths}; \`${REPAIR_COMMAND}\` rewrites them`,
      ExitCode.unexpected,
    );
    this.bad = bad;
  }
}

type Span = [startLine: number, endLine: number, tokens: number, chunkHash: string];

interface FileState {
  file: ScannedCacheFile;
  display: string;
  bad?: string;
  chunker?: string;
  dims?: number;
  encoding?: CacheEncoding;
  spans?: Span[];
  /** The spans were compared with the current chunker's output for the blob. */
  spansChecked: boolean;
  /** Why the spans could not be compared, when that is the file's own doing (another chunker, a blob out of reach). */
  unchecked?: string;
  /** Its vectors disagree with the model's: the index, likely built from this very file, is no source for a repair. */
  wrongVectors?: boolean;
}

/** Where a blob's bytes come from: the object database, or a work-tree file at that path. */
type BlobOrigin = { kind: 'object' } | { kind: 'worktree'; path: string };

const PARALLEL_READS = 16;
/** Compressed frames of valid files are at most ~0.4% larger than their content. */
const MAX_FILE_BYTES = MAX_DECOMPRESSED_BYTES + Math.ceil(MAX_DECOMPRESSED_BYTES / 128) + 1024;

/** The file's bytes, or the reason it cannot be read. */
async function readCacheFile(path: string): Promise<Uint8Array | string> {
  const outcome = await readBounded(path, MAX_FILE_BYTES);
  if (outcome.kind === 'bytes') return outcome.bytes;
  return outcome.kind === 'absent' ? 'file vanished while verifying' : outcome.reason;
}

function reasonOf(err: unknown): string {
  // Whatever decoding untrusted bytes throws is the file's fault; CacheFormatError names the problem best.
  if (err instanceof CacheFormatError) return err.message;
  return `cannot decode (${err instanceof Error ? err.message : String(err)})`;
}

function spanOf(chunk: Chunk): Span {
  return [chunk.startLine, chunk.endLine, chunk.tokens, chunk.hash];
}

function describeSpan([start, end, tokens, hash]: Span): string {
  return `lines ${start}-${end}, ${tokens} tokens, hash ${hash === '' ? 'none' : hash}`;
}

/** Why stored spans differ from what chunking the blob gives, or undefined when they agree. */
export function compareSpans(stored: readonly Span[], chunks: readonly Chunk[]): string | undefined {
  for (let i = 0; i < Math.max(stored.length, chunks.length); i++) {
    const s = stored[i];
    const c = chunks[i];
    if (s === undefined || c === undefined) return `holds ${stored.length} chunks, the blob chunks into ${chunks.length}`;
    const fresh = spanOf(c);
    if (s.some((v, k) => v !== fresh[k])) return `chunk ${i} is stored as ${describeSpan(s)}; the blob gives ${describeSpan(fresh)}`;
  }
  return undefined;
}

/**
 * Checks every file under the cache root and returns the report; never throws for
 * a bad file (that is the report's business). Throws for what stops the check
 * itself: git failing, an interrupt, a provider error while re-embedding.
 */
export async function verifyCache(options: VerifyOptions): Promise<VerifyReport> {
  const run = new Verification(options, await scanCache(options.dir));
  await run.learnModels();
  await run.decodeFiles();
  run.checkSizes();
  await run.locateBlobs();
  await run.checkSpans();
  await run.reembedSample(Math.max(0, Math.floor(options.reembed ?? 0)));
  if (options.repair !== undefined) await run.repair(options.repair);
  return run.report();
}

const byDisplay = (a: { display: string }, b: { display: string }) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0);
const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The state of one verify run; each step only looks at files no earlier step found bad. */
class Verification {
  private readonly repo: Repository;
  private readonly warnings: VerifyIssue[] = [];
  private readonly invalid: VerifyIssue[] = [];
  private readonly states: FileState[];
  /** Facts per model directory (directories that name no model are absent). */
  private readonly models = new Map<string, VerifyModel>();
  /** Current chunker signature per model directory, where the chunker is known. */
  private readonly signatures = new Map<string, string>();
  private readonly origins = new Map<string, BlobOrigin>();
  private readonly reembedded: ReembedReport = { blobs: [], files: [], chunks: 0, max_deviation: null };
  private repairReport: RepairReport | undefined;

  constructor(
    private readonly options: VerifyOptions,
    private readonly scan: CacheScan,
  ) {
    this.repo = options.repo;
    this.states = scan.files.map((file) => ({ file, display: this.display(file.path), spansChecked: false }));
    for (const o of scan.others) {
      if (o.kind === 'invalid') this.invalid.push({ path: this.display(o.path), reason: o.reason });
      else if (o.kind === 'temporary') this.warn(o.path, `${o.reason}; \`gitctx cache prune\` removes it`);
      else this.warn(o.path, `${o.reason}; ignored`);
    }
  }

  private display(path: string): string {
    return relative(this.repo.root, path).split(sep).join('/');
  }

  private warn(path: string, reason: string): void {
    this.warnings.push({ path: this.display(path), reason });
  }

  private throwIfAborted(): void {
    if (this.options.signal?.aborted) throw new InterruptedError();
  }

  private pending(): FileState[] {
    return this.states.filter((s) => s.bad === undefined);
  }

  async learnModels(): Promise<void> {
    for (const modelDir of new Set(this.scan.files.map((f) => f.modelDir))) {
      const model = modelFromDirName(modelDir);
      if (model === undefined) continue;
      const facts = await this.options.modelFor(model);
      this.models.set(modelDir, facts);
      if (facts.chunker !== undefined) this.signatures.set(modelDir, chunkerSignature(facts.chunker));
      if (facts.unavailable !== undefined) this.warn(join(this.options.dir, modelDir), `spans and vectors not checked: ${facts.unavailable}`);
    }
  }

  /** Every file decoded in full; only its spans and facts are kept, not its vectors. */
  async decodeFiles(): Promise<void> {
    let read = 0;
    await mapLimited(this.states, PARALLEL_READS, async (state) => {
      this.throwIfAborted();
      const { file } = state;
      if (file.model === undefined) {
        state.bad = `directory ${file.modelDir} does not name a model (gitctx never reads it)`;
        return;
      }
      const bytes = await readCacheFile(file.path);
      this.options.onProgress?.('reading', ++read, this.states.length);
      if (typeof bytes === 'string') {
        state.bad = bytes;
        return;
      }
      try {
        const checked = checkCacheFile(bytes, { blobSha: file.sha, model: file.model, dims: this.models.get(file.modelDir)?.dims });
        state.chunker = checked.chunker;
        state.dims = checked.dims;
        state.encoding = checked.entry.encoding;
        // Tuples, not the entry: its vectors are views into the whole decompressed file.
        state.spans = checked.entry.embeddings.map((e): Span => [e.startLine, e.endLine, e.tokens, e.chunkHash ?? '']);
      } catch (err) {
        state.bad = reasonOf(err);
      }
    });
  }

  /** One model, one size: where the model's size is unknown, the directory's majority sets it. */
  checkSizes(): void {
    for (const [modelDir, facts] of this.models) {
      if (facts.dims !== undefined) continue;
      const files = this.pending().filter((s) => s.file.modelDir === modelDir);
      const counts = new Map<number, number>();
      for (const s of files) if (s.dims !== undefined) counts.set(s.dims, (counts.get(s.dims) ?? 0) + 1);
      const [majority] = [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0] ?? [];
      for (const s of files) if (s.dims !== majority) s.bad = `${s.dims} dimensions, while most files of ${modelDir} have ${majority}`;
    }
  }

  /** The blob each file is named after must be in the repository, or be an uncommitted file of the work tree. */
  async locateBlobs(): Promise<void> {
    const { types, inWorktree } = await this.findBlobs(this.pending().map((s) => s.file.sha));
    for (const s of this.pending()) {
      const sha = s.file.sha;
      const type = types.get(sha);
      const path = inWorktree.get(sha);
      if (type === 'blob') this.origins.set(sha, { kind: 'object' });
      else if (type === undefined && path !== undefined) this.origins.set(sha, { kind: 'worktree', path });
      else if (type !== undefined) s.bad = `object ${sha} is a ${type}, not a blob`;
      else if (this.repo.isShallow) {
        // Beyond a shallow clone's boundary the blob may well exist; we cannot tell.
        s.unchecked = 'its blob is not in this shallow clone';
        this.warn(s.file.path, `blob ${sha} is not in this shallow clone; spans not checked`);
      } else {
        s.bad = `blob ${sha} is neither in the repository nor an uncommitted file of the work tree (\`gitctx cache prune\` removes such files)`;
      }
    }
  }

  /** Object types of `shas`, and the work-tree paths of those git does not have. */
  private async findBlobs(shas: readonly string[]): Promise<{ types: Map<string, string>; inWorktree: Map<string, string> }> {
    const unique = [...new Set(shas)];
    const types = await readObjectTypes(this.repo, unique);
    const inWorktree = new Map<string, string>();
    // Hashing changed files costs a little; only worth it when some blob is not committed.
    if (unique.some((sha) => !types.has(sha))) {
      for (const f of (await listWorktreeChanges(this.repo)).files) if (f.blobSha !== null) inWorktree.set(f.blobSha, f.path);
    }
    return { types, inWorktree };
  }

  /** Where the blobs of files found bad before their blob was looked for (undecodable ones) come from. */
  private async locateBadBlobs(): Promise<void> {
    const shas = this.states.filter((s) => s.bad !== undefined && s.file.model !== undefined && !this.origins.has(s.file.sha)).map((s) => s.file.sha);
    if (shas.length === 0) return;
    const { types, inWorktree } = await this.findBlobs(shas);
    for (const sha of shas) {
      const path = inWorktree.get(sha);
      if (types.get(sha) === 'blob') this.origins.set(sha, { kind: 'object' });
      else if (!types.has(sha) && path !== undefined) this.origins.set(sha, { kind: 'worktree', path });
    }
  }

  /** Spans against the blob, for files made by the chunker in use now; each blob is read and chunked once. */
  async checkSpans(): Promise<void> {
    const byBlob = new Map<string, FileState[]>();
    for (const s of this.pending()) {
      const signature = this.signatures.get(s.file.modelDir);
      if (!this.origins.has(s.file.sha) || signature === undefined) continue;
      if (s.chunker !== signature) {
        s.unchecked = 'made by another chunker';
        this.warn(s.file.path, `made by another chunker (${s.chunker ?? '?'}; the index now uses ${signature}); spans not checked`);
        continue;
      }
      byBlob.set(s.file.sha, [...(byBlob.get(s.file.sha) ?? []), s]);
    }
    let chunked = 0;
    for await (const { sha, content } of blobContents(this.repo, byBlob.keys(), this.origins)) {
      this.throwIfAborted();
      this.options.onProgress?.('chunking', ++chunked, byBlob.size);
      const group = byBlob.get(sha) ?? [];
      if (content === null) {
        for (const s of group) s.bad = `blob ${sha} could not be read`;
        continue;
      }
      const text = content.toString('utf8');
      const bySignature = new Map<string, Chunk[]>();
      for (const s of group) {
        const chunker = this.models.get(s.file.modelDir)?.chunker;
        const signature = this.signatures.get(s.file.modelDir);
        if (chunker === undefined || signature === undefined) continue;
        let chunks = bySignature.get(signature);
        if (chunks === undefined) {
          chunks = chunkText(text, chunker);
          bySignature.set(signature, chunks);
        }
        const mismatch = compareSpans(s.spans ?? [], chunks);
        if (mismatch !== undefined) s.bad = `spans do not match the blob: ${mismatch}`;
        else s.spansChecked = true;
      }
    }
  }

  /** `wanted` files picked among those whose spans were checked and whose model can be called, re-embedded, compared by cosine. */
  async reembedSample(wanted: number): Promise<void> {
    if (wanted === 0) return;
    const eligible: FileState[] = [];
    const skipped = new Map<string, number>();
    for (const s of this.pending()) {
      const facts = this.models.get(s.file.modelDir);
      if (s.spansChecked && facts?.provider !== undefined) {
        eligible.push(s);
        continue;
      }
      const why = facts?.provider === undefined ? (facts?.unavailable ?? 'the model cannot be called here') : (s.unchecked ?? 'spans not checked');
      const key = `${s.file.modelDir}\0${why}`;
      skipped.set(key, (skipped.get(key) ?? 0) + 1);
    }
    for (const [key, count] of skipped) {
      const [modelDir = '', why = ''] = key.split('\0');
      this.warn(join(this.options.dir, modelDir), `${count} files not eligible for re-embedding: ${why}`);
    }
    const picks = (this.options.pick ?? pickRandom)(eligible.length, wanted)
      .map((i) => eligible[i])
      .filter((s): s is FileState => s !== undefined)
      .sort(byDisplay);
    await reembedFiles(this.repo, picks, this.models, this.origins, this.reembedded, (done) => {
      this.throwIfAborted();
      this.options.onProgress?.('re-embedding', done, picks.length);
    }, this.options.signal);
  }

  /** Rewrites every bad file it can; what it cannot is listed with the reason. */
  async repair(options: RepairOptions): Promise<void> {
    const report: RepairReport = { repaired: [], failed: [], from_index_chunks: 0, embedded_chunks: 0, tokens: 0, cost_usd: 0 };
    this.repairReport = report;
    await this.locateBadBlobs();
    for (const issue of this.invalid) report.failed.push({ path: issue.path, reason: `${issue.reason}; gitctx never writes there, remove it by hand` });
    const byBlob = new Map<string, FileState[]>();
    let total = 0;
    for (const s of this.states) {
      if (s.bad === undefined) continue;
      const why = this.unrepairable(s);
      if (why !== undefined) report.failed.push({ path: s.display, reason: why });
      else {
        byBlob.set(s.file.sha, [...(byBlob.get(s.file.sha) ?? []), s]);
        total += 1;
      }
    }
    let done = 0;
    for await (const { sha, content } of blobContents(this.repo, byBlob.keys(), this.origins)) {
      for (const s of byBlob.get(sha) ?? []) {
        this.throwIfAborted();
        if (content === null) report.failed.push({ path: s.display, reason: `blob ${sha} could not be read` });
        else await this.repairFile(s, content, options, report);
        this.options.onProgress?.('repairing', ++done, total);
      }
    }
    report.repaired.sort(byPath);
    report.failed.sort(byPath);
  }

  /** Why a bad file cannot be rewritten here, or undefined when it can. */
  private unrepairable(s: FileState): string | undefined {
    if (s.file.model === undefined) return 'its directory names no model; remove it by hand';
    if (!this.origins.has(s.file.sha)) return 'its blob is not in the repository or the work tree; `gitctx cache prune` removes the file';
    const facts = this.models.get(s.file.modelDir);
    if (facts?.chunker === undefined || facts.dims === undefined) {
      return `the model cannot be used here${facts?.unavailable !== undefined ? ` (${facts.unavailable})` : ''}`;
    }
    return undefined;
  }

  private async repairFile(s: FileState, content: Buffer, options: RepairOptions, report: RepairReport): Promise<void> {
    const model = s.file.model as string;
    const facts = this.models.get(s.file.modelDir) as VerifyModel & { chunker: ChunkerOptions; dims: number };
    const signature = chunkerSignature(facts.chunker);
    const chunks = chunkText(content.toString('utf8'), facts.chunker);
    if (chunks.length === 0) {
      report.failed.push({ path: s.display, reason: 'the blob has no text to embed (gitctx index never caches it); remove the file' });
      return;
    }
    // The index's vector for a chunk counts only when the chunk is the same text at the same lines.
    const spanKey = (start: number, end: number, text: string) => `${start}:${end}:${text}`;
    const indexed = new Map<string, Float32Array>();
    for (const c of s.wrongVectors ? [] : await options.indexedChunks(model, signature, s.file.sha)) {
      if (c.vector.length === facts.dims && c.vector.every(Number.isFinite)) indexed.set(spanKey(c.startLine, c.endLine, c.text), c.vector);
    }
    const vectors = chunks.map((c) => indexed.get(spanKey(c.startLine, c.endLine, c.text)));
    const missing = vectors.flatMap((v, i) => (v === undefined ? [i] : []));
    if (missing.length > 0) {
      if (facts.provider === undefined) {
        const why = facts.unavailable !== undefined ? ` (${facts.unavailable})` : '';
        report.failed.push({ path: s.display, reason: `${missing.length} of ${chunks.length} chunks are not in the index, and the model cannot be called here${why}` });
        return;
      }
      const signal = this.options.signal;
      const fresh = await facts.provider.embed(
        missing.map((i) => (chunks[i] as Chunk).text),
        signal !== undefined ? { signal } : {},
      );
      missing.forEach((chunkIndex, k) => (vectors[chunkIndex] = fresh.vectors[k]));
      report.tokens += fresh.tokens;
      report.cost_usd += fresh.costUsd;
    }
    // What `gitctx index` records, from the chunks alone, so the file is byte for byte the one indexing writes.
    const tokens = chunks.reduce((n, c) => n + c.tokens, 0);
    const cache = new EmbeddingCache({ dir: this.options.dir, model, dims: facts.dims, chunker: signature, ...(options.encoding ? { encoding: options.encoding } : {}) });
    await cache.set(
      s.file.sha,
      chunks.map((chunk, i) => ({
        vector: vectors[i] as Float32Array,
        startLine: chunk.startLine,
        endLine: chunk.endLine,
        tokens: chunk.tokens,
        chunkHash: chunk.hash,
      })),
      { tokens, costUsd: (tokens * (facts.provider?.usdPerMillionTokens ?? 0)) / 1e6 },
    );
    report.repaired.push({ path: s.display, from_index: chunks.length - missing.length, embedded: missing.length });
    report.from_index_chunks += chunks.length - missing.length;
    report.embedded_chunks += missing.length;
  }

  report(): VerifyReport {
    const bad = [...this.invalid, ...this.states.filter((s) => s.bad !== undefined).map((s) => ({ path: s.display, reason: s.bad as string }))];
    bad.sort(byPath);
    const passed = this.pending().map((s) => s.display);
    return {
      files: passed.length + bad.length,
      ok: passed.length,
      bad,
      warnings: this.warnings,
      reembedded: this.reembedded,
      passed,
      ...(this.repairReport !== undefined ? { repair: this.repairReport } : {}),
    };
  }
}

/**
 * Blob contents through git's one blob stream: committed ones first, then uncommitted ones from
 * disk (null when deleted meanwhile); blobs of no known origin are left out.
 */
function blobContents(repo: Repository, shas: Iterable<string>, origins: ReadonlyMap<string, BlobOrigin>): AsyncGenerator<StreamedBlob> {
  const wanted: WantedBlob[] = [];
  for (const sha of shas) {
    const origin = origins.get(sha);
    if (origin?.kind === 'object') wanted.push({ sha });
    else if (origin?.kind === 'worktree') wanted.push({ sha, path: origin.path });
  }
  return streamBlobs(repo, wanted);
}

async function reembedFiles(
  repo: Repository,
  picks: readonly FileState[],
  models: ReadonlyMap<string, VerifyModel>,
  origins: ReadonlyMap<string, BlobOrigin>,
  report: ReembedReport,
  onFile: (done: number) => void,
  signal: AbortSignal | undefined,
): Promise<void> {
  const bySha = new Map<string, FileState[]>();
  for (const state of picks) bySha.set(state.file.sha, [...(bySha.get(state.file.sha) ?? []), state]);
  let done = 0;
  onFile(done);
  // One blob at a time, as the reader hands them out: a large sample never sits in memory whole.
  for await (const { sha, content } of blobContents(repo, bySha.keys(), origins)) {
    for (const state of bySha.get(sha) ?? []) {
      if (content !== null) await reembedFile(state, content, models.get(state.file.modelDir), report, signal);
      onFile(++done);
    }
  }
  report.blobs = [...new Set(report.blobs)].sort();
  report.files.sort();
}

async function reembedFile(
  state: FileState,
  content: Buffer,
  facts: VerifyModel | undefined,
  report: ReembedReport,
  signal: AbortSignal | undefined,
): Promise<void> {
  if (facts?.provider === undefined || facts.chunker === undefined || state.file.model === undefined) return;
  // Read again for the vectors: the first pass kept only the spans, so memory stays small on a large cache.
  const bytes = await readCacheFile(state.file.path);
  let entry: CacheEntry;
  try {
    if (typeof bytes === 'string') throw new CacheFormatError(bytes);
    entry = checkCacheFile(bytes, { blobSha: state.file.sha, model: state.file.model, dims: state.dims }).entry;
  } catch (err) {
    state.bad = `changed while verifying: ${reasonOf(err)}`;
    return;
  }
  const chunks = chunkText(content.toString('utf8'), facts.chunker);
  const fresh = await facts.provider.embed(
    chunks.map((c) => c.text),
    signal !== undefined ? { signal } : {},
  );
  const limit = facts.maxDeviation ?? API_MAX_DEVIATION;
  let worst: { deviation: number; index: number } | undefined;
  chunks.forEach((_, i) => {
    const stored = entry.embeddings[i]?.vector;
    const vector = fresh.vectors[i];
    if (stored === undefined || vector === undefined) return;
    // Clamped: rounding can put an identical pair a hair past 1.
    const deviation = Math.max(0, 1 - cosine(stored, vector));
    if (worst === undefined || deviation > worst.deviation) worst = { deviation, index: i };
  });
  report.blobs.push(state.file.sha);
  report.files.push(state.display);
  report.chunks += chunks.length;
  if (worst === undefined) return;
  report.max_deviation = Math.max(report.max_deviation ?? 0, worst.deviation);
  if (worst.deviation > limit) {
    state.wrongVectors = true;
    const chunk = chunks[worst.index] as Chunk;
    state.bad =
      `re-embedding disagrees with the stored vectors: chunk ${worst.index} (lines ${chunk.startLine}-${chunk.endLine}) ` +
      `has cosine ${(1 - worst.deviation).toFixed(4)}, below the ${(1 - limit).toFixed(4)} this model (${state.encoding ?? '?'}) keeps to`;
  }
}
