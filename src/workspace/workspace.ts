import { mkdir, readdir, readlink, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { errnoCode, fromFsError, UsageError } from '../errors.js';
import { printable } from '../printable.js';
import { writeFileAtomic } from './atomic-write.js';
import { lstatOrNull } from './remove.js';

export const GITCTX_DIR_NAME = '.gitctx';

/**
 * The ignore file gitctx writes into a new `.gitctx/`: the database is rebuilt from the
 * cache, and lock and temp files describe one machine's running process, never a commit.
 */
const GITIGNORE = `# Written by gitctx. The embeddings cache is meant to be committed; the database is rebuilt from it.
db/
*.tmp
index.lock
`;

/** Directories a hostile `.gitctx/db` could nest links in are walked at most this deep and wide. */
const MAX_DB_DEPTH = 8;
const MAX_DB_ENTRIES = 100_000;

/** A symbolic link (or a path through one) where gitctx keeps its own files: exit 2, never followed. */
export class WorkspaceLinkError extends UsageError {}

/** What a check of `.gitctx` found that a command can live with, each a warning to print. */
export interface WorkspaceCheck {
  /** `.gitctx` exists. */
  exists: boolean;
  /** `.gitctx/db` exists but is not a directory (a committed file): unusable, rebuilt by `gitctx index`. */
  dbNotDirectory: boolean;
}

/**
 * Owns `.gitctx/`: every path under it is spelled here once, and nothing is read,
 * written or removed there before `check()` has made sure that neither `.gitctx` nor
 * a directory gitctx uses under it is a symbolic link. The directory arrives through
 * `git clone`, so a committed link could otherwise lead a write or a recursive removal
 * into another project (DESIGN.md, Trust).
 */
export class Workspace {
  /** `<root>/.gitctx`. */
  readonly dir: string;
  readonly dbDir: string;
  readonly embeddingsDir: string;
  readonly configFile: string;
  readonly gitignoreFile: string;
  readonly lockFile: string;

  /** `root` is the repository's top directory as git prints it (a real path). */
  constructor(readonly root: string) {
    this.dir = join(root, GITCTX_DIR_NAME);
    this.dbDir = join(this.dir, 'db');
    this.embeddingsDir = join(this.dir, 'embeddings');
    this.configFile = join(this.dir, 'config.yml');
    this.gitignoreFile = join(this.dir, '.gitignore');
    this.lockFile = join(this.dir, 'index.lock');
  }

  /** A path under the repository relative to its root, `/`-separated, as git names it (`.gitctx/db`). */
  relative(path: string): string {
    return relative(this.root, path).split(sep).join('/');
  }

  /** `relative(path)`, safe to print. */
  display(path: string): string {
    return printable(this.relative(path));
  }

  /**
   * Checks `.gitctx` itself: absent, or a real directory whose real path is the one
   * under the repository's real root. Cheap (one lstat, one realpath); the settings
   * loader calls it before reading `.gitctx/config.yml`.
   */
  async checkTop(): Promise<boolean> {
    const top = await lstatOrNull(this.dir);
    if (top === null) return false;
    if (top.isSymbolicLink()) throw await this.linkError(this.dir);
    if (!top.isDirectory()) {
      throw new UsageError(`${this.display(this.dir)} is not a directory; gitctx keeps its settings, cache and index there: move it away and run again`);
    }
    const [real, realRoot] = await Promise.all([realpath(this.dir), realpath(this.root)]).catch((err: unknown) => {
      throw fromFsError(err, this.dir);
    });
    if (real !== join(realRoot, GITCTX_DIR_NAME)) {
      throw new WorkspaceLinkError(`${this.display(this.dir)} resolves to ${printable(real)}, outside the repository; gitctx never reads or writes there`);
    }
    return true;
  }

  /**
   * Checks every directory gitctx reads or writes under `.gitctx`: `db` and all below it
   * (LanceDB's own files), `embeddings`, its model directories and their fan-out
   * directories. A link anywhere there throws WorkspaceLinkError; a file where a directory
   * belongs is reported, for the command to warn about and work around.
   */
  async check(): Promise<WorkspaceCheck> {
    const result: WorkspaceCheck = { exists: false, dbNotDirectory: false };
    if (!(await this.checkTop())) return result;
    result.exists = true;
    const db = await lstatOrNull(this.dbDir);
    if (db?.isSymbolicLink()) throw await this.linkError(this.dbDir);
    if (db !== null && !db.isDirectory()) result.dbNotDirectory = true;
    else if (db !== null) await this.refuseLinksBelow(this.dbDir, MAX_DB_DEPTH, { entries: 0 });
    const embeddings = await lstatOrNull(this.embeddingsDir);
    if (embeddings?.isSymbolicLink()) throw await this.linkError(this.embeddingsDir);
    // Model directories and their fan-out directories; a link in place of a cache file, and a file where
    // a directory belongs, are the cache's to refuse (one warning, then misses).
    if (embeddings?.isDirectory()) await this.refuseLinksBelow(this.embeddingsDir, 2, { entries: 0 });
    return result;
  }

  /**
   * Makes `.gitctx/` (a real directory) with its `.gitignore`, so the database, locks and
   * temp files never land in a commit. A committed `.gitignore` is left as it is. The caller
   * has run `check()` (openContext does); this checks `.gitctx` itself again around the mkdir.
   */
  async ensure(): Promise<void> {
    if (!(await this.checkTop())) {
      try {
        await mkdir(this.dir);
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw fromFsError(err, this.dir);
      }
      await this.checkTop();
    }
    const existing = await lstatOrNull(this.gitignoreFile);
    if (existing !== null) return;
    await writeFileAtomic(this.gitignoreFile, GITIGNORE);
  }

  private async refuseLinksBelow(dir: string, depth: number, seen: { entries: number }): Promise<void> {
    if (depth === 0) return;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return;
      throw fromFsError(err, dir);
    }
    // By name, so the link named is the same on every run.
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      // More than any index of ours holds: unchecked entries could hide a link, so none is trusted.
      if (++seen.entries > MAX_DB_ENTRIES) {
        throw new UsageError(`${this.display(dir)} holds more than ${MAX_DB_ENTRIES} entries, too many to check for links: remove it (rm -r ${shellWord(this.display(dir))}) and run again`);
      }
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) throw await this.linkError(path);
      if (entry.isDirectory()) await this.refuseLinksBelow(path, depth - 1, seen);
    }
  }

  private async linkError(path: string): Promise<WorkspaceLinkError> {
    const target = await readlink(path).catch(() => undefined);
    const shown = this.display(path);
    return new WorkspaceLinkError(
      `${shown} is a symbolic link${target === undefined ? '' : ` (to ${printable(target)})`}; gitctx never reads or writes through one, ` +
        `since it could lead outside the repository: remove it (rm ${shellWord(shown)}) and run again`,
    );
  }
}

/** A path as one shell word, so the suggested command works when pasted. */
function shellWord(path: string): string {
  return /^[A-Za-z0-9._/@%+=:,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
