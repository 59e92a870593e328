import { Command } from 'commander';
import { GitctxError, InterruptedError, UsageError } from '../../errors.js';
import type { CacheStats, IndexedChunk, PruneReport, VerifyModel, VerifyReport } from '../../cache-maintenance/index.js';
import type { EmbeddingProvider } from '../../embed/index.js';
import type { IndexStore as Store } from '../../store/index-store.js';
import type { RepoContext } from '../../app/context.js';
import { printable } from '../../printable.js';
import { formatBytes } from '../../format/units.js';

/** Bytes for people: binary units, one decimal. */
export function cacheCommand(): Command {
  const cache = new Command('cache')
    .description('inspect and maintain the embedding cache (.gitctx/embeddings)')
    .addHelpText(
      'after',
      `
Examples:
  gitctx cache stats                 files and bytes per model and encoding
  gitctx cache verify --reembed 20   check every file, and re-embed 20 random blobs
  gitctx cache verify --repair       rewrite bad files, from the index's vectors where it has them
  gitctx cache prune --dry-run       list the files of blobs git can no longer reach`,
    );
  for (const sub of [statsCommand(), verifyCommand(), pruneCommand()]) cache.addCommand(sub.exitOverride());
  return cache;
}

function statsCommand(): Command {
  return new Command('stats')
    .description('files, compressed and uncompressed bytes, and ratio, per model and encoding')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
ratio is bytes on disk over uncompressed bytes: 0.92 means zstd saved 8%.
"invalid" counts files whose headers cannot be read (\`gitctx cache verify\` says why).

Examples:
  gitctx cache stats
  gitctx cache stats --json | jq .totals.bytes`,
    )
    .action(async (flags: { json?: boolean }) => {
      const [{ openRepository }, { cacheStats }, { Workspace }] = await Promise.all([
        import('../../git/index.js'),
        import('../../cache-maintenance/index.js'),
        import('../../workspace/index.js'),
      ]);
      // Only the repository's root is needed: a broken settings file must not hide what is on disk.
      const workspace = new Workspace((await openRepository(process.cwd())).root);
      await workspace.check();
      const stats = await cacheStats(workspace.embeddingsDir);
      process.stdout.write(flags.json ? `${JSON.stringify(statsDocument(stats))}\n` : describeStats(stats));
    });
}

const ratio = (bytes: number, uncompressed: number) => (uncompressed > 0 ? Math.round((bytes / uncompressed) * 10_000) / 10_000 : null);

/** The `cache stats --json` document: snake_case, like every gitctx JSON document. */
export function statsDocument(stats: CacheStats): unknown {
  return {
    groups: stats.groups.map((g) => ({
      model_dir: g.modelDir,
      model: g.model ?? null,
      encoding: g.encoding,
      files: g.files,
      bytes: g.bytes,
      uncompressed_bytes: g.uncompressedBytes,
      ratio: ratio(g.bytes, g.uncompressedBytes),
    })),
    totals: {
      files: stats.totals.files,
      bytes: stats.totals.bytes,
      uncompressed_bytes: stats.totals.uncompressedBytes,
      ratio: ratio(stats.totals.bytes, stats.totals.uncompressedBytes),
    },
  };
}

function describeStats(stats: CacheStats): string {
  if (stats.totals.files === 0) return 'the cache is empty (run `gitctx index` to fill it)\n';
  const percent = (bytes: number, uncompressed: number) => {
    const r = ratio(bytes, uncompressed);
    return r === null ? '-' : `${(r * 100).toFixed(1)}%`;
  };
  const rows = [
    ['model', 'encoding', 'files', 'bytes', 'uncompressed', 'ratio'],
    ...stats.groups.map((g) => [
      printable(g.model ?? `${g.modelDir} (not a model directory)`),
      g.encoding,
      String(g.files),
      formatBytes(g.bytes),
      formatBytes(g.uncompressedBytes),
      percent(g.bytes, g.uncompressedBytes),
    ]),
    ['total', '', String(stats.totals.files), formatBytes(stats.totals.bytes), formatBytes(stats.totals.uncompressedBytes), percent(stats.totals.bytes, stats.totals.uncompressedBytes)],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  // Text columns left-aligned, numbers right-aligned, as a reader scans them.
  const line = (r: string[]) => r.map((cell, c) => (c < 2 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ').trimEnd();
  return `${rows.map(line).join('\n')}\n`;
}

interface VerifyFlags {
  json?: boolean;
  reembed?: string;
  repair?: boolean;
  verbose?: boolean;
}

function verifyCommand(): Command {
  return new Command('verify')
    .description('check every cache file: checksum, header, shape, metadata and spans against the repository')
    .option('--json', 'print one JSON document')
    .option('--reembed <n>', 're-embed n random blobs and compare vectors by cosine (catches well-formed files with wrong vectors)', '0')
    .option('--repair', 'rewrite the bad files: from the vectors in the search index where it has them, re-embedding only the rest')
    .option('-v, --verbose', 'also list the files that passed')
    .addHelpText(
      'after',
      `
Exits 1 and names every bad file when any is bad. Warnings (files made by another
chunker, temp files, models that cannot be checked here) do not fail the check.

--reembed works for local-v1 and for the configured model (model.embedding); for an
API model it costs tokens. A file fails when any chunk's fresh vector has cosine
below 0.999 to the stored one (local models, which are deterministic) or below 0.99
(API models, whose answers vary slightly from call to call).

--repair rewrites each bad file of a blob in the repository, as \`gitctx index\` would:
chunks whose vectors the search index (.gitctx/db) holds cost nothing; only the
others are embedded (tokens, for an API model). It waits for a running
\`gitctx index\`, and exits 1 only when a bad file could not be rewritten (a file
of a blob git no longer has is \`gitctx cache prune\`'s business).

Examples:
  gitctx cache verify
  gitctx cache verify --repair
  gitctx cache verify --reembed 20
  gitctx cache verify --json | jq -r '.bad[].path'`,
    )
    .action(async (flags: VerifyFlags) => runVerify(flags));
}

function parseCount(text: string | undefined, flag: string): number {
  const value = text === undefined ? 0 : Number(text);
  if (!/^\d+$/.test(text ?? '0') || !Number.isSafeInteger(value)) throw new UsageError(`${flag} takes a whole number, got ${JSON.stringify(text)}`);
  return value;
}

async function runVerify(flags: VerifyFlags): Promise<void> {
  const reembed = parseCount(flags.reembed, '--reembed');
  const [{ openContext }, { verifyCache, CacheVerifyError }, { statusLine }] = await Promise.all([
    import('../../app/context.js'),
    import('../../cache-maintenance/index.js'),
    import('../progress.js'),
  ]);
  const context = await openContext();
  const status = statusLine(process.stderr, !flags.json);
  const controller = new AbortController();
  const onSignal = () => controller.abort(new InterruptedError());
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let report: VerifyReport;
  // Repairing writes cache files, so it waits for an index run as prune does.
  let lock: { release(): Promise<void> } | undefined;
  const index = flags.repair ? indexedVectors(context.workspace.dbDir) : undefined;
  try {
    if (flags.repair) {
      const { lockIndex } = await import('../../app/context.js');
      await context.workspace.ensure();
      lock = await lockIndex(context.repo, { quiet: flags.json === true, signal: controller.signal });
    }
    report = await verifyCache({
      repo: context.repo,
      dir: context.workspace.embeddingsDir,
      modelFor: await modelResolver(context),
      reembed,
      signal: controller.signal,
      onProgress: (phase, done, total) => status.update(`${phase} ${done}/${total}`),
      ...(index ? { repair: { indexedChunks: index.chunks, encoding: context.resolved.settings.cache.encoding } } : {}),
    });
  } finally {
    status.done();
    await index?.close();
    await lock?.release();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  process.stdout.write(flags.json ? `${JSON.stringify(verifyDocument(report))}\n` : describeVerify(report, flags.verbose === true));
  if (report.repair !== undefined) {
    if (report.repair.failed.length > 0) throw new CacheVerifyError(report.repair.failed, report.files, { repaired: true });
  } else if (report.bad.length > 0) {
    throw new CacheVerifyError(report.bad, report.files);
  }
}

/**
 * The search index's vectors of a blob, for repairs: the database is opened once, on
 * first use, and only trusted when it was built with the model and chunker asked about.
 * No database, or an unreadable one, holds nothing: every chunk is then embedded.
 */
function indexedVectors(dbDir: string): { chunks(model: string, chunker: string, blobSha: string): Promise<IndexedChunk[]>; close(): Promise<void> } {
  let opened: Promise<Store | undefined> | undefined;
  const open = async (): Promise<Store | undefined> => {
    const [{ IndexStore }, { NoIndexError }] = await Promise.all([import('../../store/index-store.js'), import('../../errors.js')]);
    return IndexStore.openForRead(dbDir).catch((err: unknown) => {
      if (err instanceof NoIndexError) return undefined;
      throw err;
    });
  };
  return {
    async chunks(model, chunker, blobSha) {
      const store = await (opened ??= open());
      const meta = store?.previousMeta;
      if (store === undefined || meta?.model !== model || meta.chunker !== chunker) return [];
      return store.chunksOfBlob(blobSha);
    },
    async close() {
      (await opened?.catch(() => undefined))?.close();
    },
  };
}

/**
 * What verify may use per model: local-v1 always (offline, free, deterministic);
 * the configured model when its provider can be made here. Any other model's
 * files are still decoded and checked, but not chunked or re-embedded.
 */
async function modelResolver(context: RepoContext): Promise<(model: string) => Promise<VerifyModel>> {
  const [{ providerFor }, { createLocalProvider }, { chunkerOptionsFor }, { API_MAX_DEVIATION, DETERMINISTIC_MAX_DEVIATION }] = await Promise.all([
    import('../../app/context.js'),
    import('../../embed/index.js'),
    import('../../chunk/index.js'),
    import('../../cache-maintenance/index.js'),
  ]);
  const local = createLocalProvider();
  const facts = (provider: EmbeddingProvider): VerifyModel => ({
    dims: provider.dims,
    chunker: chunkerOptionsFor(provider),
    provider,
    // In-process models (local-v1, local-v2) are pure functions of the text.
    maxDeviation: provider.model === local.model || provider.inProcess === true ? DETERMINISTIC_MAX_DEVIATION : API_MAX_DEVIATION,
  });
  let configured: Promise<EmbeddingProvider | string> | undefined;
  // Made only when a directory needs it: an API model may need a key, or a probe of its server.
  const configuredProvider = () =>
    (configured ??= providerFor(context).catch((err: unknown) => {
      // A missing key must not stop the checks that need no provider; the report says what was skipped.
      if (err instanceof GitctxError) return `the configured model cannot be used here (${err.message})`;
      throw err;
    }));
  return async (model) => {
    if (model === local.model) return facts(local);
    const provider = await configuredProvider();
    if (typeof provider === 'string') return { unavailable: provider };
    if (provider.model === model) return facts(provider);
    return { unavailable: `not the configured model (model.embedding is ${context.resolved.settings.model.embedding})` };
  };
}

/** The `cache verify --json` document. */
export function verifyDocument(report: VerifyReport): unknown {
  const { passed: _listed, ...document } = report;
  return document;
}

function describeVerify(report: VerifyReport, verbose: boolean): string {
  const lines: string[] = [];
  if (verbose) for (const path of report.passed) lines.push(`ok    ${printable(path)}`);
  for (const b of report.bad) lines.push(`bad   ${printable(b.path)}: ${printable(b.reason)}`);
  for (const w of report.warnings) lines.push(`warn  ${printable(w.path)}: ${printable(w.reason)}`);
  const r = report.reembedded;
  if (r.files.length > 0) {
    lines.push(`re-embedded ${r.blobs.length} blobs (${r.chunks} chunks), largest deviation (1 - cosine) ${formatDeviation(r.max_deviation)}:`);
    for (const path of r.files) lines.push(`      ${printable(path)}`);
  }
  const repair = report.repair;
  if (repair !== undefined) {
    for (const f of repair.repaired) lines.push(`fixed ${f.path}: ${f.from_index} chunks from the index, ${f.embedded} re-embedded`);
    for (const f of repair.failed) lines.push(`left  ${f.path}: ${f.reason}`);
  }
  lines.push(
    report.files === 0
      ? 'no cache files to verify'
      : `verified ${report.files} cache files: ${report.ok} ok, ${report.bad.length} bad${report.warnings.length > 0 ? `, ${report.warnings.length} warnings` : ''}`,
  );
  if (repair !== undefined && report.bad.length > 0) {
    lines.push(
      `repaired ${repair.repaired.length} of ${report.bad.length} bad files: ${repair.from_index_chunks} chunks from the index, ` +
        `${repair.embedded_chunks} re-embedded (${repair.tokens} tokens)`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function formatDeviation(deviation: number | null): string {
  if (deviation === null) return 'none';
  return deviation === 0 ? '0' : deviation.toExponential(2);
}

interface PruneFlags {
  dryRun?: boolean;
  json?: boolean;
}

function pruneCommand(): Command {
  return new Command('prune')
    .description('remove cache files of blobs no indexed ref, worktree or stash entry can reach; report the bytes freed')
    .option('--dry-run', 'list what would be removed; remove nothing')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Kept: the blobs of
  - every commit reachable from index.refs (default HEAD): the whole history;
  - every commit reachable from the HEAD of every worktree (linked ones too);
  - every stash entry (refs/stash and its reflog), with its index and untracked files;
  - the uncommitted files of every worktree, tracked or not (what --worktree indexes).
Removed: every other cache file, in every model directory (other models' too), and
temp files left by interrupted runs. Branches and tags not in index.refs do not
keep their blobs unless a worktree has them checked out. Waits for a running \`gitctx index\`. Refuses a shallow clone,
whose missing history would make teammates' cache files look unused.
Commit the removals like any other change to .gitctx/embeddings.

Examples:
  gitctx cache prune --dry-run
  gitctx cache prune && git add -A .gitctx/embeddings && git commit -m "Prune the embedding cache"`,
    )
    .action(async (flags: PruneFlags) => runPrune(flags));
}

async function runPrune(flags: PruneFlags): Promise<void> {
  const [{ openContext, lockIndex }, { pruneCache }, { stat }] = await Promise.all([
    import('../../app/context.js'),
    import('../../cache-maintenance/index.js'),
    import('node:fs/promises'),
  ]);
  const context = await openContext();
  const dir = context.workspace.embeddingsDir;
  const options = { repo: context.repo, dir, refs: context.resolved.settings.index.refs, dryRun: flags.dryRun === true };
  const exists = await stat(dir).then(
    (s) => s.isDirectory(),
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return false;
      throw err;
    },
  );
  let report: PruneReport;
  if (!exists || flags.dryRun) {
    // Nothing is removed, so nothing can race an index run: no lock needed.
    report = exists ? await pruneCache(options) : { dry_run: flags.dryRun === true, files: 0, bytes: 0, kept: 0, removed: [], warnings: [] };
  } else {
    await context.workspace.ensure();
    const lock = await lockIndex(context.repo);
    try {
      report = await pruneCache(options);
    } finally {
      await lock.release();
    }
  }
  for (const warning of report.warnings) process.stderr.write(`gitctx: warning: ${printable(warning)}\n`);
  process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : describePrune(report));
}

function describePrune(report: PruneReport): string {
  const verb = report.dry_run ? 'would remove' : 'removed';
  const lines = report.removed.map((r) => `${verb}  ${printable(r.path)}  ${formatBytes(r.bytes)}${r.reason === 'temporary' ? '  (temporary file)' : ''}`);
  const summary = `${report.files} files, ${formatBytes(report.bytes)} (${report.bytes} bytes); ${report.kept} cache files kept`;
  lines.push(report.dry_run ? `dry run: would prune ${summary}; nothing was removed` : `pruned ${summary}`);
  return `${lines.join('\n')}\n`;
}
