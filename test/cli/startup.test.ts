import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { track } from '../helpers/cleanup.js';
import { runCli } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';

/**
 * Start-up is a share of every search: code only some runs need is loaded only by them. A
 * preloaded script reports, as the process exits, which of these packages it loaded.
 */
const WATCHED = ['yaml'];

function preload(dir: string): string {
  const file = join(dir, 'report-loaded.cjs');
  writeFileSync(
    file,
    `process.on('exit', () => {
  const loaded = ${JSON.stringify(WATCHED)}.filter((name) => Object.keys(require.cache).some((path) => path.includes('/node_modules/' + name + '/')));
  process.stderr.write('LOADED=' + JSON.stringify(loaded) + '\\n');
});\n`,
  );
  return file;
}

function loadedBy(stderr: string): string[] {
  const line = stderr.split('\n').find((l) => l.startsWith('LOADED='));
  if (line === undefined) throw new Error(`no report in ${stderr}`);
  return JSON.parse(line.slice('LOADED='.length)) as string[];
}

describe('start-up of gitctx search', () => {
  it('loads no YAML parser when there is no settings file, and one when there is', async () => {
    const repo = track(makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } }));
    const scripts = track(makeTempDir());
    const env = { NODE_OPTIONS: `--require ${preload(scripts.dir)}` };
    const bare = await runCli(['search', 'where is a'], { cwd: repo.dir, env });
    expect(bare.code).toBe(8); // no index yet: the settings were loaded and the search began
    expect(loadedBy(bare.stderr)).toEqual([]);

    repo.write('.gitctx/config.yml', 'search:\n  limit: 3\n');
    const configured = await runCli(['search', 'where is a'], { cwd: repo.dir, env });
    expect(configured.code).toBe(8);
    expect(loadedBy(configured.stderr)).toEqual(['yaml']);
  });
});
