import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSettings } from '../config/index.js';
import type { ResolvedSettings } from '../config/index.js';
import { createProvider } from '../embed/index.js';
import type { EmbeddingProvider } from '../embed/index.js';
import { fromFsError } from '../errors.js';
import { openRepository } from '../git/index.js';
import type { Repository } from '../git/index.js';
import { readTextIfExists } from '../fs-read.js';
import type { HeldLock } from '../indexer/lock.js';

/** What most commands start from: the repository around the working directory and its settings. */
export interface CommandContext {
  repo: Repository;
  resolved: ResolvedSettings;
  gitctxDir: string;
}

export async function openContext(flags?: ReadonlyMap<string, unknown>, cwd = process.cwd()): Promise<CommandContext> {
  const repo = await openRepository(cwd);
  const resolved = await loadSettings({ repoRoot: repo.root, ...(flags ? { flags } : {}) });
  return { repo, resolved, gitctxDir: join(repo.root, '.gitctx') };
}

export async function providerFor({ resolved }: CommandContext): Promise<EmbeddingProvider> {
  const { model, api_keys } = resolved.settings;
  return createProvider({
    embedding: model.embedding,
    ...(model.base_url !== undefined ? { baseUrl: model.base_url } : {}),
    ...(model.dimensions !== undefined ? { dimensions: model.dimensions } : {}),
    ...(api_keys.openai !== undefined ? { apiKey: api_keys.openai } : {}),
    maxRetries: model.max_retries,
    timeoutMs: model.timeout_ms,
  });
}

/**
 * Takes the repository's index lock for a command that writes under `.gitctx/`, saying on
 * stderr (unless quiet) that it waits when another run holds it.
 */
export async function lockIndex(gitctxDir: string, options: { quiet?: boolean; signal?: AbortSignal } = {}): Promise<HeldLock> {
  const { acquireIndexLock } = await import('../indexer/lock.js');
  return acquireIndexLock(join(gitctxDir, 'index.lock'), {
    ...(options.signal ? { signal: options.signal } : {}),
    onWait: (holder) => {
      if (!options.quiet) process.stderr.write(`gitctx: waiting for another gitctx index (pid ${holder.pid}) to finish…\n`);
    },
  });
}

const GITIGNORE = `# Written by gitctx. The embeddings cache is meant to be committed; the database is rebuilt from it.
db/
*.tmp
index.lock
`;

/** Creates `.gitctx/` with its `.gitignore`, so the database never lands in a commit. */
export async function ensureGitctxDir(gitctxDir: string): Promise<void> {
  const path = join(gitctxDir, '.gitignore');
  try {
    await mkdir(gitctxDir, { recursive: true });
    if ((await readTextIfExists(path)) !== undefined) return;
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, GITIGNORE);
    await rename(temp, path).catch(async (err: unknown) => {
      await rm(temp, { force: true });
      throw err;
    });
  } catch (err) {
    throw fromFsError(err, path);
  }
}
