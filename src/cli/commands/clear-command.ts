import { join } from 'node:path';
import { Command } from 'commander';
import { lstatOrNull, measureTree, removeTree, Workspace } from '../../workspace/index.js';
import { formatBytes } from '../../format/units.js';
import { confirm } from '../confirm.js';
import { printable } from '../../printable.js';

interface ClearFlags {
  db?: boolean;
  cache?: boolean;
  all?: boolean;
  yes?: boolean;
}

export function clearCommand(): Command {
  return new Command('clear')
    .description('remove the search database (default), the embedding cache, or both; never the settings')
    .option('--db', 'remove .gitctx/db, the search index (the default: `gitctx index` rebuilds it from the cache for free)')
    .option('--cache', 'remove .gitctx/embeddings, the embedding cache (what was never committed must be paid for again)')
    .option('--all', 'remove both, and leftover lock and temporary files; .gitctx/config.yml is always kept')
    .option('-y, --yes', 'do not ask (required when not on a terminal)')
    .addHelpText(
      'after',
      `
Asks before removing anything when on a terminal; otherwise refuses (exit 2) unless
-y is given. Waits for a running \`gitctx index\`. Prints what it removed and how
many bytes. A symbolic link under .gitctx makes it remove nothing (exit 2, naming it).
The cache is meant to be committed: \`git checkout -- .gitctx/embeddings\` brings
the committed files back.

Examples:
  gitctx clear                 remove the search database (asks first)
  gitctx clear --cache -y      remove the embedding cache without asking
  gitctx clear --all -y        start over; settings stay`,
    )
    .action(async (flags: ClearFlags) => runClear(flags));
}

interface Target {
  /** As shown: relative to the repository root. */
  name: string;
  path: string;
  files: number;
  bytes: number;
}

function describe(target: Pick<Target, 'name' | 'files' | 'bytes'>): string {
  return `${printable(target.name)} (${target.files} files, ${formatBytes(target.bytes)})`;
}

async function runClear(flags: ClearFlags): Promise<void> {
  const [{ openRepository }, { lockIndex }, { readdir }] = await Promise.all([
    import('../../git/index.js'),
    import('../../app/context.js'),
    import('node:fs/promises'),
  ]);
  // Only the repository's root is needed: clearing must work even with a broken settings file.
  const repo = await openRepository(process.cwd());
  const workspace = new Workspace(repo.root);
  // A link anywhere gitctx keeps files is refused (exit 2) before anything is measured or removed.
  if (!(await workspace.check()).exists) {
    process.stdout.write('nothing to remove: there is no .gitctx directory\n');
    return;
  }

  const paths = [
    ...(flags.all || flags.db || !flags.cache ? [workspace.dbDir] : []),
    ...(flags.all || flags.cache ? [workspace.embeddingsDir] : []),
  ];
  // Temp files of interrupted writes (settings, .gitignore, meta) sit at the top; the lock itself goes when we
  // release it. A lock's temp file lives only while another run is taking the lock, so it is left to that run.
  if (flags.all) {
    const temps = (await readdir(workspace.dir)).filter((name) => name.endsWith('.tmp') && !name.startsWith('index.lock.')).sort();
    paths.push(...temps.map((name) => join(workspace.dir, name)));
  }
  const targets: Target[] = [];
  for (const path of paths) {
    const size = await measureTree(path);
    if (size !== null) targets.push({ name: workspace.display(path), path, ...size });
  }
  if (targets.length === 0) {
    const names = paths.map((path) => workspace.display(path));
    process.stdout.write(`nothing to remove: ${names.join(' and ')} ${names.length > 1 ? 'do' : 'does'} not exist\n`);
    return;
  }

  const what = targets.map(describe).join(', ');
  if (!flags.yes) await confirmRemoval(what);

  const lock = await lockIndex(repo);
  const lines: string[] = [];
  let total = 0;
  try {
    for (const target of targets) {
      const removed = await removeTree(target.path);
      total += removed.bytes;
      lines.push(`removed ${printable(target.name)}: ${removed.files} files, ${formatBytes(removed.bytes)} (${removed.bytes} bytes)`);
    }
  } finally {
    await lock.release();
  }
  if (flags.all && (await lstatOrNull(workspace.configFile)) !== null) lines.push('kept .gitctx/config.yml (clear never removes settings)');
  if (targets.length > 1) lines.push(`freed ${formatBytes(total)} (${total} bytes)`);
  process.stdout.write(`${lines.join('\n')}\n`);
  if (targets.some((t) => t.name === '.gitctx/embeddings')) {
    process.stderr.write('gitctx: `git checkout -- .gitctx/embeddings` restores the committed cache files\n');
  }
}

/** Asks on a terminal; anywhere else, only -y may say yes. */
function confirmRemoval(what: string): Promise<void> {
  return confirm({
    question: `Remove ${what}?`,
    unattended: `clear would remove ${what}; pass -y to confirm`,
    declined: 'cancelled: nothing was removed',
  });
}
