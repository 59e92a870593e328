import { modelDirName } from '../cache/index.js';
import { cacheStats } from '../cache-maintenance/index.js';
import type { Repository } from '../git/index.js';
import { readIndexMeta } from '../store/meta.js';
import { isRemote } from '../store/location.js';
import type { IndexLocation } from '../store/location.js';
import { formatBytes } from '../format/units.js';
import { printable } from '../printable.js';
import type { Workspace } from '../workspace/index.js';

/** The `status --json` document (shared/DESIGN.md). */
export interface StatusReport {
  indexed_commit: string | null;
  model: string | null;
  dims: number | null;
  files: number;
  chunks: number;
  cache: { files: number; bytes: number; uncompressed_bytes: number };
  /** HEAD moved since the index was last brought up to date (or there is no index). */
  stale: boolean;
  head: string | null;
  /** The index on object storage this clone reads (`index.db_uri`); null for `.gitctx/db`. */
  db_uri: string | null;
  /** The ANN index on the vectors (large indexes only); null when searches scan every vector. */
  vector_index: { kind: string; partitions: number; trained_rows: number } | null;
  /** Changes recent runs left for a later one to index (large indexes only); null when there are none. */
  pending_changes: { rows: number; runs: number } | null;
}

/** What is indexed and cached, from meta.json and the cache files' headers: no database is opened. */
export async function readStatus(repo: Repository, workspace: Workspace, location: IndexLocation = workspace.dbDir): Promise<StatusReport> {
  const meta = await readIndexMeta(location);
  const stats = await cacheStats(workspace.embeddingsDir);
  const model = meta?.model ?? null;
  const groups = model === null ? stats.groups : stats.groups.filter((g) => g.modelDir === modelDirName(model));
  const sum = (pick: (g: (typeof groups)[number]) => number) => groups.reduce((n, g) => n + pick(g), 0);
  return {
    indexed_commit: meta?.indexed_commit ?? null,
    model,
    dims: meta?.dims ?? null,
    files: meta?.files ?? 0,
    chunks: meta?.chunks ?? 0,
    cache: { files: sum((g) => g.files), bytes: sum((g) => g.bytes), uncompressed_bytes: sum((g) => g.uncompressedBytes) },
    stale: meta?.indexed_commit === undefined || meta.indexed_commit !== repo.head,
    head: repo.head,
    db_uri: isRemote(location) ? location.uri : null,
    vector_index: meta?.vector_index ? { kind: meta.vector_index.kind, partitions: meta.vector_index.partitions, trained_rows: meta.vector_index.trained_rows } : null,
    pending_changes: meta?.pending_changes ? { rows: meta.pending_changes.rows, runs: meta.pending_changes.runs } : null,
  };
}

export function describeStatus(r: StatusReport): string {
  const short = (sha: string | null) => (sha === null ? 'none' : sha.slice(0, 12));
  const ratio =
    r.cache.uncompressed_bytes > 0
      ? ` (${((r.cache.bytes / r.cache.uncompressed_bytes) * 100).toFixed(1)}% of ${formatBytes(r.cache.uncompressed_bytes)} uncompressed)`
      : '';
  return [
    `indexed commit: ${short(r.indexed_commit)}${r.stale ? ` (stale: HEAD is ${short(r.head)}; run \`gitctx index\`)` : ' (up to date)'}`,
    `model:          ${r.model === null ? 'none: run `gitctx index`' : printable(r.model)}${r.dims !== null ? ` (${r.dims} dims)` : ''}`,
    `files:          ${r.files}`,
    `chunks:         ${r.chunks}`,
    ...(r.db_uri !== null ? [`index:          ${printable(r.db_uri)} (shared; \`gitctx index\` writes it, one writer at a time)`] : []),
    ...(r.vector_index ? [`vector index:   ${printable(r.vector_index.kind)}, ${r.vector_index.partitions} partitions, trained on ${r.vector_index.trained_rows} chunks`] : []),
    ...(r.pending_changes
      ? [`pending:        ${r.pending_changes.rows} rows added or removed in ${r.pending_changes.runs} run(s) since the indexes were rebuilt; searches scan them until a run with more changes rebuilds them`]
      : []),
    `cache:          ${r.cache.files} files, ${formatBytes(r.cache.bytes)}${ratio}`,
  ].join('\n');
}
