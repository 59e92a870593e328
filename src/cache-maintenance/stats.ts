/**
 * What the cache holds, per model directory and encoding, for `gitctx cache
 * stats` and `gitctx status`. Reads only each file's beginning, through the
 * codec's `CacheHeaderPeek`: the zstd frame header gives the uncompressed size,
 * and the safetensors header (decompressed from the first block, not the whole
 * file) gives the encoding.
 */
import { constants as fsConstants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { CACHE_ENCODINGS, CacheHeaderPeek, declaredDims, modelDirName, modelFromDirName, PEEK_CHUNK_BYTES } from '../cache/index.js';
import type { CacheEncoding } from '../cache/index.js';
import { mapLimited } from './map-limited.js';
import { scanCache } from './scan.js';
import { errnoCode } from '../errors.js';

export interface CacheStatsGroup {
  /** Directory name under the embeddings root. */
  modelDir: string;
  /** The model the directory stands for, or undefined if the name is not one gitctx makes. */
  model: string | undefined;
  /** `invalid`: the file's headers could not be read (it would be a warned miss). */
  encoding: CacheEncoding | 'invalid';
  files: number;
  /** Bytes on disk. */
  bytes: number;
  /** Sum of the frames' declared content sizes (0 for files whose frame header is unreadable). */
  uncompressedBytes: number;
}

export interface CacheStats {
  /** Sorted by model directory, then encoding. */
  groups: CacheStatsGroup[];
  totals: { files: number; bytes: number; uncompressedBytes: number };
}

interface FileFacts {
  bytes: number;
  uncompressedBytes: number;
  encoding: CacheEncoding | 'invalid';
  /** The vector size the header declares, when it declares a sane one. */
  dims?: number;
}

const PARALLEL_FILES = 16;

function encodingOf(metadata: Record<string, string>): CacheEncoding | 'invalid' {
  return CACHE_ENCODINGS.find((e) => e === metadata['encoding']) ?? 'invalid';
}

function dimsOf(metadata: Record<string, string>): { dims?: number } {
  const dims = declaredDims(metadata);
  return dims !== undefined ? { dims } : {};
}

/** Reads a file's beginning in chunks until the safetensors header is decoded (usually the first zstd block). */
async function inspectFile(path: string): Promise<FileFacts> {
  const handle = await fsp.open(path, fsConstants.O_RDONLY | (fsConstants.O_NOFOLLOW ?? 0) | (fsConstants.O_NONBLOCK ?? 0));
  try {
    const stat = await handle.stat();
    const facts: FileFacts = { bytes: stat.size, uncompressedBytes: 0, encoding: 'invalid' };
    if (!stat.isFile()) return facts;
    const chunk = new Uint8Array(Math.min(PEEK_CHUNK_BYTES, stat.size));
    const peek = new CacheHeaderPeek();
    let position = 0;
    while (position < stat.size) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.byteLength, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      peek.push(chunk.subarray(0, bytesRead));
      facts.uncompressedBytes = peek.contentSize ?? 0;
      if (peek.metadata !== undefined) return { ...facts, encoding: encodingOf(peek.metadata), ...dimsOf(peek.metadata) };
      if (peek.done) return facts;
    }
    return facts;
  } finally {
    await handle.close();
  }
}

async function inspectOrInvalid(path: string): Promise<FileFacts> {
  try {
    return await inspectFile(path);
  } catch (err) {
    // Stats describe the cache as it is: an unreadable or corrupt file is counted as
    // invalid (with its size if we can get it) rather than failing the whole report.
    const code = errnoCode(err);
    if (code === 'ENOENT') return { bytes: 0, uncompressedBytes: 0, encoding: 'invalid' };
    const size = await fsp.lstat(path).then(
      (s) => s.size,
      // Not even lstat works: the file is counted, its size is unknown.
      () => 0,
    );
    return { bytes: size, uncompressedBytes: 0, encoding: 'invalid' };
  }
}

/** Counts files and bytes under the embeddings root `dir` (a missing root is an empty cache). */
export async function cacheStats(dir: string): Promise<CacheStats> {
  const { files } = await scanCache(dir);
  const facts = await mapLimited(files, PARALLEL_FILES, (f) => inspectOrInvalid(f.path));
  const groups = new Map<string, CacheStatsGroup>();
  const totals = { files: 0, bytes: 0, uncompressedBytes: 0 };
  files.forEach((file, i) => {
    const fact = facts[i];
    if (fact === undefined) return;
    const id = `${file.modelDir}\0${fact.encoding}`;
    let group = groups.get(id);
    if (group === undefined) {
      group = { modelDir: file.modelDir, model: modelFromDirName(file.modelDir), encoding: fact.encoding, files: 0, bytes: 0, uncompressedBytes: 0 };
      groups.set(id, group);
    }
    group.files += 1;
    group.bytes += fact.bytes;
    group.uncompressedBytes += fact.uncompressedBytes;
    totals.files += 1;
    totals.bytes += fact.bytes;
    totals.uncompressedBytes += fact.uncompressedBytes;
  });
  const sorted = [...groups.values()].sort((a, b) =>
    a.modelDir < b.modelDir ? -1 : a.modelDir > b.modelDir ? 1 : a.encoding < b.encoding ? -1 : a.encoding > b.encoding ? 1 : 0,
  );
  return { groups: sorted, totals };
}

/**
 * The vector size the cache's files for `model` declare (the first file with a readable header),
 * undefined when it holds none: how a dry run sizes a model the table does not know without
 * asking its server.
 */
export async function cachedDims(dir: string, model: string): Promise<number | undefined> {
  const modelDir = modelDirName(model);
  const { files } = await scanCache(dir);
  for (const file of files.filter((f) => f.modelDir === modelDir).slice(0, 8)) {
    const { dims } = await inspectOrInvalid(file.path);
    if (dims !== undefined) return dims;
  }
  return undefined;
}
