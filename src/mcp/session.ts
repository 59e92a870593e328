/**
 * What the MCP server keeps between tool calls for one repository.
 *
 * - The repository is located once (its root does not move under a running server);
 *   `status` re-reads it on every call because it reports HEAD, which does.
 * - Settings are loaded on every call (two small files and the environment), so
 *   `gitctx config set search.limit 5` applies to the next call without a restart.
 *   So is the user's approval of an endpoint the repository's settings choose: a pulled
 *   change of endpoint, or `gitctx config untrust`, stops the next call before it sends.
 * - One Searcher is kept open and reused. Every call first reads `.gitctx/db/meta.json`
 *   (rewritten at the start and the end of each `gitctx index`) and the model settings;
 *   when either changed since the Searcher was opened, a new one is opened, and the old
 *   one is closed once the searches already running on it have finished.
 */
import { contextFor, indexLocationOf } from '../app/context.js';
import { openSearcher } from '../app/search.js';
import type { RepoContext } from '../app/context.js';
import { requireApprovedEndpoint } from '../config/index.js';
import { GitctxError, NoIndexError } from '../errors.js';
import { openRepository } from '../git/index.js';
import type { Repository } from '../git/index.js';
import type { Searcher } from '../search/search.js';
import { readStatus } from '../app/status.js';
import type { StatusReport } from '../app/status.js';
import { readIndexMeta } from '../store/meta.js';

interface OpenSearcher {
  /** meta.json and the settings the provider is built from, as one string. */
  key: string;
  searcher: Promise<Searcher>;
  /** Searches running on it now. */
  users: number;
  /** Replaced by a newer one (or the session closed): close when `users` drops to 0. */
  retired: boolean;
}

export class RepoSession {
  private repo: Promise<Repository> | undefined;
  private current: OpenSearcher | undefined;
  private closed = false;

  constructor(private readonly cwd: string) {}

  async status(): Promise<StatusReport> {
    const context = await contextFor(await openRepository(this.cwd));
    return readStatus(context.repo, context.workspace, await indexLocationOf(context));
  }

  /**
   * Runs `fn` with a Searcher that matches the index on disk and the current settings.
   * `gitctx index` prunes old table versions, so a Searcher opened before a run can
   * find its files gone before meta.json says anything changed: a failure that is not
   * a gitctx error drops that Searcher and the call is tried once more on a fresh one.
   */
  async withSearcher<T>(fn: (searcher: Searcher, context: RepoContext) => Promise<T>): Promise<T> {
    const used: { entry?: OpenSearcher } = {};
    try {
      return await this.attempt(fn, used);
    } catch (err) {
      if (err instanceof GitctxError || used.entry === undefined) throw err;
      if (this.current === used.entry) this.retire(used.entry);
      return this.attempt(fn, {});
    }
  }

  private async attempt<T>(
    fn: (searcher: Searcher, context: RepoContext) => Promise<T>,
    used: { entry?: OpenSearcher },
  ): Promise<T> {
    if (this.closed) throw new Error('the MCP session is closed');
    const context = await this.context();
    const meta = await readIndexMeta(await indexLocationOf(context));
    if (meta === undefined) throw new NoIndexError(`no index yet: run \`gitctx index\` in ${context.repo.root}`);
    const { model, api_keys } = context.resolved.settings;
    const key = JSON.stringify([meta, model, api_keys.openai ?? null]);

    let entry = this.current;
    if (entry === undefined || entry.key !== key) {
      if (entry !== undefined) this.retire(entry);
      entry = this.open(key, context);
    }
    used.entry = entry;
    entry.users += 1;
    try {
      return await fn(await entry.searcher, context);
    } finally {
      entry.users -= 1;
      if (entry.retired && entry.users === 0) closeSearcher(entry);
    }
  }

  /** Closes the open Searcher (after any running search); later calls fail. */
  close(): void {
    this.closed = true;
    if (this.current !== undefined) this.retire(this.current);
  }

  private repository(): Promise<Repository> {
    if (this.repo === undefined) {
      const opening = openRepository(this.cwd);
      this.repo = opening;
      // Not a repository now may be one later (`git init`): only success is remembered.
      opening.catch((err: unknown) => {
        if (this.repo === opening) this.repo = undefined;
        return err;
      });
    }
    return this.repo;
  }

  private async context(): Promise<RepoContext> {
    const context = await contextFor(await this.repository());
    await requireApprovedEndpoint(context.repo.root, context.resolved);
    return context;
  }

  private open(key: string, context: RepoContext): OpenSearcher {
    const searcher = openSearcher(context);
    const entry: OpenSearcher = { key, searcher, users: 0, retired: false };
    this.current = entry;
    // A failed open (no index, wrong model, no API key) is reported to the calls
    // awaiting it; forgetting it here lets the next call try again.
    searcher.catch((err: unknown) => {
      if (this.current === entry) this.current = undefined;
      return err;
    });
    return entry;
  }

  private retire(entry: OpenSearcher): void {
    if (this.current === entry) this.current = undefined;
    entry.retired = true;
    if (entry.users === 0) closeSearcher(entry);
  }
}

function closeSearcher(entry: OpenSearcher): void {
  entry.searcher.then(
    (searcher) => searcher.close(),
    // It never opened, so there is nothing to close; the caller that awaited it got the error.
    (err: unknown) => err,
  );
}
