import { join, resolve } from 'node:path';
// From the settings modules themselves, not config/index.js: that also loads the editing and
// template code (and a YAML parser) that no search needs.
import { requireApprovedEndpoint } from '../config/approvals.js';
import { hubTokenMayBeSent, keyMayBeSent } from '../config/endpoints.js';
import { loadSettings, userConfigDir } from '../config/load.js';
import type { ResolvedSettings } from '../config/resolve.js';
import { remoteIndexFor } from '../config/storage.js';
import { createProvider, terminalProgress } from '../embed/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import { isTracked, openRepository } from '../git/index.js';
import type { Repository } from '../git/index.js';
import { printable } from '../printable.js';
import type { IndexLocation, RemoteIndex } from '../store/location.js';
import type { HeldRemoteLock } from '../store/remote-lock.js';
import { acquireIndexLock, describeLockHolder, Workspace } from '../workspace/index.js';
import type { HeldLock, WorkspaceCheck } from '../workspace/index.js';

/** What most commands start from: the repository around the working directory and its settings. */
export interface RepoContext {
  repo: Repository;
  resolved: ResolvedSettings;
  workspace: Workspace;
  /** What `workspace.check()` found when the context was opened. */
  checked: WorkspaceCheck;
}

/**
 * Locates the repository, checks its `.gitctx/` (a symbolic link there is exit 2 before
 * anything is read through it) and loads the settings.
 */
export async function openContext(flags?: ReadonlyMap<string, unknown>, cwd = process.cwd()): Promise<RepoContext> {
  return contextFor(await openRepository(cwd), flags);
}

/** `openContext` for a repository already located (the MCP server locates it once). */
export async function contextFor(repo: Repository, flags?: ReadonlyMap<string, unknown>): Promise<RepoContext> {
  const workspace = new Workspace(repo.root);
  const checked = await workspace.check();
  const resolved = await loadSettings({ repoRoot: repo.root, ...(flags ? { flags } : {}) });
  return { repo, resolved, workspace, checked };
}

/**
 * The embedding provider the settings call for, once the user has approved any endpoint the
 * repository's own file chose (else EndpointNotApprovedError, before anything is sent). The
 * user's key goes only to OpenAI's API or an endpoint the user named.
 */
export async function providerFor(context: RepoContext, options: { dryRun?: { dims?: number } } = {}): Promise<EmbeddingProvider> {
  const { resolved } = context;
  await requireApprovedEndpoint(context.repo.root, resolved);
  const { model, api_keys } = resolved.settings;
  const sendKey = keyMayBeSent(resolved);
  return createProvider({
    embedding: model.embedding,
    ...(model.base_url !== undefined ? { baseUrl: model.base_url } : {}),
    ...(model.dimensions !== undefined ? { dimensions: model.dimensions } : {}),
    ...(api_keys.openai !== undefined && sendKey ? { apiKey: api_keys.openai } : {}),
    ...(api_keys.openai !== undefined && !sendKey ? { keyWithheld: true } : {}),
    ...(options.dryRun ? { dryRun: options.dryRun } : {}),
    ...(model.path !== undefined ? { modelPath: resolve(model.path) } : {}),
    modelsDir: join(userConfigDir(), 'models'),
    ...(model.hub_url !== undefined ? { hubUrl: model.hub_url } : {}),
    ...(api_keys.huggingface !== undefined && hubTokenMayBeSent(resolved) ? { hubToken: api_keys.huggingface } : {}),
    ...withDownloadProgress(model.embedding),
    maxRetries: model.max_retries,
    timeoutMs: model.timeout_ms,
  });
}

/** A progress line on stderr while model weights download, on a terminal only. */
function withDownloadProgress(embedding: string): { onModelDownload?: (done: number, total: number, file: string) => void } {
  const onModelDownload = terminalProgress(embedding);
  return onModelDownload ? { onModelDownload } : {};
}

/**
 * Takes the repository's index lock for a command that writes under `.gitctx/`. Unless
 * quiet, says on stderr at once who holds it and how to clear it when another holds it.
 * A lock file that is committed to the repository is nobody's: it is taken over with a
 * warning instead of waited for.
 */
export async function lockIndex(repo: Repository, options: { quiet?: boolean; signal?: AbortSignal } = {}): Promise<HeldLock> {
  const workspace = new Workspace(repo.root);
  const shown = workspace.display(workspace.lockFile);
  const say = (line: string) => {
    if (!options.quiet) process.stderr.write(`gitctx: ${line}\n`);
  };
  return acquireIndexLock(workspace.lockFile, {
    ...(options.signal ? { signal: options.signal } : {}),
    isCommitted: () => isTracked(repo, workspace.relative(workspace.lockFile)),
    onCommittedLock: (holder) =>
      say(
        `${shown} is committed to the repository (${describeLockHolder(holder)}), so it is no running gitctx; taking it over. ` +
          `Stop tracking it: git rm --cached ${shown}`,
      ),
    onWait: (holder, foreign) =>
      say(
        `waiting for ${shown}, held by ${describeLockHolder(holder)}` +
          (foreign ? ' (another machine: taken over if it is not refreshed for 2 minutes)' : '') +
          `; if no gitctx runs there, remove it: rm ${shown}`,
      ),
  });
}

/**
 * Where this repository's index lives: `.gitctx/db`, or the index on object storage that
 * `index.db_uri` names, once the user has approved it if the repository's file chose it
 * (else EndpointNotApprovedError, before any request is made).
 */
export async function indexLocationOf(context: RepoContext): Promise<IndexLocation> {
  // The user's storage credentials go only to the provider's endpoint or one the user named.
  const remote = remoteIndexFor(context.resolved);
  if (remote === undefined) return context.workspace.dbDir;
  await requireApprovedEndpoint(context.repo.root, context.resolved);
  return remote;
}

/**
 * Takes the writer lease of an index on object storage: IndexLockedError (exit 9) naming the
 * holder when another run writes it; a lease whose holder went silent is taken over, with a warning.
 */
export async function lockSharedIndex(location: RemoteIndex, options: { quiet?: boolean } = {}): Promise<HeldRemoteLock> {
  // Loaded here: the lease lives in LanceDB, which only writers of a shared index need.
  const { acquireRemoteLock } = await import('../store/remote-lock.js');
  return acquireRemoteLock(location, {
    onTakeover: (holder, silentMs) => {
      if (options.quiet) return;
      process.stderr.write(
        `gitctx: warning: taking over the writer lock of ${printable(location.uri)} from ${describeLockHolder(holder)}, ` +
          `silent for ${Math.round(silentMs / 60_000)} minutes (its run is taken to have died)\n`,
      );
    },
  });
}

