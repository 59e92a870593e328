import { UsageError } from '../errors.js';
import { readObjectSizes } from './blob-reader.js';
import { GitCommandError, NoCommitsError } from './errors.js';
import { requireHead } from './repository.js';
import type { Repository } from './repository.js';
import { NulSplitter, runGit, streamGit } from './runner.js';
import { kindOfMode } from './tree.js';
import type { EntryKind } from './tree.js';

/** The commit shown beside a search result: the JSON `commit` object of DESIGN.md. */
export interface CommitInfo {
  sha: string;
  author: string;
  /** Author date, strict ISO 8601 with the author's offset. */
  date: string;
  /** Subject line (the first paragraph, joined onto one line by git). */
  message: string;
}

/** A file's content at some point of history, with the commit that first brought it there. */
export interface HistoryBlob {
  path: string;
  blobSha: string;
  mode: string;
  kind: EntryKind;
  /** Null for submodules, which have no object here, and for objects missing from a partial clone. */
  size: number | null;
  commit: CommitInfo;
}

/** One line of `--raw` output: how one path changed in one commit. */
export interface RawChange {
  srcMode: string;
  dstMode: string;
  srcSha: string;
  dstSha: string;
  /** A (added), M (modified), D (deleted), T (type changed). */
  status: string;
  path: string;
}

/**
 * `%x01` opens each commit so it can be told from a diff record; NULs separate the
 * fields, so names and subjects may hold any other character.
 */
const LOG_FORMAT = '--format=%x01%H%x00%an%x00%aI%x00%s';
const COMMIT_FIELDS = 3;

/**
 * Parses `git log -z --raw --no-renames` output incrementally: NUL-separated
 * records, where a commit is its marker record plus author, date and subject, and
 * each change is a `:modes shas status` record followed by the path.
 */
export class LogParser {
  private readonly splitter = new NulSplitter();
  private commit: CommitInfo | null = null;
  private fields: string[] | null = null;
  private change: Omit<RawChange, 'path'> | null = null;

  constructor(
    private readonly onChange: (change: RawChange, commit: CommitInfo) => void,
    private readonly args: readonly string[] = ['log'],
  ) {}

  push(chunk: Buffer): void {
    for (const record of this.splitter.push(chunk)) this.record(record);
  }

  end(): void {
    const tail = this.splitter.end();
    if (tail !== null && tail.trim() !== '') this.record(tail);
    if (this.change !== null || this.fields !== null) throw this.malformed('output ended inside a record');
  }

  private record(record: string): void {
    if (this.change !== null) {
      const change = { ...this.change, path: record };
      this.change = null;
      if (this.commit === null) throw this.malformed('change before any commit');
      this.onChange(change, this.commit);
      return;
    }
    if (this.fields !== null) {
      this.fields.push(record);
      if (this.fields.length === COMMIT_FIELDS + 1) {
        const [sha = '', author = '', date = '', message = ''] = this.fields;
        this.commit = { sha, author, date, message };
        this.fields = null;
      }
      return;
    }
    // Git separates the header from the diff with a newline, which lands at the start of the next record.
    const text = record.startsWith('\n') ? record.slice(1) : record;
    if (text === '') return;
    if (text.startsWith('\x01')) {
      this.fields = [text.slice(1)];
      return;
    }
    if (text.startsWith(':')) {
      this.change = parseRawHeader(text, this.args);
      return;
    }
    throw this.malformed(`unexpected record ${JSON.stringify(text.slice(0, 100))}`);
  }

  private malformed(detail: string): GitCommandError {
    return new GitCommandError(this.args, 0, null, `unexpected git log output: ${detail}`);
  }
}

function parseRawHeader(text: string, args: readonly string[]): Omit<RawChange, 'path'> {
  const [srcMode, dstMode, srcSha, dstSha, status] = text.slice(1).split(' ');
  if (srcMode === undefined || dstMode === undefined || srcSha === undefined || dstSha === undefined || status === undefined) {
    throw new GitCommandError(args, 0, null, `unexpected git log output: ${JSON.stringify(text)}`);
  }
  return { srcMode, dstMode, srcSha, dstSha, status };
}

/**
 * The last commit that changed each of `paths`, from ONE `git log` walk from HEAD
 * (or `rev`), newest first, stopped as soon as every path is found. A path changed
 * only by a merge's own resolution is credited to the commit that changed it on a
 * merged branch, as `git log -- <path>` would show; in a shallow clone, paths older
 * than the boundary get the boundary commit. Paths never found are absent.
 */
export async function lastCommits(
  repo: Repository,
  paths: Iterable<string>,
  options: { rev?: string } = {},
): Promise<Map<string, CommitInfo>> {
  const rev = options.rev ?? requireHead(repo);
  const wanted = new Set(paths);
  const found = new Map<string, CommitInfo>();
  if (wanted.size === 0) return found;
  const args = [
    'log', '-z', '--raw', '--no-abbrev', '--no-renames', '--root', '--diff-merges=off',
    LOG_FORMAT, '--end-of-options', rev, '--',
  ];
  const parser = new LogParser((change, commit) => {
    if (change.status !== 'D' && wanted.has(change.path) && !found.has(change.path)) found.set(change.path, commit);
  }, args);
  for await (const chunk of streamGit(repo.runner, repo.root, args)) {
    parser.push(chunk);
    // Leaving the loop kills git: older history cannot change the answer.
    if (found.size === wanted.size) return found;
  }
  parser.end();
  return found;
}

/**
 * Every (path, blob) reachable from `refs`, each with the commit that first
 * introduced it, from one `git log --topo-order --reverse` walk (parents before
 * children). Merges are diffed against their first parent, so content created while
 * resolving a merge is found too. Sizes come from one `cat-file --batch-check`.
 */
export async function listHistory(repo: Repository, refs: readonly string[] = ['HEAD']): Promise<HistoryBlob[]> {
  if (refs.length === 0) throw new UsageError('no refs to index history from');
  const commits = await Promise.all(refs.map((ref) => resolveCommit(repo, ref)));
  const args = [
    'log', '-z', '--raw', '--no-abbrev', '--no-renames', '--root', '--diff-merges=first-parent',
    '--topo-order', '--reverse', LOG_FORMAT, '--end-of-options', ...new Set(commits), '--',
  ];
  const seen = new Set<string>();
  const blobs: HistoryBlob[] = [];
  const parser = new LogParser((change, commit) => {
    if (change.status === 'D' || /^0+$/.test(change.dstSha)) return;
    const key = `${change.path}\0${change.dstSha}`;
    if (seen.has(key)) return;
    seen.add(key);
    const kind = kindOfMode(change.dstMode);
    blobs.push({ path: change.path, blobSha: change.dstSha, mode: change.dstMode, kind, size: null, commit });
  }, args);
  for await (const chunk of streamGit(repo.runner, repo.root, args)) parser.push(chunk);
  parser.end();

  const sizes = await readObjectSizes(
    repo,
    blobs.filter((blob) => blob.kind !== 'submodule').map((blob) => blob.blobSha),
  );
  for (const blob of blobs) blob.size = sizes.get(blob.blobSha) ?? null;
  return blobs;
}

/** The commit a ref names; UsageError for one that names none. */
export async function resolveCommit(repo: Repository, ref: string): Promise<string> {
  if (ref === 'HEAD' && repo.head === null) throw new NoCommitsError();
  const result = await runGit(
    repo.runner,
    repo.root,
    ['rev-parse', '--quiet', '--verify', '--end-of-options', `${ref}^{commit}`],
    { okExitCodes: [0, 1] },
  );
  const sha = result.stdout.toString('utf8').trim();
  if (result.exitCode !== 0 || sha === '') throw new UsageError(`unknown ref: ${ref} (no commit by that name)`);
  return sha;
}

/**
 * The commit of every stash entry, newest first: refs/stash and its whole reflog
 * (`stash@{0}`, `stash@{1}`, ...), since each entry is work set aside, not only the
 * newest. A stash commit's parents hold the index and the untracked files of that
 * entry, so walking its history reaches them too. Empty when nothing is stashed.
 */
export async function listStashCommits(repo: Repository): Promise<string[]> {
  const tip = await runGit(repo.runner, repo.root, ['rev-parse', '--quiet', '--verify', 'refs/stash^{commit}'], { okExitCodes: [0, 1] });
  const newest = tip.stdout.toString('utf8').trim();
  if (tip.exitCode !== 0 || newest === '') return [];
  const { stdout } = await runGit(repo.runner, repo.root, ['log', '--walk-reflogs', '--format=%H', 'refs/stash', '--']);
  const entries = stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => /^[0-9a-f]{40,64}$/.test(line));
  return [...new Set([newest, ...entries])];
}

/**
 * Which of `candidates` (object ids) are reachable from `commits`: their whole history,
 * trees and blobs included. Streams `rev-list --objects` and keeps only the candidates,
 * so memory follows the candidates rather than the history. `--missing=print` lists
 * objects a partial clone never fetched (as `?<id>`) instead of failing or fetching
 * them: they are reachable all the same.
 */
export async function findReachable(repo: Repository, commits: readonly string[], candidates: ReadonlySet<string>): Promise<Set<string>> {
  const found = new Set<string>();
  const args = ['rev-list', '--objects', '--no-object-names', '--missing=print', '--end-of-options', ...commits];
  let rest = '';
  const take = (line: string) => {
    const sha = line.startsWith('?') ? line.slice(1) : line;
    if (candidates.has(sha)) found.add(sha);
  };
  for await (const chunk of streamGit(repo.runner, repo.root, args)) {
    const lines = (rest + chunk.toString('latin1')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) take(line);
  }
  if (rest !== '') take(rest);
  return found;
}
