/**
 * git access for gitctx, through the git CLI and never a shell.
 *
 * Content is addressed by blob id from end to end, so this module's job is to say
 * which blobs exist (the HEAD tree, the history of some refs, the uncommitted work
 * tree hashed as git would store it), stream their bytes through one long-lived
 * `git cat-file --batch`, and attach commit metadata from one `git log` walk. Every
 * command runs with `-z` and `core.quotePath=false`, so any path git can store
 * survives; a Repository carries the GitRunner that starts the processes, which
 * tests wrap to count them.
 */
export { openRepository, requireHead } from './repository.js';
export type { ObjectFormat, OpenRepositoryOptions, Repository } from './repository.js';
export { defaultGitRunner } from './runner.js';
export type { GitRunner } from './runner.js';
export { kindOfMode, listTree } from './tree.js';
export type { EntryKind, TreeEntry } from './tree.js';
export { CatFileBlobReader, openBlobReader, readObjectSizes, readObjectTypes } from './blob-reader.js';
export type { BlobContent, BlobReaderStats, BlobSource, ReadManyOptions } from './blob-reader.js';
export { MemoryBlobSource } from './memory-blob-source.js';
export { streamBlobs } from './blob-stream.js';
export type { StreamedBlob, WantedBlob } from './blob-stream.js';
export { findReachable, lastCommits, listHistory, listStashCommits, resolveCommit } from './log.js';
export type { CommitInfo, HistoryBlob } from './log.js';
export { hashFiles, listWorktreeChanges, readWorktreeFile } from './worktree.js';
export type { WorktreeChanges, WorktreeFile } from './worktree.js';
export { listWorktrees, parseWorktreeList } from './worktrees.js';
export type { WorktreeInfo } from './worktrees.js';
export { readAttributes } from './attributes.js';
export { isTracked } from './tracked.js';
export type { LinguistAttributes } from './attributes.js';
export { GitCommandError, GitNotFoundError, MissingObjectError, NoCommitsError } from './errors.js';
