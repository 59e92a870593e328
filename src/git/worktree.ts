import type { Stats } from 'node:fs';
import { lstat, readFile } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';

import { UsageError, fromFsError } from '../errors.js';
import { GitCommandError } from './errors.js';
import type { Repository } from './repository.js';
import { runGit, splitNul } from './runner.js';

/** An uncommitted file of the work tree. Only regular files carry a blob id. */
export type WorktreeFile =
  | { path: string; kind: 'blob'; blobSha: string; size: number; uncommitted: true }
  | { path: string; kind: 'symlink' | 'submodule'; blobSha: null; size: null; uncommitted: true };

export interface WorktreeChanges {
  /** Modified (staged or not) and untracked, not ignored, files that exist on disk. */
  files: WorktreeFile[];
  /** Tracked paths deleted from the work tree (staged or not): their HEAD rows are stale. */
  deleted: string[];
}

/**
 * The work tree's uncommitted files, each hashed as git would store it
 * (`hash-object` applies the same clean filters and eol conversion as `git add`),
 * so the embedding cache applies to them unchanged.
 *
 * `git status --porcelain -z` is used rather than `ls-files -m -o`: ls-files
 * compares with the index, so a change already staged with `git add` would be
 * missed. Status compares with HEAD, and works before the first commit.
 */
export async function listWorktreeChanges(repo: Repository): Promise<WorktreeChanges> {
  const { stdout } = await runGit(repo.runner, repo.root, [
    'status', '--porcelain=v1', '-z', '--untracked-files=all', '--no-renames', '--ignore-submodules=all',
  ]);
  const candidates = parseStatus(stdout);

  const stats = await Promise.all(candidates.map((path) => lstatOrNull(join(repo.root, path), path)));
  const files: WorktreeFile[] = [];
  const deleted: string[] = [];
  const toHash: Array<{ path: string; size: number }> = [];
  candidates.forEach((path, i) => {
    const info = stats[i];
    // Gone from disk: a tracked file the user deleted, which status lists as a change.
    if (info === null || info === undefined) deleted.push(path);
    else if (info.isSymbolicLink()) files.push({ path, kind: 'symlink', blobSha: null, size: null, uncommitted: true });
    // A directory here is a submodule or a nested repository, which git lists by its directory.
    else if (info.isDirectory()) files.push({ path, kind: 'submodule', blobSha: null, size: null, uncommitted: true });
    else if (info.isFile()) toHash.push({ path, size: info.size });
  });

  const shas = await hashFiles(repo, toHash.map((file) => file.path));
  toHash.forEach((file, i) => {
    const blobSha = shas[i];
    if (blobSha === undefined) throw new GitCommandError(['hash-object'], 0, null, `no hash for ${file.path}`);
    files.push({ path: file.path, kind: 'blob', blobSha, size: file.size, uncommitted: true });
  });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, deleted: deleted.sort() };
}

async function lstatOrNull(absolute: string, path: string): Promise<Stats | null> {
  try {
    return await lstat(absolute);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw fromFsError(err, path);
  }
}

/** Paths named by `git status --porcelain=v1 -z`, each once, with directories' trailing `/` removed. */
export function parseStatus(output: Buffer): string[] {
  const records = splitNul(output);
  const paths = new Set<string>();
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] ?? '';
    if (record.length < 4) continue;
    const xy = record.slice(0, 2);
    const path = record.slice(3);
    paths.add(path.endsWith('/') ? path.slice(0, -1) : path);
    // A rename or copy is followed by its source path, which is not a file of the work tree.
    if (xy.includes('R') || xy.includes('C')) i += 1;
  }
  return [...paths];
}

/**
 * Blob ids of work-tree files from one `git hash-object --stdin-paths`. That reads
 * one path per line, so every path is sent C-quoted (git unquotes lines that start
 * with `"`): names with newlines, carriage returns or a leading quote survive.
 */
export async function hashFiles(repo: Repository, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const input = paths.map((path) => `${cQuote(path)}\n`).join('');
  const { stdout } = await runGit(repo.runner, repo.root, ['hash-object', '--stdin-paths'], { input });
  const shas = stdout.toString('utf8').split('\n').filter((line) => line !== '');
  if (shas.length !== paths.length) {
    throw new GitCommandError(['hash-object'], 0, null, `asked for ${paths.length} hashes, got ${shas.length}`);
  }
  return shas;
}

/** Quotes a path the way git's unquote_c_style reads it back; other bytes pass as they are. */
export function cQuote(path: string): string {
  return `"${path.replace(/[\\"\n\r\t]/g, (c) => ESCAPES[c] ?? c)}"`;
}

const ESCAPES: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A work-tree file's bytes. Refuses paths that would leave the work tree, since
 * callers may pass paths that did not come from git.
 */
export async function readWorktreeFile(root: string, path: string): Promise<Buffer> {
  const normalized = normalize(path);
  if (isAbsolute(path) || normalized === '..' || normalized.startsWith(`..${sep}`)) {
    throw new UsageError(`path outside the work tree: ${path}`);
  }
  try {
    return await readFile(join(root, normalized));
  } catch (err) {
    throw fromFsError(err, path);
  }
}
