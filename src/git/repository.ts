import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';

import { NotARepositoryError, fromFsError } from '../errors.js';
import { NoCommitsError, firstStderrLine } from './errors.js';
import { defaultGitRunner, runGit } from './runner.js';
import type { GitResult, GitRunner } from './runner.js';

export type ObjectFormat = 'sha1' | 'sha256';

/** Where a repository lives and what its HEAD is, read once and passed to everything else in src/git. */
export interface Repository {
  /** Absolute top of the work tree (of this linked worktree, when in one). */
  readonly root: string;
  /** Absolute git directory of this work tree (`.git/worktrees/<name>` in a linked worktree). */
  readonly gitDir: string;
  /** Absolute directory shared by all worktrees: objects, refs, config. */
  readonly commonDir: string;
  readonly objectFormat: ObjectFormat;
  /** Commit HEAD points at; null when the current branch has no commit yet. */
  readonly head: string | null;
  readonly isShallow: boolean;
  /** Short name of the checked-out branch; null on a detached HEAD. */
  readonly branch: string | null;
  /** Starts the git processes for this repository (wrapped by tests to count them). */
  readonly runner: GitRunner;
}

export interface OpenRepositoryOptions {
  runner?: GitRunner;
}

/**
 * Finds the repository containing `cwd`. Throws NotARepositoryError (exit 3) when
 * there is none, or only a bare repository or a `.git` directory without a work tree.
 */
export async function openRepository(cwd: string, options: OpenRepositoryOptions = {}): Promise<Repository> {
  const runner = options.runner ?? defaultGitRunner;
  const dir = resolve(cwd);
  await assertDirectory(dir);

  const { located, head, branch } = await locate(runner, dir);
  if (located.exitCode === 128) {
    const why = firstStderrLine(located.stderr);
    throw new NotARepositoryError(`not a git repository: ${dir}${why === '' ? '' : ` (${why})`}`);
  }
  const [root, gitDir, commonDir, objectFormat, shallow] = located.stdout.toString('utf8').split('\n');
  if (root === undefined || root === '' || gitDir === undefined || commonDir === undefined) {
    throw new NotARepositoryError(`not a git repository: ${dir} (no work tree)`);
  }
  if (objectFormat !== 'sha1' && objectFormat !== 'sha256') {
    throw new NotARepositoryError(`unsupported object format ${String(objectFormat)} in ${root}`);
  }

  return {
    root,
    gitDir,
    commonDir,
    objectFormat,
    head,
    isShallow: shallow === 'true',
    branch,
    runner,
  };
}

/** Where the repository is: root, git dir, common dir, object format, shallow, one a line. */
const LOCATION_ARGS = ['--path-format=absolute', '--show-toplevel', '--git-dir', '--git-common-dir', '--show-object-format', '--is-shallow-repository'];
/** The lines LOCATION_ARGS print (`--path-format` prints none). */
const LOCATION_LINES = 5;

/**
 * Where the repository is, HEAD's commit and branch. A search starts no other git process, so
 * each one here is a share of its start-up: one rev-parse answers all of it when HEAD has a
 * commit (the common case). Otherwise (no repository, or an unborn branch, where resolving HEAD
 * fails the whole call) the questions are asked apart, to tell the two cases apart.
 */
async function locate(runner: GitRunner, dir: string): Promise<{ located: GitResult; head: string | null; branch: string | null }> {
  // `--abbrev-ref=loose HEAD` is the branch as `symbolic-ref --short` names it, and `HEAD` when detached
  // (git refuses a branch of that name). The closing `--` keeps a file named like a revision from
  // making the arguments ambiguous; rev-parse echoes it as the last line.
  const all = await runGit(runner, dir, ['rev-parse', ...LOCATION_ARGS, 'HEAD^{commit}', '--abbrev-ref=loose', 'HEAD', '--'], { okExitCodes: [0, 128] });
  const lines = all.stdout.toString('utf8').split('\n');
  const [head, branch, dashes] = lines.slice(LOCATION_LINES);
  if (all.exitCode === 0 && dashes === '--' && head !== undefined && head !== '' && branch !== undefined && branch !== '') {
    return { located: all, head, branch: branch === 'HEAD' ? null : branch };
  }
  const [located, headResult, branchResult] = await Promise.all([
    // 128 is git's "cannot work here" status: no repository, no work tree, or an unsafe owner.
    runGit(runner, dir, ['rev-parse', ...LOCATION_ARGS], { okExitCodes: [0, 128] }),
    // Exit 1 with --quiet: HEAD is an unborn branch, the state of a repository with no commits
    // (128 outside a repository, which the first call reports).
    runGit(runner, dir, ['rev-parse', '--quiet', '--verify', 'HEAD^{commit}'], { okExitCodes: [0, 1, 128] }),
    // Exit 1 with --quiet: HEAD is detached.
    runGit(runner, dir, ['symbolic-ref', '--quiet', '--short', 'HEAD'], { okExitCodes: [0, 1, 128] }),
  ]);
  const text = (r: GitResult) => (r.exitCode === 0 ? r.stdout.toString('utf8').trim() : '');
  return { located, head: text(headResult) || null, branch: text(branchResult) || null };
}

/** HEAD's commit, or NoCommitsError for a repository with nothing committed yet. */
export function requireHead(repo: Repository): string {
  if (repo.head === null) throw new NoCommitsError();
  return repo.head;
}

async function assertDirectory(dir: string): Promise<void> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(dir)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new NotARepositoryError(`not a git repository: ${dir} (no such directory)`, { cause: err });
    }
    throw fromFsError(err, dir);
  }
  if (!isDirectory) throw new NotARepositoryError(`not a git repository: ${dir} (not a directory)`);
}
