/**
 * File names and settings from a cloned repository reach the terminal neutralised on every
 * path that prints them: index --dry-run and -v, config list and get, status, cache reports,
 * warnings and errors. A name like `\e]0;title\a` would otherwise retitle the terminal, `\e[2J`
 * clear it, a C1 CSI (U+009B) do the same on many terminals, and a bidi override reorder what
 * the user reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { cloneRepo, makeRepo } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

// ESC, BEL, the C1 controls and the bidi overrides and isolates: none may reach a terminal raw.
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/u;

const OSC_TITLE = '\x1b]0;pwned\x07';
const CLEAR = '\x1b[2J';
const C1_CSI = '\u009b31m';
const BIDI = '\u202egnp.ts';

const FILES: Record<string, string | Uint8Array> = {
  [`src/title${OSC_TITLE}.ts`]: 'export function title() { return 1; }\n',
  [`src/clear${CLEAR}.ts`]: 'export function clear() { return 2; }\n',
  [`src/c1${C1_CSI}.ts`]: 'export function c1() { return 3; }\n',
  [`src/bidi${BIDI}`]: 'export function bidi() { return 4; }\n',
  [`assets/bin${CLEAR}.dat`]: new Uint8Array([0, 1, 2, 0, 27, 91, 50, 74]),
  [`docs/skip${OSC_TITLE}.md`]: '# excluded\n',
  // YAML double-quoted escapes: \e is ESC, \a BEL, \x9b the C1 CSI, \u202e RIGHT-TO-LEFT OVERRIDE.
  '.gitctx/config.yml': 'index:\n  exclude: ["docs/**", "\\e]0;title\\a", "\\e[2J", "\\x9b31m", "\\u202e"]\n',
};

function expectNeutral(result: CliResult, label: string): void {
  expect(RAW_CONTROL.test(result.stdout), `${label} stdout: ${JSON.stringify(result.stdout)}`).toBe(false);
  expect(RAW_CONTROL.test(result.stderr), `${label} stderr: ${JSON.stringify(result.stderr)}`).toBe(false);
}

describe('terminal escapes from a cloned repository', () => {
  let clone: TestRepo;

  beforeAll(() => {
    const source = makeRepo({ files: FILES });
    clone = cloneRepo(source);
    source.cleanup();
  });
  afterAll(() => clone.cleanup());

  it('index --dry-run lists the file names neutralised', async () => {
    const result = await runCli(['index', '--dry-run'], { cwd: clone.dir });
    expect(result.code, result.stderr).toBe(0);
    expectNeutral(result, 'index --dry-run');
    expect(result.stdout).toContain('src/clear␛[2J.ts');
  });

  it('index -v names skipped files neutralised, and the summary and status stay clean', async () => {
    const result = await runCli(['index', '-v'], { cwd: clone.dir });
    expect(result.code, result.stderr).toBe(0);
    expectNeutral(result, 'index -v');
    expect(result.stderr).toContain('assets/bin␛[2J.dat');
    expect(result.stderr).toContain('docs/skip␛]0;pwned␇.md');
    for (const args of [['status'], ['cache', 'stats'], ['cache', 'verify', '-v'], ['cache', 'prune', '--dry-run']]) {
      const after = await runCli(args, { cwd: clone.dir });
      expect(after.code, after.stderr).toBe(0);
      expectNeutral(after, args.join(' '));
    }
    const search = await runCli(['search', 'clear', '--mode', 'text'], { cwd: clone.dir });
    expect(search.code, search.stderr).toBe(0);
    expectNeutral(search, 'search');
  });

  it('config list and config get print the values neutralised', async () => {
    const list = await runCli(['config', 'list'], { cwd: clone.dir });
    expect(list.code, list.stderr).toBe(0);
    expectNeutral(list, 'config list');
    expect(list.stdout).toContain('␛[2J');
    const get = await runCli(['config', 'get', 'index.exclude'], { cwd: clone.dir });
    expect(get.code, get.stderr).toBe(0);
    expectNeutral(get, 'config get');
    expect(get.stdout).toContain('␛]0;title␇');
  });

  it('errors and warnings quoting a value neutralise it', async () => {
    const badModel = await runCli(['index'], { cwd: clone.dir, env: { GITCTX_MODEL__EMBEDDING: `x${CLEAR}${C1_CSI}\u202e` } });
    expect(badModel.code).not.toBe(0);
    expectNeutral(badModel, 'index with a hostile model name');
    const badRef = await runCli(['index', '--history', '-y'], { cwd: clone.dir, env: { GITCTX_INDEX__REFS: `${OSC_TITLE}${C1_CSI}` } });
    expectNeutral(badRef, 'index --history with a hostile ref');
    const setting = await runCli(['config', 'set', 'search.limit', `1${CLEAR}${C1_CSI}`], { cwd: clone.dir });
    expect(setting.code).toBe(2);
    expectNeutral(setting, 'config set with a hostile value');
  });
});
