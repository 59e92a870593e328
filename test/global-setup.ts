/**
 * End-to-end tests run the real `gitctx` binary from dist/. `npm install` builds it
 * (the prepare script); this rebuilds it only when a source file is newer, so an
 * edit-and-test loop never runs a stale binary.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function builtAt(): number {
  try {
    return statSync(join(root, 'dist', 'cli', 'main.js')).mtimeMs;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

export default function setup(): void {
  if (builtAt() >= newestMtime(join(root, 'src'))) return;
  // tsc emits even when it finds type errors; those are `npm run typecheck`'s to report, not this build's.
  spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json')], {
    cwd: root,
    stdio: 'ignore',
  });
  if (builtAt() === 0) throw new Error('could not build dist/: run `npm run build` to see why');
}
