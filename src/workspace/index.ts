/**
 * The workspace: gitctx's own directory in a repository, `.gitctx/`.
 *
 * Everything gitctx keeps per repository lives there (settings, the committed embedding
 * cache, the local database, the lock), and all of it arrives through `git clone` from
 * someone else. This module spells each path once, refuses symbolic links before any read,
 * write or removal, and owns the one atomic write, the lock and the safe removal the rest
 * of the program uses.
 */
export { Workspace, WorkspaceLinkError, GITCTX_DIR_NAME } from './workspace.js';
export type { WorkspaceCheck } from './workspace.js';
export { writeFileAtomic } from './atomic-write.js';
export type { AtomicWriteOptions } from './atomic-write.js';
export { lstatOrNull, measureTree, removeTree } from './remove.js';
export type { TreeSize } from './remove.js';
export { acquireIndexLock, describeLockHolder, LockTimeoutError } from './lock.js';
export type { HeldLock, LockHolder, LockOptions } from './lock.js';
