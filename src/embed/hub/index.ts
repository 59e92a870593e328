/**
 * Model files from a Hugging Face hub (or a mirror that speaks its file API), downloaded on
 * first use into `$GITCTX_HOME/models` and verified before anything reads them.
 *
 * Contract shared by the ONNX provider (which asks for files) and the downloader (which
 * fetches them). Layout and trust: layout.ts; the hub's API: hub-api.ts; one file: download.ts.
 *
 * A revision is resolved once and remembered in `refs/<revision>`: later runs use that commit
 * without asking the hub, so they work offline and a branch that moves on the hub does not
 * silently change the model (the embedding cache is keyed by the commit). Deleting the model's
 * `refs/` directory makes the next run resolve the revision again.
 */
import { readFile } from 'node:fs/promises';
import { errnoCode, fromFsError, UsageError } from '../../errors.js';
import { displayUrl } from '../mask.js';
import { DEFAULT_RETRY_POLICY } from '../retry.js';
import type { RetryPolicy } from '../retry.js';
import { downloadFile, isVerified, writeRef } from './download.js';
import { filesInfo, resolveRevision } from './hub-api.js';
import { createHubClient } from './http.js';
import { checkRepoPath, checkRevision, isCommit, modelLayout } from './layout.js';
import type { ModelLayout } from './layout.js';

export { HUB_TOKEN_HELP } from './hub-api.js';
export { terminalProgress } from './progress.js';

/** The hub gitctx downloads from unless `model.hub_url` (or `HF_ENDPOINT`) names another. */
export const DEFAULT_HUB_URL = 'https://huggingface.co';

export interface ModelFilesRequest {
  /** Hub base URL, `https://huggingface.co` by default, or a mirror. */
  hubUrl: string;
  /** `<org>/<name>` on the hub. */
  repo: string;
  /** A branch, tag or 40-hex commit; resolved to a commit before anything is downloaded. */
  revision: string;
  /** Paths inside the repository, e.g. `onnx/model.onnx`, `tokenizer.json`. */
  files: readonly string[];
  /** `$GITCTX_HOME/models`. */
  modelsDir: string;
  /** Bytes done and total of the whole request, for a progress line on stderr. */
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
  /**
   * The user's hub token, sent as `Authorization: Bearer` to the hub's own origin and never to a
   * host it redirects to. Pass it only for a hub the user chose (config's `hubTokenMayBeSent`).
   */
  token?: string;
  /** Give up on one request after this long without a byte; default 60 s. */
  timeoutMs?: number;
  /** Retries of one request (5xx, 429, cut connections), resuming from the bytes on disk. */
  retry?: Partial<RetryPolicy>;
  /** Another process is downloading `file` into the same place; this one waits for it. */
  onWait?: (file: string) => void;
}

export interface ModelFiles {
  /** The directory holding every requested file under its repository path, verified. */
  dir: string;
  /** The 40-hex commit the revision resolved to (part of the cache's model name). */
  commit: string;
}

async function readRef(layout: ModelLayout, revision: string): Promise<string | undefined> {
  try {
    const text = (await readFile(layout.refFile(revision), 'utf8')).trim();
    return isCommit(text) ? text : undefined;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
    throw fromFsError(err, layout.refFile(revision));
  }
}

async function unverified(layout: ModelLayout, commit: string, files: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const file of files) if (!(await isVerified(layout, commit, file))) out.push(file);
  return out;
}

/**
 * Every requested file present and verified in a local directory, downloading what is missing.
 * Throws ProviderUnreachableError (exit 5, naming the URL) when the hub cannot be reached or a file
 * fails its checksum, AuthError (4) when the hub refuses (gated, private), UsageError (2) for a
 * missing model, revision or file, InterruptedError (130) on the signal; never returns a directory
 * with a partial or unverified file.
 */
export async function ensureModelFiles(request: ModelFilesRequest): Promise<ModelFiles> {
  try {
    return await ensureChecked(request);
  } catch (err) {
    throw fromFsError(err, request.modelsDir);
  }
}

function checkHubUrl(url: string): void {
  let parsed: URL | undefined;
  try {
    parsed = new URL(url.trim());
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
  }
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw new UsageError(`the model hub must be an http or https URL: ${JSON.stringify(displayUrl(url))}`);
  }
}

async function ensureChecked(request: ModelFilesRequest): Promise<ModelFiles> {
  const { repo, revision } = request;
  checkHubUrl(request.hubUrl);
  checkRevision(revision);
  const files = [...new Set(request.files)];
  if (files.length === 0) throw new UsageError(`no files asked of model ${repo}`);
  for (const file of files) checkRepoPath(file);
  const layout = modelLayout(request.modelsDir, repo);

  // Offline first: a revision resolved before, with every file verified, needs no hub.
  const pinned = isCommit(revision) ? revision : await readRef(layout, revision);
  if (pinned !== undefined && (await unverified(layout, pinned, files)).length === 0) {
    return { dir: layout.snapshot(pinned), commit: pinned };
  }

  const token = request.token !== undefined && request.token.trim() !== '' ? request.token.trim() : undefined;
  // Checked here, or fetch would reject the header as if the network had failed.
  if (token !== undefined && !/^[\x21-\x7e]+$/.test(token)) throw new UsageError('the hub token holds spaces or control characters: check HF_TOKEN or api_keys.huggingface');
  const hub = createHubClient({
    hubUrl: request.hubUrl,
    ...(token !== undefined ? { token } : {}),
    timeoutMs: request.timeoutMs ?? 60_000,
    retry: { ...DEFAULT_RETRY_POLICY, ...request.retry },
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const tokenSent = token !== undefined;
  let commit = pinned;
  if (commit === undefined) {
    commit = await resolveRevision(hub, repo, revision, tokenSent);
    // Remembered at once: a download stopped halfway resumes at this commit, whatever the branch does meanwhile.
    await writeRef(layout, revision, commit);
  }
  const missing = await unverified(layout, commit, files);
  if (missing.length > 0) {
    const expected = await filesInfo(hub, repo, commit, missing, tokenSent);
    const total = expected.reduce((sum, file) => sum + file.size, 0);
    const bytes = new Map<string, number>();
    let done = 0;
    for (const file of expected) {
      await downloadFile(
        {
          hub,
          repo,
          commit,
          layout,
          tokenSent,
          ...(request.signal ? { signal: request.signal } : {}),
          onBytes: (path, now) => {
            done += now - (bytes.get(path) ?? 0);
            bytes.set(path, now);
            request.onProgress?.(done, total, path);
          },
          ...(request.onWait ? { onWait: request.onWait } : {}),
        },
        file,
      );
    }
  }
  return { dir: layout.snapshot(commit), commit };
}
