/**
 * Walks the cache directory tree without trusting it: files laid out as cache files,
 * and everything else (temporary files, strays, symbolic links, misplaced names) with
 * the reason it is not one. Shared by stats, verify and prune.
 */
import type { Dirent } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { errnoCode, fromFsError } from '../errors.js';
import { CACHE_FILE_SUFFIX, isBlobSha, modelFromDirName } from '../cache/index.js';

/** A file laid out as a cache file: `<model-dir>/<sha[0:2]>/<sha>.safetensors.zst`. */
export interface ScannedCacheFile {
  path: string;
  modelDir: string;
  /** The model the directory stands for; undefined when `modelDirName` would never make that name. */
  model: string | undefined;
  sha: string;
}

/** Anything else found under the cache root. */
export interface ScannedOther {
  path: string;
  /**
   * `temporary`: an `EmbeddingCache` temp file (`<sha>.safetensors.zst.<pid>-<n>-<hex>.tmp`) left by an interrupted write.
   * `invalid`: named or placed as no cache file is (a symbolic link, a bad sha, a wrong fan-out directory).
   * `stray`: not the cache's at all (a README, an editor's backup); gitctx ignores it.
   */
  kind: 'temporary' | 'invalid' | 'stray';
  reason: string;
}

export interface CacheScan {
  files: ScannedCacheFile[];
  others: ScannedOther[];
}

const FAN_OUT_DIR = /^[0-9a-f]{2}$/;
const TEMP_FILE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})\.safetensors\.zst\.\d+-\d+-[0-9a-f]+\.tmp$/;

async function listDir(path: string): Promise<Dirent[]> {
  try {
    return await fsp.readdir(path, { withFileTypes: true });
  } catch (err) {
    // A cache never written holds nothing; so does a directory that vanished while we walked.
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw fromFsError(err, `listing ${path}`);
  }
}

const byName = (a: Dirent, b: Dirent) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/**
 * Everything under the cache root `dir`, sorted into cache files and the rest.
 * Dirents report the entry itself (lstat), so a symbolic link is never taken for
 * the directory or file it points at, and never descended into.
 */
export async function scanCache(dir: string): Promise<CacheScan> {
  const files: ScannedCacheFile[] = [];
  const others: ScannedOther[] = [];
  const other = (path: string, kind: ScannedOther['kind'], reason: string) => others.push({ path, kind, reason });
  for (const model of (await listDir(dir)).sort(byName)) {
    const modelPath = join(dir, model.name);
    if (model.isSymbolicLink()) {
      other(modelPath, 'invalid', 'symbolic link where a model directory belongs (never followed)');
      continue;
    }
    if (!model.isDirectory()) {
      other(modelPath, 'stray', 'not a model directory');
      continue;
    }
    const modelName = modelFromDirName(model.name);
    for (const fan of (await listDir(modelPath)).sort(byName)) {
      const fanPath = join(modelPath, fan.name);
      if (fan.isSymbolicLink()) {
        other(fanPath, 'invalid', 'symbolic link where a fan-out directory belongs (never followed)');
        continue;
      }
      if (!fan.isDirectory() || !FAN_OUT_DIR.test(fan.name)) {
        other(fanPath, 'stray', 'not a fan-out directory (two hex digits)');
        continue;
      }
      for (const file of (await listDir(fanPath)).sort(byName)) {
        const path = join(fanPath, file.name);
        if (TEMP_FILE.test(file.name) && file.isFile()) {
          other(path, 'temporary', 'temporary file left by an interrupted write');
          continue;
        }
        if (!file.name.endsWith(CACHE_FILE_SUFFIX)) {
          other(path, 'stray', 'not a cache file');
          continue;
        }
        const sha = file.name.slice(0, -CACHE_FILE_SUFFIX.length);
        if (file.isSymbolicLink()) other(path, 'invalid', 'symbolic link (never followed)');
        else if (!file.isFile()) other(path, 'invalid', 'not a regular file');
        else if (!isBlobSha(sha)) other(path, 'invalid', 'name is not a blob id (40 or 64 lowercase hex digits)');
        else if (!sha.startsWith(fan.name)) other(path, 'invalid', `in fan-out directory ${fan.name}, not ${sha.slice(0, 2)} (never read)`);
        else files.push({ path, modelDir: model.name, model: modelName, sha });
      }
    }
  }
  return { files, others };
}
