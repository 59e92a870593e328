import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import { UsageError } from '../../src/errors.js';
import { track } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';

/** The repo settings file arrives through `git pull`: whatever it is, a command ends at once with exit 2. */
describe('a hostile committed .gitctx/config.yml', () => {
  function repoWith(make: (path: string) => void) {
    const repo = track(makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } }));
    mkdirSync(join(repo.dir, '.gitctx'), { recursive: true });
    make(join(repo.dir, '.gitctx', 'config.yml'));
    return repo;
  }
  const home = () => track(makeTempDir()).dir;

  it.each([
    ['a link to /dev/zero', (path: string) => symlinkSync('/dev/zero', path), /symbolic link/],
    ['a FIFO', (path: string) => execFileSync('mkfifo', [path]), /not a regular file/],
    ['a huge file', (path: string) => writeFileSync(path, `# ${'x'.repeat(1024 * 1024)}\n`), /over the .*limit/],
  ])('%s is refused without reading it', async (_name, make, reason) => {
    const repo = repoWith(make);
    const err = await loadSettings({ repoRoot: repo.dir, env: { GITCTX_HOME: home() } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(reason);
  });

  it('config set does not write through a committed link', async () => {
    const outside = track(makeTempDir());
    const target = join(outside.dir, 'victim.yml');
    writeFileSync(target, 'search:\n  limit: 5\n');
    const repo = repoWith((path) => symlinkSync(target, path));
    const result = await runCli(['config', 'set', 'search.limit', '7'], { cwd: repo.dir, env: { GITCTX_HOME: home() } });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/symbolic link/);
    expect(readFileSync(target, 'utf8')).toBe('search:\n  limit: 5\n');
  });
});
