import { lastCommits, listHistory, listTree, listWorktreeChanges, readAttributes } from '../git/index.js';
import type { CommitInfo, EntryKind, LinguistAttributes, Repository } from '../git/index.js';
import type { FileFilter, SkipReason } from '../filter/index.js';
import { fileIdOf } from './plan.js';
import type { WantedFile } from './plan.js';

export interface CollectOptions {
  history: boolean;
  worktree: boolean;
  refs: readonly string[];
  filter: FileFilter;
}

export interface Collected {
  wanted: WantedFile[];
  /** Path-stage skips, by reason. */
  skipped: Map<SkipReason, string[]>;
  /** linguist attributes of every listed path, for the content stage too. */
  attributes: Map<string, LinguistAttributes>;
}

interface Candidate {
  path: string;
  blobSha: string | null;
  kind: EntryKind;
  size: number | null;
  isHead: boolean;
  uncommitted: boolean;
  commit: CommitInfo | null;
}

/**
 * The file versions this run should index, read from git: the HEAD tree, plus the
 * work tree's uncommitted files (`--worktree`) or every version reachable from
 * `index.refs` (`--history`), each passed through the path stage of the filter.
 */
export async function collectFiles(repo: Repository, options: CollectOptions): Promise<Collected> {
  const candidates = await listCandidates(repo, options);
  const attributes = await readAttributes(
    repo,
    candidates.map((c) => c.path),
  );
  const wanted: WantedFile[] = [];
  const skipped = new Map<SkipReason, string[]>();
  const needCommits: WantedFile[] = [];
  for (const candidate of candidates) {
    const decision = options.filter.decidePath(candidate, attributes.get(candidate.path));
    if (!decision.include) {
      const list = skipped.get(decision.reason) ?? [];
      list.push(candidate.path);
      skipped.set(decision.reason, list);
      continue;
    }
    if (candidate.blobSha === null) continue;
    const file: WantedFile = {
      fileId: fileIdOf(candidate.path, candidate.blobSha),
      path: candidate.path,
      blobSha: candidate.blobSha,
      size: candidate.size ?? 0,
      isHead: candidate.isHead,
      uncommitted: candidate.uncommitted,
      commit: candidate.commit,
    };
    wanted.push(file);
    if (file.commit === null && !file.uncommitted) needCommits.push(file);
  }
  if (needCommits.length > 0) {
    const commits = await lastCommits(
      repo,
      needCommits.map((f) => f.path),
    );
    for (const file of needCommits) file.commit = commits.get(file.path) ?? null;
  }
  return { wanted, skipped, attributes };
}

async function listCandidates(repo: Repository, options: CollectOptions): Promise<Candidate[]> {
  const head = new Map<string, Candidate>();
  if (repo.head !== null || !options.worktree) {
    for (const entry of await listTree(repo)) {
      head.set(entry.path, {
        path: entry.path,
        blobSha: entry.kind === 'submodule' ? null : entry.sha,
        kind: entry.kind,
        size: entry.size,
        isHead: true,
        uncommitted: false,
        commit: null,
      });
    }
  }
  if (options.worktree) {
    const changes = await listWorktreeChanges(repo);
    for (const path of changes.deleted) head.delete(path);
    for (const file of changes.files) {
      head.set(file.path, { ...file, isHead: true, commit: null });
    }
  }
  if (!options.history) return [...head.values()];

  // History: every version reachable from the refs, the HEAD ones flagged so search prefers them.
  const all: Candidate[] = [...head.values()];
  const seen = new Set([...head.values()].map((c) => `${c.path}\0${c.blobSha ?? ''}`));
  for (const blob of await listHistory(repo, options.refs)) {
    const key = `${blob.path}\0${blob.blobSha}`;
    const inHead = head.get(blob.path);
    if (inHead !== undefined && inHead.blobSha === blob.blobSha && !inHead.uncommitted) {
      inHead.commit = blob.commit;
      continue;
    }
    if (seen.has(key)) continue;
    seen.add(key);
    all.push({ path: blob.path, blobSha: blob.blobSha, kind: blob.kind, size: blob.size, isHead: false, uncommitted: false, commit: blob.commit });
  }
  return all;
}
