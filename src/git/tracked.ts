import type { Repository } from './repository.js';
import { runGit } from './runner.js';

/** Whether git tracks `path` (repository-relative, `/`-separated) in the index: a committed or staged file. */
export async function isTracked(repo: Repository, path: string): Promise<boolean> {
  const { stdout } = await runGit(repo.runner, repo.root, ['ls-files', '-z', '--full-name', '--', `:(literal)${path}`]);
  return stdout.length > 0;
}
