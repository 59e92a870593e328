import { Command } from 'commander';
import { InterruptedError } from '../../errors.js';
import { printable } from '../../printable.js';
import type { IndexProgress, IndexRunOptions, IndexSummary } from '../../indexer/run.js';
import { confirm } from '../confirm.js';
import { formatDuration, formatUsd } from '../../format/units.js';
import { statusLine } from '../progress.js';
import type { RepoContext } from '../../app/context.js';
import { isRemote } from '../../store/location.js';
import type { HeldRemoteLock } from '../../store/remote-lock.js';

interface IndexFlags {
  history?: boolean;
  worktree?: boolean;
  force?: boolean;
  dryRun?: boolean;
  yes?: boolean;
  quiet?: boolean;
  verbose?: boolean;
  json?: boolean;
  shard?: string;
}

export function indexCommand(): Command {
  return new Command('index')
    .description('index the repository: embed what the cache lacks and update the search index')
    .option('--history', 'also index every file version reachable from index.refs (asks before paying unless -y)')
    .option('--worktree', 'also index uncommitted and untracked (not ignored) files')
    .option('--force', 're-embed everything, ignoring and rewriting the cache')
    .option('--dry-run', 'print what would be embedded, its tokens and estimated cost; call no API, write nothing')
    .option('-y, --yes', 'do not ask for confirmation')
    .option('-q, --quiet', 'print only errors')
    .option('-v, --verbose', 'explain every skipped file')
    .option('--json', 'print the summary as one JSON document')
    .option('--shard <K/N>', 'CI job K of N: embed this job\'s Nth of the blobs the cache lacks into the cache only; the database is not written')
    .addHelpText(
      'after',
      `
Examples:
  gitctx index                     index HEAD (cache first: unchanged content costs nothing)
  gitctx index --dry-run           what would be embedded, and what it would cost
  gitctx index --worktree          include uncommitted changes
  gitctx index --history -y        every version reachable from index.refs, without asking
  gitctx index --json | jq .cost_usd
  gitctx index --shard 2/3         job 2 of 3: fill .gitctx/embeddings with its share, no database

Sharded embedding (CI): N jobs each run \`gitctx index --shard K/N\` and keep their
.gitctx/embeddings; a blob falls to one shard by its id, so no two jobs embed the same
one. Copy the N embeddings folders into one (a plain union: the cache is content-addressed,
so no two files collide), then a final \`gitctx index\` builds the database and embeds nothing.
--shard works with --history, --worktree, --force, --dry-run (this shard's share) and --json
(adds "shard": {"k", "n"}); it waits for the index lock like any index run.

With index.db_uri set (s3://, gs://, az://), the index is written there for every clone to search,
one writer at a time: a second writer exits 9 naming the one that holds the lease.`,
    )
    .action(async (flags: IndexFlags) => runIndexCommand(flags));
}

async function runIndexCommand(flags: IndexFlags): Promise<void> {
  // Loaded here, not at start-up: the database and git code are only needed once a command runs.
  const [{ indexLocationOf, lockIndex, lockSharedIndex, openContext, providerFor }, { dryRunIndex, runIndex, runShardIndex }, { dryRunDims }] = await Promise.all([
    import('../../app/context.js'),
    import('../../indexer/run.js'),
    import('../../indexer/dry-run-dims.js'),
  ]);
  // Checked before anything is read, so a bad value says so whatever the repository.
  const shard = flags.shard === undefined ? undefined : (await import('../../indexer/shard.js')).parseShard(flags.shard);
  const context = await openContext();
  // A dry run needs no key and sends nothing: sizes and prices come from the model table or the disk.
  const dryRun = flags.dryRun ? { dims: await dryRunDims(context.workspace, context.resolved.settings) } : undefined;
  const provider = await providerFor(context, dryRun ? { dryRun } : {});
  const dbLocation = await indexLocationOf(context);
  const quiet = flags.quiet === true;
  const warn = (message: string) => process.stderr.write(`gitctx: warning: ${printable(message)}\n`);
  const status = statusLine(process.stderr, !quiet && !flags.json);
  const controller = new AbortController();
  const onSigint = () => controller.abort(new InterruptedError());
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigint);
  const base: IndexRunOptions = {
    repo: context.repo,
    settings: context.resolved.settings,
    provider,
    history: flags.history === true,
    worktree: flags.worktree === true,
    force: flags.force === true,
    signal: controller.signal,
    warn: quiet ? () => undefined : warn,
    onProgress: progressReporter(status),
    dbLocation,
    ...(shard ? { shard } : {}),
    ...(flags.verbose ? { onSkip: (path: string, reason: string) => process.stderr.write(`skip ${reason}: ${printable(path)}\n`) } : {}),
  };
  try {
    if (flags.dryRun) {
      const summary = await dryRunIndex(base);
      status.done();
      printDryRun(summary, flags);
      return;
    }
    if (flags.history && !flags.yes) {
      const { onSkip: _quiet, ...estimateOptions } = base;
      const estimate = await dryRunIndex(estimateOptions);
      status.done();
      await confirmHistory(estimate);
    }
    await context.workspace.ensure();
    // A shard writes only cache files, but `cache prune`, `cache verify --repair` and `clear` remove or
    // rewrite them under this lock, so a shard takes it too.
    const lock = await lockIndex(context.repo, { quiet, signal: controller.signal });
    let summary: IndexSummary;
    let shared: HeldRemoteLock | undefined;
    try {
      if (shard) summary = await runShardIndex({ ...base, shard });
      else {
        // The cache stays in .gitctx/embeddings under the local lock; a shared index also needs its writer lease.
        if (isRemote(dbLocation)) shared = await lockSharedIndex(dbLocation, { quiet });
        else await replaceUnusableDb(context, warn);
        // The writes confirm the lease before each step a writer whose lease was taken over must not take.
        summary = await runIndex(shared && isRemote(dbLocation) ? { ...base, dbLocation: { ...dbLocation, writer: shared } } : base);
      }
    } finally {
      await shared?.release().catch((err: unknown) => warn(`could not release the writer lock (${err instanceof Error ? err.message : String(err)}); the next writer takes it over once it is stale`));
      await lock.release();
    }
    status.done();
    if (flags.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
    else if (!quiet) process.stdout.write(`${summary.shard ? describeShardSummary(summary, summary.shard) : describeSummary(summary)}\n`);
  } catch (err) {
    status.done();
    const again = shard ? `gitctx index --shard ${shard.k}/${shard.n}` : 'gitctx index';
    throw controller.signal.aborted ? new InterruptedError(`interrupted: what was embedded is cached; run \`${again}\` again to resume`) : err;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    await provider.close?.();
  }
}

/** A file (committed, or left by anything) where the database belongs is removed, and the index rebuilt from the cache. */
async function replaceUnusableDb({ workspace, checked }: RepoContext, warn: (message: string) => void): Promise<void> {
  if (!checked.dbNotDirectory) return;
  warn(`${workspace.display(workspace.dbDir)} is not a directory; replacing it with a new index built from the cache`);
  const { removeTree } = await import('../../workspace/index.js');
  await removeTree(workspace.dbDir);
}

function progressReporter(status: ReturnType<typeof statusLine>): (p: IndexProgress) => void {
  const started = Date.now();
  return (p) => {
    const elapsed = (Date.now() - started) / 1000;
    const rate = p.filesDone / Math.max(elapsed, 0.001);
    const eta = p.filesDone > 0 ? ` · ETA ${formatDuration((p.filesTotal - p.filesDone) / rate)}` : '';
    status.update(
      `${p.phase} ${p.filesDone}/${p.filesTotal} files · ${p.chunks} chunks · ${p.embeddedChunks} embedded · ${p.tokens} tokens · ${formatUsd(p.costUsd)}${p.phase === 'embedding' ? eta : ''}`,
    );
  };
}

function describeSkips(skipped: Record<string, number>): string {
  const entries = Object.entries(skipped).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '';
  const total = entries.reduce((n, [, c]) => n + c, 0);
  return `; skipped ${total} (${entries.map(([reason, count]) => `${reason} ${count}`).join(', ')}; -v lists them)`;
}

export function describeSummary(s: IndexSummary): string {
  return (
    `indexed ${s.files} files (${s.chunks} chunks) in ${s.seconds}s: ` +
    `${s.cache_hits} chunks from the cache, ${s.embedded_chunks} embedded (${s.tokens} tokens, ${formatUsd(s.cost_usd)})` +
    describeSkips(s.skipped)
  );
}

function describeShardSummary(s: IndexSummary, shard: { k: number; n: number }): string {
  return (
    `shard ${shard.k}/${shard.n}: ${s.files} files (${s.chunks} chunks) in ${s.seconds}s: ` +
    `${s.cache_hits} chunks already cached, ${s.embedded_chunks} embedded into the cache (${s.tokens} tokens, ${formatUsd(s.cost_usd)}); ` +
    `database not written` +
    describeSkips(s.skipped)
  );
}

function printDryRun(summary: IndexSummary, flags: IndexFlags): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary)}\n`);
    return;
  }
  for (const file of summary.would_embed ?? []) process.stdout.write(`${printable(file.path)}\t${file.chunks} chunks\t${file.tokens} tokens\n`);
  process.stdout.write(
    (summary.shard ? `shard ${summary.shard.k}/${summary.shard.n}: ` : '') +
      `would embed ${summary.embedded_chunks} chunks of ${summary.would_embed?.length ?? 0} files: ${summary.tokens} tokens, about ${formatUsd(summary.cost_usd)}; ` +
      `${summary.cache_hits} chunks already cached${describeSkips(summary.skipped)}\n`,
  );
}

async function confirmHistory(estimate: IndexSummary): Promise<void> {
  if (estimate.embedded_chunks === 0) return;
  const cost = `${estimate.embedded_chunks} chunks, ${estimate.tokens} tokens, about ${formatUsd(estimate.cost_usd)}`;
  await confirm({
    question: `Index history: embed ${cost}?`,
    unattended: `--history would embed ${cost}; pass -y to confirm`,
    declined: 'cancelled: nothing was embedded',
  });
}
