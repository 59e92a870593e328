/**
 * Where a hub model's files live under `$GITCTX_HOME/models`, and which names may be asked for.
 *
 *   models/<org>--<name>/refs/<revision>            the commit a branch or tag resolved to
 *   models/<org>--<name>/<commit>/<path>            a verified file, under its repository path
 *   models/<org>--<name>/<commit>/<path>.part       bytes downloaded so far (resumed by a later run)
 *   models/<org>--<name>/<commit>/<path>.lock       held by the one process downloading it
 *   models/<org>--<name>/verified/<commit>/<path>   what was verified: size and digest (JSON)
 *
 * The repository, revision and paths come from settings a cloned repository may commit, so each
 * is checked here before it becomes a path: nothing may climb out of the model's directory.
 */
import { join } from 'node:path';
import { UsageError } from '../../errors.js';

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;
const COMMIT = /^[0-9a-f]{40}$/;
const MAX_PATH_CHARS = 1024;
const MAX_REVISION_CHARS = 256;

/** True for a full 40-hex commit id, which needs no resolving. */
export function isCommit(revision: string): boolean {
  return COMMIT.test(revision);
}

/** `<org>/<name>` as the hub spells repositories; UsageError otherwise. */
export function checkRepo(repo: string): void {
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((p) => SEGMENT.test(p) && !p.includes('..'))) {
    throw new UsageError(`not a hub model name: ${JSON.stringify(repo.slice(0, 200))} (expected <org>/<name>)`);
  }
}

/** A branch, tag or commit: git's ref characters, no `..`, no leading or trailing slash. */
export function checkRevision(revision: string): void {
  const ok =
    revision.length > 0 &&
    revision.length <= MAX_REVISION_CHARS &&
    /^[A-Za-z0-9._/-]+$/.test(revision) &&
    !revision.includes('..') &&
    !revision.startsWith('/') &&
    !revision.endsWith('/');
  if (!ok) throw new UsageError(`not a hub revision: ${JSON.stringify(revision.slice(0, 200))}`);
}

/** A relative path inside the repository, `/`-separated, each segment a plain name. */
export function checkRepoPath(path: string): void {
  const segments = path.split('/');
  const ok =
    path.length > 0 &&
    path.length <= MAX_PATH_CHARS &&
    segments.every((s) => s !== '' && s !== '.' && s !== '..' && /^[A-Za-z0-9._@+-]+$/.test(s));
  if (!ok) throw new UsageError(`not a file path inside a hub repository: ${JSON.stringify(path.slice(0, 200))}`);
}

export interface ModelLayout {
  /** `models/<org>--<name>` */
  root: string;
  /** The file remembering what `revision` resolved to. */
  refFile(revision: string): string;
  /** The directory holding a commit's files under their repository paths. */
  snapshot(commit: string): string;
  file(commit: string, path: string): string;
  partFile(commit: string, path: string): string;
  lockFile(commit: string, path: string): string;
  /** The record that `path` at `commit` was verified, and against what. */
  markerFile(commit: string, path: string): string;
}

/** The layout for `repo` (checked) under `modelsDir`. */
export function modelLayout(modelsDir: string, repo: string): ModelLayout {
  checkRepo(repo);
  const root = join(modelsDir, repo.replace('/', '--'));
  const file = (commit: string, path: string) => join(root, commit, ...path.split('/'));
  return {
    root,
    // One file per revision, even for `refs/pr/1`: encoded, a slash cannot make directories.
    refFile: (revision) => join(root, 'refs', encodeURIComponent(revision)),
    snapshot: (commit) => join(root, commit),
    file,
    partFile: (commit, path) => `${file(commit, path)}.part`,
    lockFile: (commit, path) => `${file(commit, path)}.lock`,
    markerFile: (commit, path) => join(root, 'verified', commit, ...path.split('/')),
  };
}
