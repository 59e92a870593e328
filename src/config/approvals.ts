/**
 * The user's approvals of repositories' endpoints: `$GITCTX_HOME/trusted.json`, one record per
 * repository (its real root path) holding the hash of the endpoint settings that were approved.
 * Like direnv's `allow` and mise's `trust`, the record lives with the user, never in the
 * repository, and binds to content: a repository that changes its endpoint is asked about again.
 *
 * The file is private like the user settings file (mode 0600, refused when others can read or
 * write it: whoever can write it can approve endpoints in the user's name) and replaced atomically.
 */
import { realpath } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { UsageError } from '../errors.js';
import { readBounded } from '../fs-read.js';
import { approvalRequest, describeRequest } from './endpoints.js';
import type { EndpointRequest } from './endpoints.js';
import { writeSettingsText } from './files.js';
import { assertPrivate, userConfigDir } from './load.js';
import type { ResolvedSettings } from './resolve.js';

export const APPROVALS_FILE = 'trusted.json';
const FORMAT_VERSION = 1;
const MAX_FILE_BYTES = 4 * 1024 * 1024;

export interface Approval {
  /** The repository's real root path. */
  root: string;
  /** EndpointRequest.hash of what was approved. */
  hash: string;
  /** Where it sends data and to which model, as shown when approved. */
  endpoint: string;
  model: string;
  /** Where the index lives, when the approval covers an index on object storage. */
  index?: string;
  approved_at: string;
}

/** Index, search or mcp met a repository endpoint the user has not approved (exit 2). */
export class EndpointNotApprovedError extends UsageError {}

export function approvalsPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDir(env), APPROVALS_FILE);
}

function isApproval(x: unknown): x is Approval {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  return ['root', 'hash', 'endpoint', 'model', 'approved_at'].every((k) => typeof r[k] === 'string') && (r.index === undefined || typeof r.index === 'string');
}

/** Every approval, sorted by root; none when the file does not exist. */
export async function readApprovals(path: string): Promise<Approval[]> {
  const read = await readBounded(path, MAX_FILE_BYTES, { followLinks: true });
  if (read.kind === 'absent') return [];
  const broken = (why: string) => new UsageError(`${path}: ${why}; fix it, or delete it to withdraw every approval`);
  if (read.kind === 'unusable') throw broken(`cannot be read (${read.reason})`);
  await assertPrivate(path);
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder().decode(read.bytes));
  } catch (err) {
    if (err instanceof SyntaxError) throw broken('not valid JSON');
    throw err;
  }
  const approvals = (doc as { approvals?: unknown } | null)?.approvals;
  if ((doc as { version?: unknown } | null)?.version !== FORMAT_VERSION || !Array.isArray(approvals) || !approvals.every(isApproval)) {
    throw broken(`not a version ${FORMAT_VERSION} approvals file`);
  }
  return approvals;
}

async function writeApprovals(path: string, approvals: readonly Approval[]): Promise<void> {
  const sorted = [...approvals].sort((a, b) => (a.root < b.root ? -1 : a.root > b.root ? 1 : 0));
  await writeSettingsText(path, `${JSON.stringify({ version: FORMAT_VERSION, approvals: sorted }, null, 2)}\n`, 'user');
}

/** The path approvals are keyed by: the same repository reached through a link is the same record. */
export async function canonicalRoot(root: string): Promise<string> {
  return realpath(root);
}

/** Records (or replaces) the approval of `request` for the repository at `root`. */
export async function approve(root: string, request: EndpointRequest, env: NodeJS.ProcessEnv = process.env): Promise<Approval> {
  const path = approvalsPath(env);
  const key = await canonicalRoot(root);
  const approval: Approval = {
    root: key,
    hash: request.hash,
    endpoint: request.endpoint,
    model: request.model,
    ...(request.index !== undefined ? { index: request.index } : {}),
    approved_at: new Date().toISOString(),
  };
  const others = (await readApprovals(path)).filter((a) => a.root !== key);
  await writeApprovals(path, [...others, approval]);
  return approval;
}

/** Withdraws the approval for `root` (a path that may no longer exist); false when there was none. */
export async function revoke(root: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const path = approvalsPath(env);
  const key = await canonicalRoot(root).catch(() => root);
  const approvals = await readApprovals(path);
  const kept = approvals.filter((a) => a.root !== key);
  if (kept.length === approvals.length) return false;
  await writeApprovals(path, kept);
  return true;
}

/** A command that approves the repository at `root`, pasteable from `cwd`. */
export function approveCommand(root: string, cwd: string): string {
  const inside = relative(root, cwd);
  if (inside === '' || (!inside.startsWith('..') && !isAbsolute(inside))) return '`gitctx config trust`';
  return `\`cd '${root.replace(/'/g, `'\\''`)}' && gitctx config trust\``;
}

/**
 * Throws EndpointNotApprovedError, before anything is sent, when the repository's settings choose
 * where data goes and the user has not approved exactly those settings for this repository.
 */
export async function requireApprovedEndpoint(
  root: string,
  resolved: ResolvedSettings,
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<void> {
  const request = approvalRequest(resolved);
  if (request === undefined) return;
  const key = await canonicalRoot(root);
  const approval = (await readApprovals(approvalsPath(options.env))).find((a) => a.root === key);
  if (approval?.hash === request.hash) return;
  const cwd = await realpath(options.cwd ?? process.cwd()).catch(() => options.cwd ?? process.cwd());
  const why = approval === undefined ? 'which you have not approved' : 'changed since you approved this repository';
  throw new EndpointNotApprovedError(
    `.gitctx/config.yml ${request.action ?? 'sends code and queries to'} ${describeRequest(request)}, ${why}: run ${approveCommand(key, cwd)} to approve it`,
  );
}
