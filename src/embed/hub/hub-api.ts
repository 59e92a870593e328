/**
 * The hub's file API, as huggingface.co serves it and mirrors copy:
 *
 * - `GET {hub}/api/models/{repo}/revision/{revision}` → `{sha, siblings}`: a branch or tag to a commit.
 * - `POST {hub}/api/models/{repo}/paths-info/{commit}` with `{paths, expand}` → one entry per path
 *   that exists: `{type, path, size, oid, lfs?: {oid, size}}`, where `lfs.oid` is the content's
 *   sha256 and `oid`, for a file kept in git, its blob id.
 * - `HEAD {hub}/{repo}/resolve/{commit}/{path}`, for a mirror without paths-info: `X-Linked-Etag`
 *   (sha256) and `X-Linked-Size` for an LFS file, whose answer redirects to a CDN; `ETag` (the blob
 *   id) and `Content-Length` for a small one; `X-Repo-Commit` throughout.
 *
 * Everything read from the hub is checked before it is used: a commit is 40 hex, a size a whole
 * number, a digest the length its kind has.
 */
import { AuthError, ProviderUnreachableError, UsageError } from '../../errors.js';
import { printable } from '../../printable.js';
import { RetryableError, retryableStatus } from './http.js';
import type { HubClient } from './http.js';
import { isCommit } from './layout.js';
import { digestFromEtag, etagValue } from './verify.js';
import type { ExpectedFile } from './verify.js';

/** How to give gitctx a hub token; works as pasted with a real token. */
export const HUB_TOKEN_HELP = 'set HF_TOKEN or run `gitctx config set --user api_keys.huggingface hf_...`';

const MAX_JSON_BYTES = 64 * 1024 * 1024;

export function revisionUrl(hub: HubClient, repo: string, revision: string): string {
  return `${hub.base}/api/models/${repo}/revision/${encodeURIComponent(revision)}`;
}

export function resolveUrl(hub: HubClient, repo: string, commit: string, path: string): string {
  return `${hub.base}/${repo}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
}

/** The one-line error for a 401 or 403: the real hub answers 401 for a repository it will not admit exists. */
export function deniedError(hub: HubClient, status: number, what: string, tokenSent: boolean): AuthError {
  const why = tokenSent
    ? 'your token was refused: if the model is gated, accept its terms on the hub first'
    : `it is private, gated or does not exist; for a gated or private model, ${HUB_TOKEN_HELP}`;
  return new AuthError(printable(`${hub.show(hub.base)} refused ${what} (${status}): ${why}`));
}

/** The reply as JSON, read with a byte count: a hub (or a mirror a repository names) cannot make gitctx hold an unbounded body. */
async function readJson(response: Response, url: string, hub: HubClient): Promise<unknown> {
  const tooLarge = (bytes: number) => new ProviderUnreachableError(`${hub.show(url)} sent ${bytes} bytes where a short JSON reply was expected`);
  const length = Number(response.headers.get('content-length') ?? '0');
  if (length > MAX_JSON_BYTES) {
    await response.body?.cancel();
    throw tooLarge(length);
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > MAX_JSON_BYTES) {
        await reader.cancel();
        throw tooLarge(total);
      }
      chunks.push(value);
    }
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (err) {
    if (err instanceof SyntaxError) throw new RetryableError('the reply is not JSON');
    throw err;
  }
}

/** Throws what a 5xx/429 (retried) or a 401/403 (refused: a gated model or a bad token) means, its body discarded. */
async function refuseRetryableOrDenied(hub: HubClient, response: Response, what: string, tokenSent: boolean): Promise<void> {
  const retry = retryableStatus(response);
  if (retry !== undefined) {
    await response.body?.cancel();
    throw retry;
  }
  if (response.status === 401 || response.status === 403) {
    await response.body?.cancel();
    throw deniedError(hub, response.status, what, tokenSent);
  }
}

/** The commit `revision` of `repo` points at on the hub. */
export async function resolveRevision(hub: HubClient, repo: string, revision: string, tokenSent: boolean): Promise<string> {
  const url = revisionUrl(hub, repo, revision);
  const what = `model ${repo} at revision ${revision}`;
  return hub.withRetries(url, async (attempt) => {
    const { response } = await hub.send(url, { method: 'GET', headers: { accept: 'application/json' } }, attempt, false);
    await refuseRetryableOrDenied(hub, response, what, tokenSent);
    if (response.status === 404) {
      await response.body?.cancel();
      throw new UsageError(printable(`${hub.show(hub.base)} has no ${what}: check the model name and revision`));
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ProviderUnreachableError(`${hub.show(url)} answered ${response.status} to a revision lookup`);
    }
    const body = await readJson(response, url, hub);
    const sha = (body as { sha?: unknown } | null)?.sha;
    if (typeof sha !== 'string' || !isCommit(sha)) {
      throw new ProviderUnreachableError(`${hub.show(url)} did not answer with a commit id`);
    }
    return sha;
  });
}

interface PathInfoEntry {
  type?: unknown;
  path?: unknown;
  size?: unknown;
  oid?: unknown;
  lfs?: { oid?: unknown; sha256?: unknown; size?: unknown } | null;
}

const isSize = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** What one paths-info entry says the file must be, or undefined when it does not say enough. */
function expectedFromEntry(entry: PathInfoEntry, path: string): ExpectedFile | undefined {
  if (entry.lfs !== undefined && entry.lfs !== null) {
    const oid = entry.lfs.oid ?? entry.lfs.sha256;
    const size = entry.lfs.size ?? entry.size;
    const digest = typeof oid === 'string' ? digestFromEtag(oid.toLowerCase()) : undefined;
    if (digest?.kind !== 'sha256' || !isSize(size)) return undefined;
    return { path, size, digest };
  }
  const digest = typeof entry.oid === 'string' ? digestFromEtag(entry.oid.toLowerCase()) : undefined;
  if (digest?.kind !== 'git-blob' || !isSize(entry.size)) return undefined;
  return { path, size: entry.size, digest };
}

function missingFile(hub: HubClient, repo: string, commit: string, path: string): UsageError {
  return new UsageError(printable(`${hub.show(hub.base)} has no file ${path} in model ${repo} at commit ${commit}`));
}

/**
 * Size and digest of each of `paths` at `commit`: from paths-info, or from a HEAD of each file
 * where the hub has no paths-info (404, 405, 501 from a mirror that serves only files).
 */
export async function filesInfo(hub: HubClient, repo: string, commit: string, paths: readonly string[], tokenSent: boolean): Promise<ExpectedFile[]> {
  const url = `${hub.base}/api/models/${repo}/paths-info/${commit}`;
  const entries = await hub.withRetries(url, async (attempt) => {
    const { response } = await hub.send(
      url,
      { method: 'POST', headers: { accept: 'application/json', 'content-type': 'application/json' }, body: JSON.stringify({ paths, expand: false }) },
      attempt,
      false,
    );
    await refuseRetryableOrDenied(hub, response, `the files of model ${repo}`, tokenSent);
    if (response.status === 404 || response.status === 405 || response.status === 501) {
      await response.body?.cancel();
      return undefined;
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ProviderUnreachableError(`${hub.show(url)} answered ${response.status} to a file listing`);
    }
    const body = await readJson(response, url, hub);
    if (!Array.isArray(body)) throw new ProviderUnreachableError(`${hub.show(url)} did not answer with a list of files`);
    return body as PathInfoEntry[];
  });
  if (entries === undefined) {
    const out: ExpectedFile[] = [];
    for (const path of paths) out.push(await headInfo(hub, repo, commit, path, tokenSent));
    return out;
  }
  return paths.map((path) => {
    const entry = entries.find((e) => e !== null && typeof e === 'object' && e.path === path && e.type === 'file');
    if (entry === undefined) throw missingFile(hub, repo, commit, path);
    const expected = expectedFromEntry(entry, path);
    if (expected === undefined) {
      throw new ProviderUnreachableError(printable(`${hub.show(url)} gave no size and checksum for ${path}, so it cannot be verified`));
    }
    return expected;
  });
}

/** Size and digest of one file from the headers of its resolve URL, not following a redirect to a CDN. */
export async function headInfo(hub: HubClient, repo: string, commit: string, path: string, tokenSent: boolean): Promise<ExpectedFile> {
  const url = resolveUrl(hub, repo, commit, path);
  return hub.withRetries(url, async (attempt) => {
    const { response } = await hub.send(url, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } }, attempt, false);
    await response.body?.cancel();
    const retry = retryableStatus(response);
    if (retry !== undefined) throw retry;
    if (response.status === 401 || response.status === 403) throw deniedError(hub, response.status, `${path} of model ${repo}`, tokenSent);
    if (response.status === 404) throw missingFile(hub, repo, commit, path);
    if (response.status >= 400) throw new ProviderUnreachableError(`${hub.show(url)} answered ${response.status}`);
    const headers = response.headers;
    const servedCommit = headers.get('x-repo-commit');
    if (servedCommit !== null && servedCommit !== commit) {
      throw new ProviderUnreachableError(`${hub.show(url)} served commit ${printable(servedCommit.slice(0, 64))} instead of ${commit}`);
    }
    const digest = digestFromEtag(etagValue(headers.get('x-linked-etag') ?? headers.get('etag')));
    const size = Number(headers.get('x-linked-size') ?? headers.get('content-length') ?? Number.NaN);
    if (digest === undefined || !isSize(size)) {
      throw new ProviderUnreachableError(printable(`${hub.show(url)} gave no size and checksum for ${path}, so it cannot be verified`));
    }
    return { path, size, digest };
  });
}
