/**
 * Whether a run that changed the index rebuilds its indexes now or leaves that to a later run.
 * Pure: the store asks and does what it says.
 *
 * A commit that changed the table compacts it, prunes old versions, rebuilds the full-text
 * index whole and feeds new rows to the vector index. LanceDB 0.37 compacts every fragment
 * under a million rows and its Node API takes no compaction options, so the whole table is
 * rewritten whatever changed: at 20,000 files (82,949 chunks), a run after a commit that
 * changed one file took 9.7 s at a 525 MB peak and wrote a new 393 MB data file, against
 * 1.5 s for a run with nothing to do.
 *
 * Rows no index covers yet are still found: LanceDB searches them by a flat scan beside the
 * indexes (full text and vectors alike), and skips deleted rows. So a run whose changes are
 * small against the table leaves them for later, within bounds on what every search then
 * scans flat and on the table versions kept, which only that maintenance prunes. Until then
 * the new rows' BM25 scores use the full-text index's statistics, which do not count them:
 * two indexes of the same commit, one maintained and one not, can rank a changed file a
 * little differently. A shared index on object storage is always maintained (the store
 * decides that): each of its readers would fetch the pending rows on every search.
 */

export interface MaintenancePolicy {
  /** Tables smaller than this are maintained on every run: it costs little there. */
  minRows: number;
  /** Rows added or deleted since the last maintenance, at most, as a share of the table. */
  maxPendingShare: number;
  /** And at most this many, whatever the table's size: each search scans the added ones flat. */
  maxPendingRows: number;
  /** Runs in a row that leave maintenance for later, at most: each one's table versions stay until it. */
  maxDeferredRuns: number;
}

export const DEFAULT_MAINTENANCE_POLICY: MaintenancePolicy = Object.freeze({
  minRows: 10_000,
  maxPendingShare: 0.05,
  maxPendingRows: 5_000,
  maxDeferredRuns: 20,
});

/** What runs since the last maintenance left for it (meta.json records it). */
export interface PendingChanges {
  /** Rows added plus rows deleted. */
  rows: number;
  runs: number;
}

/**
 * The changes pending once this run is counted in, if the run may leave them for later;
 * undefined when it must maintain the table now. `changedRows` is this run's rows added plus
 * rows deleted; `tableRows` the table's rows after it.
 */
export function deferMaintenance(
  tableRows: number,
  changedRows: number,
  before: PendingChanges | undefined,
  policy: MaintenancePolicy = DEFAULT_MAINTENANCE_POLICY,
): PendingChanges | undefined {
  const pending = { rows: (before?.rows ?? 0) + changedRows, runs: (before?.runs ?? 0) + 1 };
  const small = pending.rows <= policy.maxPendingRows && pending.rows <= tableRows * policy.maxPendingShare;
  return tableRows >= policy.minRows && small && pending.runs <= policy.maxDeferredRuns ? pending : undefined;
}

export function isPendingChanges(value: unknown): value is PendingChanges {
  const p = value as Partial<PendingChanges> | null;
  return typeof p === 'object' && p !== null && Number.isSafeInteger(p.rows) && (p.rows as number) >= 0 && Number.isSafeInteger(p.runs) && (p.runs as number) >= 0;
}
