/**
 * The embedding cache on disk: `get(blobSha)` returns a blob's embeddings or a
 * miss, `set(blobSha, embeddings)` stores them. Callers never see zstd or
 * safetensors; the bytes are codec.ts's business, this file only does I/O.
 *
 * Reads trust nothing (files arrive through `git pull`): a corrupt, unreadable
 * or hostile file is one warning line and a miss, never an exception. Writes go
 * to a uniquely named temp file in the target directory and are renamed into
 * place, so readers and concurrent writers only ever see whole files.
 */
import { randomBytes } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { errnoCode, fromFsError, PermissionDeniedError, UsageError } from '../errors.js';
import type { CacheEncoding, Embedding } from './types.js';
import { CACHE_ENCODINGS } from './types.js';
import type { CacheEntry, CacheKey } from './codec.js';
import { decodeCacheFile, encodeCacheFile, MAX_DIMS, maxChunksPerFile } from './codec.js';
import { CacheFormatError } from './errors.js';
import { cacheFilePath, modelDirName } from './paths.js';
import { readBounded } from '../fs-read.js';
import { DEFAULT_LEVEL, isZstdLevel, MAX_DECOMPRESSED_BYTES } from './zstd.js';

/** The write-side file operations, replaceable so tests can simulate full or read-only disks. */
export interface CacheFileSystem {
  mkdir(path: string, options: { recursive: true }): Promise<unknown>;
  /** Creates `path`, which must not exist, with exactly `data`. */
  writeNewFile(path: string, data: Uint8Array): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(path: string, options: { force: true }): Promise<void>;
}

export interface EmbeddingCacheOptions {
  /** The embeddings root, normally `<repo>/.gitctx/embeddings`. */
  dir: string;
  /** Model name as the provider reports it; also names the model directory (see `modelDirName`). */
  model: string;
  dims: number;
  /** How new files are written. Files are read whatever their encoding. `f16` is lossy. */
  encoding?: CacheEncoding;
  /** Signature of the chunker and its parameters; a file made by another chunker is a miss. */
  chunker?: string;
  /** zstd level for new files. */
  level?: number;
  /** Receives one line per unusable cache file. */
  warn?: (message: string) => void;
  /** Largest decompressed file read or written (default MAX_DECOMPRESSED_BYTES, 256 MiB). */
  maxFileBytes?: number;
  /** fsync each file before the rename. Off by default: a file torn by a power cut reads as a warned miss and is rewritten. */
  fsync?: boolean;
  fs?: Partial<CacheFileSystem>;
}

export interface SetInfo {
  /** Tokens spent embedding this blob (default: the chunks' token sum). */
  tokens?: number;
  /** What embedding this blob cost, in US dollars (default 0). */
  costUsd?: number;
}

/** Placeholder signature for callers that do not version their chunker; real callers pass the chunker's own. */
export const DEFAULT_CHUNKER = 'default';

/** Without a caller's own `warn`, a warning is one prefixed line on stderr. */
function defaultWarn(message: string): void {
  process.stderr.write(`gitctx: warning: ${message}\n`);
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').slice(0, 500);
}

const nodeFs = (fsync: boolean): CacheFileSystem => ({
  mkdir: (path, options) => fsp.mkdir(path, options),
  async writeNewFile(path, data) {
    const handle = await fsp.open(path, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
  },
  rename: (from, to) => fsp.rename(from, to),
  rm: (path, options) => fsp.rm(path, options),
});


export class EmbeddingCache {
  readonly dir: string;
  readonly model: string;
  readonly dims: number;
  readonly encoding: CacheEncoding;
  readonly chunker: string;
  readonly level: number;
  /** Directory under `dir` holding this model's files. */
  readonly modelDir: string;
  private readonly warn: (message: string) => void;
  private readonly maxFileBytes: number;
  private readonly fs: CacheFileSystem;
  private tempCounter = 0;
  /** Directories (and paths) already warned about, so a bad one costs one line, not one per blob. */
  private readonly warned = new Set<string>();

  constructor(options: EmbeddingCacheOptions) {
    if (typeof options.dir !== 'string' || options.dir.length === 0) throw new UsageError('embedding cache needs a directory');
    if (!Number.isInteger(options.dims) || options.dims < 1 || options.dims > MAX_DIMS) {
      throw new UsageError(`embedding dimensions must be an integer in 1..${MAX_DIMS}, got ${String(options.dims)}`);
    }
    const encoding = options.encoding ?? 'f32';
    if (!CACHE_ENCODINGS.includes(encoding)) throw new UsageError(`unknown cache encoding ${String(encoding)}`);
    const level = options.level ?? DEFAULT_LEVEL;
    if (!isZstdLevel(level)) throw new UsageError(`zstd level ${String(level)} is not supported`);
    this.dir = options.dir;
    this.model = options.model;
    this.modelDir = modelDirName(options.model);
    this.dims = options.dims;
    this.encoding = encoding;
    this.chunker = options.chunker ?? DEFAULT_CHUNKER;
    this.level = level;
    this.warn = options.warn ?? defaultWarn;
    this.maxFileBytes = options.maxFileBytes ?? MAX_DECOMPRESSED_BYTES;
    this.fs = { ...nodeFs(options.fsync ?? false), ...options.fs };
  }

  /** Path of a blob's cache file. Throws InvalidBlobShaError unless the sha is 40 or 64 lowercase hex. */
  pathFor(blobSha: string): string {
    return cacheFilePath(this.dir, this.modelDir, blobSha);
  }

  private key(blobSha: string): CacheKey {
    return { blobSha, model: this.model, dims: this.dims, chunker: this.chunker };
  }

  private warnFile(path: string, reason: string): void {
    this.warned.add(path);
    this.warn(oneLine(`ignoring cache file ${path}: ${reason}`));
  }

  /** Embeddings of a blob, or undefined on a miss (absent, made by another chunker, or unusable: then one warning). */
  async get(blobSha: string): Promise<Embedding[] | undefined> {
    return (await this.getEntry(blobSha))?.embeddings;
  }

  /** Like `get`, with what the file records about its encoding and cost. */
  async getEntry(blobSha: string): Promise<CacheEntry | undefined> {
    const path = this.pathFor(blobSha);
    if (await this.blocked(path)) return undefined;
    // Compressed frames of valid files are at most ~0.4% larger than their content; allow a margin.
    const read = await readBounded(path, this.maxFileBytes + Math.ceil(this.maxFileBytes / 128) + 1024);
    if (read.kind === 'absent') return undefined;
    if (read.kind === 'unusable') {
      this.warnFile(path, read.reason);
      return undefined;
    }
    try {
      const result = decodeCacheFile(read.bytes, this.key(blobSha), { maxBytes: this.maxFileBytes });
      return result.status === 'hit' ? result.entry : undefined;
    } catch (err) {
      // Whatever fails while decoding untrusted bytes is the file's fault, not the caller's:
      // CacheFormatError names the problem, anything else is reported by its message.
      const reason = err instanceof CacheFormatError ? err.message : `cannot decode (${err instanceof Error ? err.message : String(err)})`;
      this.warnFile(path, reason);
      return undefined;
    }
  }

  /** Most chunks a blob may have for `set` to store its vectors (see maxChunksPerFile). */
  get maxChunks(): number {
    return maxChunksPerFile(this.dims, this.maxFileBytes);
  }

  /** True if a file exists for the blob. Cheap (one stat); does not check the contents. */
  async has(blobSha: string): Promise<boolean> {
    const path = this.pathFor(blobSha);
    if ((await this.blockingDirectory(path)) !== undefined) return false;
    try {
      return (await fsp.lstat(path)).isFile();
    } catch (err) {
      const code = errnoCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw fromFsError(err, `checking cache file ${path}`);
    }
  }

  /**
   * Stores a blob's embeddings, replacing any file there. Validates them first
   * (InvalidEmbeddingsError). Disk full and permission errors become DiskFullError
   * and PermissionDeniedError; the previous file, if any, is left untouched.
   */
  async set(blobSha: string, embeddings: readonly Embedding[], info: SetInfo = {}): Promise<void> {
    const path = this.pathFor(blobSha);
    const bytes = encodeCacheFile(this.key(blobSha), embeddings, {
      encoding: this.encoding,
      level: this.level,
      tokens: info.tokens,
      costUsd: info.costUsd,
      maxBytes: this.maxFileBytes,
    });
    await this.writeAtomically(path, bytes);
  }

  /**
   * The first of the embeddings root, model and fan-out directories on the way to `path`
   * that is a symbolic link or not a directory at all, if any. The cache arrives through
   * `git pull`: a committed link must never take a read or a write outside the repository
   * (O_NOFOLLOW only guards the last component), and a committed file where a directory
   * belongs must cost a warning and a miss, not the run.
   */
  private async blockingDirectory(path: string): Promise<{ dir: string; problem: string; link: boolean } | undefined> {
    const fan = dirname(path);
    for (const dir of [this.dir, dirname(fan), fan]) {
      try {
        const stat = await fsp.lstat(dir);
        if (stat.isSymbolicLink()) return { dir, problem: 'is a symbolic link (never followed)', link: true };
        if (!stat.isDirectory()) return { dir, problem: 'is not a directory', link: false };
      } catch (err) {
        if (errnoCode(err) === 'ENOENT') return undefined;
        throw fromFsError(err, `checking ${dir}`);
      }
    }
    return undefined;
  }

  /** True, after one warning per directory, when `path` cannot be reached through real directories. */
  private async blocked(path: string): Promise<boolean> {
    const found = await this.blockingDirectory(path);
    if (found === undefined) return false;
    if (!this.warned.has(found.dir)) {
      this.warned.add(found.dir);
      this.warn(oneLine(`ignoring cache files under ${found.dir}: it ${found.problem}`));
    }
    return true;
  }

  /**
   * Creates the model and fan-out directories one level at a time, checking each before and
   * after: `mkdir -p` through a committed link would create directories outside the repository.
   */
  private async makeDirectories(path: string): Promise<boolean> {
    const fan = dirname(path);
    for (const dir of [this.dir, dirname(fan), fan]) {
      const found = await this.blockingDirectory(path);
      if (found?.link) {
        throw new PermissionDeniedError(`refusing to write ${path}: ${found.dir} is a symbolic link, which could lead outside the repository`);
      }
      if (await this.blocked(path)) return false;
      await this.fs.mkdir(dir, { recursive: true }).catch((err: unknown) => {
        if (errnoCode(err) === 'EEXIST' || errnoCode(err) === 'ENOTDIR') return;
        throw fromFsError(err, `writing cache file ${path}`);
      });
    }
    return !(await this.blocked(path));
  }

  private async writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    // Unique per process and per call, so concurrent writers never share a temp file.
    // The `.tmp` suffix keeps it out of `cacheStats` and lets .gitignore skip it.
    const temp = `${path}.${process.pid}-${++this.tempCounter}-${randomBytes(4).toString('hex')}.tmp`;
    if (!(await this.makeDirectories(path))) return;
    try {
      await this.fs.writeNewFile(temp, bytes);
      await this.fs.rename(temp, path);
    } catch (err) {
      await this.removeTemp(temp);
      // A committed directory (or other non-file) where this cache file belongs: the blob goes uncached.
      if (errnoCode(err) === 'EISDIR' || errnoCode(err) === 'ENOTEMPTY' || errnoCode(err) === 'EEXIST') {
        if (!this.warned.has(path)) {
          this.warned.add(path);
          this.warn(oneLine(`not caching blob ${basename(path)}: ${path} is not a regular file`));
        }
        return;
      }
      throw fromFsError(err, `writing cache file ${path}`);
    }
  }

  private async removeTemp(temp: string): Promise<void> {
    try {
      await this.fs.rm(temp, { force: true });
    } catch (err) {
      // A path through a non-directory means the temp file was never created.
      if (errnoCode(err) === 'ENOTDIR') return;
      // The write error is what the caller must see; a leftover temp file is harmless
      // (readers never look at *.tmp), so say so instead of failing twice.
      this.warn(oneLine(`could not remove temporary file ${temp}: ${err instanceof Error ? err.message : String(err)}`));
    }
  }
}
