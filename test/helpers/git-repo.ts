/**
 * Real, throw-away git repositories for tests.
 *
 * Importing this module makes git hermetic for the whole test process (each vitest
 * file runs in its own fork): variables that would point git at another repository
 * (set when tests run from a git hook) are removed, the user's and the system's git
 * config are ignored, and repository discovery stops at the temp directory, so a
 * "not a repository" test cannot find a repository above it. Commits get a fixed
 * author and a clock that advances one minute per commit, so ids are the same on
 * every run.
 *
 *     const repo = makeRepo({ files: { 'a.ts': 'export {}\n' } });
 *     repo.write('b.ts', '...'); const sha = repo.commit('add b');
 *     repo.cleanup();
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { devNull, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const TEST_AUTHOR = { name: 'Test Author', email: 'test@example.com' } as const;
/** First commit's date; each further commit of a repository is one minute later. */
export const TEST_EPOCH_SECONDS = 1_704_067_200; // 2024-01-01T00:00:00Z

function makeGitHermetic(): void {
  for (const name of Object.keys(process.env)) {
    if (
      /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|PREFIX)$/.test(name) ||
      /^GIT_CONFIG(_PARAMETERS|_COUNT|_KEY_\d+|_VALUE_\d+)?$/.test(name)
    ) {
      delete process.env[name];
    }
  }
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.GIT_CONFIG_GLOBAL = devNull;
  process.env.GIT_CEILING_DIRECTORIES = realpathSync(tmpdir());
}
makeGitHermetic();

export interface GitOptions {
  input?: string | Uint8Array;
  /** Defaults to the repository's directory. */
  cwd?: string;
  /** Extra environment for this command only. */
  env?: Record<string, string>;
}

export interface TestRepo {
  /** Absolute, symlink-free path of the work tree (as `git rev-parse --show-toplevel` prints it). */
  readonly dir: string;
  /** Runs git synchronously and returns its stdout; throws with git's stderr on failure. */
  git(args: readonly string[], options?: GitOptions): string;
  /** Writes a file (creating directories); the path is relative to the work tree. */
  write(path: string, content: string | Uint8Array): void;
  rm(path: string): void;
  /** Stages everything (`git add -A`) and commits, even when nothing changed; returns the commit id. */
  commit(message: string, options?: { author?: string }): string;
  /** `git rev-parse HEAD`. */
  head(): string;
  /** Removes the directory; safe to call twice. */
  cleanup(): void;
}

export interface MakeRepoOptions {
  /** Files written before the first commit (path → content). */
  files?: Record<string, string | Uint8Array>;
  /** Commit the files as the first commit; default: when `files` is given. */
  commit?: boolean;
  /** Message of that first commit. */
  message?: string;
  objectFormat?: 'sha1' | 'sha256';
  /** Initial branch (default `main`). */
  branch?: string;
}

/** A temp directory under the OS temp dir, already resolved through symlinks (macOS /var → /private/var). */
export function makeTempDir(prefix = 'gitctx-test-'): { dir: string; cleanup(): void } {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function makeRepo(options: MakeRepoOptions = {}): TestRepo {
  const temp = makeTempDir('gitctx-repo-');
  const dir = join(temp.dir, 'repo');
  const init = ['init', '-q', '-b', options.branch ?? 'main'];
  if (options.objectFormat !== undefined) init.push(`--object-format=${options.objectFormat}`);
  runGitSync([...init, dir], { cwd: temp.dir });
  const repo = wrapRepo(dir, temp.cleanup);
  // Background gc would make timings and object counts vary between runs.
  repo.git(['config', 'gc.auto', '0']);
  for (const [path, content] of Object.entries(options.files ?? {})) repo.write(path, content);
  if (options.commit ?? options.files !== undefined) repo.commit(options.message ?? 'initial commit');
  return repo;
}

/** Clones a test repository through `file://` (so `--depth` really makes a shallow clone). */
export function cloneRepo(source: TestRepo, options: { depth?: number; args?: readonly string[] } = {}): TestRepo {
  const temp = makeTempDir('gitctx-clone-');
  const dir = join(temp.dir, 'clone');
  const args = ['clone', '-q', ...(options.args ?? [])];
  if (options.depth !== undefined) args.push('--depth', String(options.depth));
  runGitSync([...args, `file://${source.dir}`, dir], { cwd: temp.dir });
  return wrapRepo(dir, temp.cleanup);
}

/** A TestRepo over an existing work tree (a linked worktree, a clone made by hand). */
export function wrapRepo(dir: string, cleanup: () => void = () => rmSync(dir, { recursive: true, force: true })): TestRepo {
  let commits = 0;
  let cleaned = false;
  const git = (args: readonly string[], options: GitOptions = {}): string =>
    runGitSync(args, { ...options, cwd: options.cwd ?? dir });
  return {
    dir,
    git,
    write(path, content) {
      const target = join(dir, path);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    },
    rm(path) {
      rmSync(join(dir, path), { recursive: true, force: true });
    },
    commit(message, commitOptions = {}) {
      const date = `@${TEST_EPOCH_SECONDS + 60 * commits} +0000`;
      commits += 1;
      git(['add', '-A']);
      const env: Record<string, string> = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
      if (commitOptions.author !== undefined) env.GIT_AUTHOR_NAME = commitOptions.author;
      git(['commit', '-q', '--allow-empty', '--no-verify', '-m', message], { env });
      return git(['rev-parse', 'HEAD']).trim();
    },
    head() {
      return git(['rev-parse', 'HEAD']).trim();
    },
    cleanup() {
      if (cleaned) return;
      cleaned = true;
      cleanup();
    },
  };
}

function runGitSync(args: readonly string[], options: GitOptions & { cwd: string }): string {
  try {
    return execFileSync('git', args, {
      cwd: options.cwd,
      input: options.input,
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: TEST_AUTHOR.name,
        GIT_AUTHOR_EMAIL: TEST_AUTHOR.email,
        GIT_COMMITTER_NAME: TEST_AUTHOR.name,
        GIT_COMMITTER_EMAIL: TEST_AUTHOR.email,
        GIT_AUTHOR_DATE: `@${TEST_EPOCH_SECONDS} +0000`,
        GIT_COMMITTER_DATE: `@${TEST_EPOCH_SECONDS} +0000`,
        ...options.env,
      },
    });
  } catch (err) {
    // Some failures (merge conflicts) explain themselves on stdout.
    const { stderr, stdout } = err as { stderr?: unknown; stdout?: unknown };
    const detail = [stderr, stdout]
      .map((text) => (typeof text === 'string' ? text.trim() : ''))
      .filter((text) => text !== '')
      .join('\n') || String(err);
    throw new Error(`git ${args.join(' ')} failed: ${detail}`, { cause: err });
  }
}

/**
 * Pids of this process's live children (Linux /proc; empty elsewhere), so a test
 * can assert that no git process outlived the code that started it.
 */
export function childPids(): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const children: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch (err) {
      // The process ended between listing and reading.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ESRCH') continue;
      throw err;
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state, ppid, ...
    const [, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(ppid) === process.pid) children.push(Number(entry));
  }
  return children;
}
