import { GitCommandError } from './errors.js';
import { requireHead } from './repository.js';
import type { Repository } from './repository.js';
import { NulSplitter, streamGit } from './runner.js';

/**
 * What a tree entry is, from its mode: a file (100644, 100755), a symbolic link
 * (120000) or a submodule commit (160000, a "gitlink", whose id is not in this
 * repository's object database).
 */
export type EntryKind = 'blob' | 'symlink' | 'submodule';

export interface TreeEntry {
  /** Repository-relative, `/`-separated, exactly as stored (spaces, newlines, any Unicode). */
  path: string;
  /** Octal mode as git prints it, e.g. `100644`. */
  mode: string;
  kind: EntryKind;
  /** Object id: the blob's, or for a submodule the commit it pins. */
  sha: string;
  /** Blob size in bytes; null for submodules, which have none here. */
  size: number | null;
}

export function kindOfMode(mode: string): EntryKind {
  if (mode === '120000') return 'symlink';
  if (mode === '160000') return 'submodule';
  return 'blob';
}

/**
 * Every entry of a tree, recursively, with blob sizes (`git ls-tree -r -z -l`).
 * Sizes come from the object headers, so a caller can skip oversized blobs before
 * reading them. Defaults to HEAD; a repository without commits gets NoCommitsError.
 */
export async function listTree(repo: Repository, treeish: string = requireHead(repo)): Promise<TreeEntry[]> {
  const args = ['ls-tree', '-r', '-z', '-l', '--full-tree', '--end-of-options', treeish];
  const entries: TreeEntry[] = [];
  const splitter = new NulSplitter();
  for await (const chunk of streamGit(repo.runner, repo.root, args)) {
    for (const record of splitter.push(chunk)) entries.push(parseLsTreeRecord(record, args));
  }
  const tail = splitter.end();
  if (tail !== null) entries.push(parseLsTreeRecord(tail, args));
  return entries;
}

/** Parses one `-z -l` record: `<mode> SP <type> SP <sha> SP+ <size|-> TAB <path>`. */
export function parseLsTreeRecord(record: string, args: readonly string[] = ['ls-tree']): TreeEntry {
  const tab = record.indexOf('\t');
  const fields = tab === -1 ? [] : record.slice(0, tab).split(' ').filter((f) => f !== '');
  const [mode, , sha, sizeText] = fields;
  if (mode === undefined || sha === undefined || sizeText === undefined) {
    throw new GitCommandError(args, 0, null, `unexpected ls-tree output: ${JSON.stringify(record.slice(0, 200))}`);
  }
  const kind = kindOfMode(mode);
  const size = sizeText === '-' ? null : Number(sizeText);
  return { path: record.slice(tab + 1), mode, kind, sha, size: kind === 'submodule' ? null : size };
}
