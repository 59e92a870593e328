/**
 * A cloned repository whose `.gitctx` (or a directory under it) is a committed symbolic
 * link into another project: no command may read, write or remove anything there.
 */
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { track } from '../helpers/cleanup.js';
import { filesUnder } from '../helpers/files.js';

const FAN = 'ab';
const VICTIM_CACHE_FILE = `embeddings/local-v2/${FAN}/${'ab'.repeat(20)}.safetensors.zst`;

/** Another project's `.gitctx`, beside the clone, as a victim of the link. */
function plantVictim(parent: string): string {
  const victim = join(parent, 'victim');
  for (const [path, content] of Object.entries({
    'db/keep.lance': 'database file of another project',
    'config.yml': 'search:\n  limit: 3\n',
    [VICTIM_CACHE_FILE]: 'paid-for vectors of another project',
  })) {
    mkdirSync(dirname(join(victim, path)), { recursive: true });
    writeFileSync(join(victim, path), content);
  }
  return victim;
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).map((path) => [path, readFileSync(path, 'utf8')]));
}

/** Where the committed link sits, and what it points at, relative to the link itself. */
const LINKS = {
  '.gitctx': '../victim',
  '.gitctx/db': '../../victim/db',
  '.gitctx/embeddings': '../../victim/embeddings',
  '.gitctx/embeddings/local-v2': '../../../victim/embeddings/local-v2',
  [`.gitctx/embeddings/local-v2/${FAN}`]: `../../../../victim/embeddings/local-v2/${FAN}`,
} as const;

/** A repository that commits `link` as a symbolic link, cloned; the victim sits beside the clone. */
function cloneWithLink(link: keyof typeof LINKS): { clone: TestRepo; victim: string } {
  const source = track(makeRepo({ files: { 'src/app.ts': 'export function maskApiKey(key: string) { return key.slice(0, 3); }\n' } }));
  mkdirSync(dirname(join(source.dir, link)), { recursive: true });
  symlinkSync(LINKS[link], join(source.dir, link));
  source.git(['add', '-A', '-f']);
  source.commit('commit a link under .gitctx');
  const clone = track(cloneRepo(source));
  expect(source.git(['ls-files', '-s', link])).toMatch(/^120000 /);
  return { clone, victim: plantVictim(dirname(clone.dir)) };
}

const COMMANDS: Record<string, string[]> = {
  index: ['index'],
  search: ['search', 'mask api key'],
  status: ['status'],
  'cache prune': ['cache', 'prune'],
  'cache verify': ['cache', 'verify'],
  'cache stats': ['cache', 'stats'],
  clear: ['clear', '--all', '-y'],
  'config set': ['config', 'set', 'search.limit', '5'],
};

describe.each(Object.keys(LINKS) as (keyof typeof LINKS)[])('a committed link at %s', (link) => {
  it('makes every command exit 2 naming it, and leaves what it points at untouched', async () => {
    const { clone, victim } = cloneWithLink(link);
    const before = snapshot(victim);
    // Each must refuse before touching anything, so they may as well run side by side. The binary for
    // the first link; the deeper links through the same entry point in-process (a node start saved per command).
    const run = link === '.gitctx' ? runCli : runCliInProcess;
    const results = await Promise.all(Object.values(COMMANDS).map((args) => run(args, { cwd: clone.dir })));
    for (const [i, name] of Object.keys(COMMANDS).entries()) {
      const result = results[i]!;
      expect({ name, code: result.code }).toEqual({ name, code: 2 });
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines, name).toHaveLength(1);
      expect(lines[0], name).toContain(`${link} is a symbolic link`);
      expect(lines[0], name).toContain(`rm ${link}`);
      expect(result.stdout, name).toBe('');
    }
    expect(snapshot(victim)).toEqual(before);
  });
});
