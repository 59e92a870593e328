import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configTemplate, SETTING_KEYS } from '../../src/config/index.js';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import type { CliResult } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

let repo: TestRepo;
let temp: { dir: string; cleanup(): void };
/** GITCTX_HOME: a folder that does not exist until gitctx creates it. */
let home: string;

beforeEach(() => {
  repo = makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
  temp = makeTempDir('gitctx-config-');
  home = join(temp.dir, 'home', '.gitctx');
});

afterEach(() => {
  repo.cleanup();
  temp.cleanup();
});

const repoFile = () => join(repo.dir, '.gitctx', 'config.yml');
const userFile = () => join(home, 'config.yml');
const mode = (path: string) => statSync(path).mode & 0o777;

/**
 * `gitctx config ...` run in-process: the same entry point as the binary, without a node start per call.
 * `binary: true` spawns the real dist/cli/main.js instead, for the tests that prove the binary agrees.
 */
function gitctx(args: readonly string[], options: { cwd?: string; env?: Record<string, string>; input?: string; binary?: boolean } = {}): Promise<CliResult> {
  const runner = options.binary === true ? runCli : runCliInProcess;
  return runner(['config', ...args], { cwd: options.cwd ?? repo.dir, env: { GITCTX_HOME: home, ...options.env }, ...(options.input !== undefined ? { input: options.input } : {}) });
}

function writeUser(text: string, fileMode = 0o600): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(userFile(), text);
  chmodSync(userFile(), fileMode);
}

/** `config list` rows as key → [value, source]. */
function table(stdout: string): Record<string, [string, string]> {
  return Object.fromEntries(
    stdout
      .trimEnd()
      .split('\n')
      .map((line) => {
        const [key, value, source] = line.split(/ {2,}/);
        return [key!, [value!, source!]];
      }),
  );
}

describe('config init', () => {
  it('writes the repo file with every key commented out, and .gitctx/.gitignore', async () => {
    const result = await gitctx(['init'], { binary: true });
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toContain(`wrote ${repoFile()}`);
    expect(readFileSync(repoFile(), 'utf8')).toBe(configTemplate('repo'));
    expect(readFileSync(join(repo.dir, '.gitctx', '.gitignore'), 'utf8')).toMatch(/^db\/$/m);
    // The file sets nothing: every value is still the default.
    const listed = await gitctx(['list']);
    expect(Object.values(table(listed.stdout)).every(([, source]) => source === 'default')).toBe(true);
  });

  it('refuses to replace an existing file without --force (exit 2)', async () => {
    writeFileSync(join(repo.dir, 'keep'), '');
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search:\n  limit: 5\n');
    const refused = await gitctx(['init']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already exists; .*--force replaces the file/);
    expect(readFileSync(repoFile(), 'utf8')).toBe('search:\n  limit: 5\n');
    expect(await gitctx(['init', '--force'])).toMatchObject({ code: 0 });
    expect(readFileSync(repoFile(), 'utf8')).toBe(configTemplate('repo'));
  });

  it('--user writes the user file 0600 in a 0700 folder, API key line included', async () => {
    const result = await gitctx(['init', '--user'], { binary: true });
    expect(result.code).toBe(0);
    expect(readFileSync(userFile(), 'utf8')).toBe(configTemplate('user'));
    expect(readFileSync(userFile(), 'utf8')).toMatch(/^ {2}# openai: /m);
    expect(mode(userFile())).toBe(0o600);
    expect(mode(home)).toBe(0o700);
    expect(existsSync(repoFile())).toBe(false);
    expect((await gitctx(['init', '--user'])).code).toBe(2);
  });
});

const COMMENTED = `# Team settings. Ask #search before changing the model.
model:
  # The small model ranked as well as the large one on our eval.
  embedding: text-embedding-3-small # decided 2024-05

search:
  limit: 15 # agents read more than people
  # mode: text
`;

describe('config get / set / unset', () => {
  it('round-trips values and keeps every comment of the file byte for byte', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), COMMENTED);

    const set = await gitctx(['set', 'search.limit', '30'], { binary: true });
    expect(set).toMatchObject({ code: 0, stdout: '' });
    expect(set.stderr).toBe(`gitctx: set search.limit = 30 in ${repoFile()}\n`);
    expect(await gitctx(['set', 'search.mode', 'vector'])).toMatchObject({ code: 0 });
    expect(await gitctx(['set', 'index.exclude', 'gen/**,*.snap'])).toMatchObject({ code: 0 });

    expect(readFileSync(repoFile(), 'utf8')).toBe(`# Team settings. Ask #search before changing the model.
model:
  # The small model ranked as well as the large one on our eval.
  embedding: text-embedding-3-small # decided 2024-05

search:
  limit: 30 # agents read more than people
  # mode: text
  mode: vector

index:
  exclude: [gen/**, "*.snap"]
`);
    expect((await gitctx(['get', 'search.limit'])).stdout).toBe('30\n');
    expect((await gitctx(['get', 'search.mode'])).stdout).toBe('vector\n');
    expect((await gitctx(['get', 'index.exclude'])).stdout).toBe('gen/**,*.snap\n');

    for (const key of ['search.mode', 'index.exclude']) {
      const unset = await gitctx(['unset', key]);
      expect(unset.code).toBe(0);
      expect(unset.stderr).toMatch(new RegExp(`^gitctx: unset ${key} in .*; now .* \\(default\\)\\n$`));
    }
    expect((await gitctx(['set', 'search.limit', '15'])).code).toBe(0);
    expect(readFileSync(repoFile(), 'utf8')).toBe(COMMENTED);
    expect((await gitctx(['get', 'search.mode'])).stdout).toBe('hybrid\n');
  });

  it('works from a subdirectory on the repository root\'s file, and leaves no temp file behind', async () => {
    repo.write('src/deep/b.ts', 'export {};\n');
    const cwd = join(repo.dir, 'src', 'deep');
    expect((await gitctx(['init'], { cwd })).code).toBe(0);
    expect((await gitctx(['set', 'search.limit', '42'], { cwd })).code).toBe(0);
    expect(await gitctx(['get', 'search.limit'], { cwd })).toMatchObject({ code: 0, stdout: '42\n' });
    expect(readdirSync(join(repo.dir, '.gitctx')).sort()).toEqual(['.gitignore', 'config.yml']);
    expect(existsSync(join(cwd, '.gitctx'))).toBe(false);
  });

  it('places keys under their commented lines in a file from config init', async () => {
    await gitctx(['init']);
    expect((await gitctx(['set', 'cache.encoding', 'f16'])).code).toBe(0);
    expect(readFileSync(repoFile(), 'utf8')).toContain('  # encoding: f32\n  encoding: f16\n');
    expect((await gitctx(['unset', 'cache.encoding'])).code).toBe(0);
    expect(readFileSync(repoFile(), 'utf8')).toBe(configTemplate('repo'));
  });

  it('prints nothing for an optional key that is not set, and exits 0', async () => {
    expect(await gitctx(['get', 'search.min_score'])).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(await gitctx(['get', 'model.base_url'])).toMatchObject({ code: 0, stdout: '' });
  });

  it('takes negative numbers and JSON arrays as values', async () => {
    expect((await gitctx(['set', 'search.min_score', '-0.25'])).code).toBe(0);
    expect((await gitctx(['get', 'search.min_score'])).stdout).toBe('-0.25\n');
    expect((await gitctx(['set', 'index.exclude', '["*.{js,ts}", "docs/**"]'])).code).toBe(0);
    expect((await gitctx(['get', 'index.exclude'])).stdout).toBe('["*.{js,ts}","docs/**"]\n');
  });

  it('unset of a key the file does not set is not an error, and creates no file', async () => {
    const result = await gitctx(['unset', 'search.limit']);
    expect(result).toMatchObject({ code: 0, stdout: '' });
    expect(result.stderr).toMatch(/search\.limit is not set in .*; nothing to do/);
    expect(existsSync(repoFile())).toBe(false);
  });

  it('keeps the repo file mode, even bits the umask would drop', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search:\n  limit: 5\n');
    chmodSync(repoFile(), 0o664);
    expect((await gitctx(['set', 'search.limit', '6'])).code).toBe(0);
    expect(mode(repoFile())).toBe(0o664);
  });

  it('says when a later layer still decides the value', async () => {
    writeUser('search:\n  limit: 40\n');
    const shadowed = await gitctx(['set', 'search.limit', '20']);
    expect(shadowed.code).toBe(0);
    expect(shadowed.stderr).toContain(`note: search.limit is still 40 here, from ${userFile()}, which takes precedence`);
    const byEnv = await gitctx(['set', '--user', 'search.limit', '25'], { env: { GITCTX_SEARCH__LIMIT: '7' } });
    expect(byEnv.stderr).toContain('note: search.limit is still 7 here, from $GITCTX_SEARCH__LIMIT');
  });

  it('warns, after a write, when another setting keeps the settings from loading', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search:\n  limit: 500\n');
    // Fixing the bad value must be possible with config set itself.
    const fix = await gitctx(['set', 'search.limit', '50']);
    expect(fix).toMatchObject({ code: 0, stderr: `gitctx: set search.limit = 50 in ${repoFile()}\n` });
    writeFileSync(repoFile(), 'search:\n  limit: 500\n');
    const other = await gitctx(['set', 'search.mode', 'text']);
    expect(other.code).toBe(0);
    expect(other.stderr).toMatch(/warning: settings do not load: invalid value 500 for search\.limit/);
  });
});

describe('the user file', () => {
  it('is created 0600 by set --user, in a 0700 folder', async () => {
    const result = await gitctx(['set', '--user', 'search.mode', 'text']);
    expect(result.code).toBe(0);
    expect(readFileSync(userFile(), 'utf8')).toBe('search:\n  mode: text\n');
    expect(mode(userFile())).toBe(0o600);
    expect(mode(home)).toBe(0o700);
  });

  it('keeps a tighter mode than 0600', async () => {
    writeUser('search:\n  mode: text\n', 0o400);
    expect((await gitctx(['set', '--user', 'search.mode', 'vector'])).code).toBe(0);
    expect(mode(userFile())).toBe(0o400);
  });

  it.each([0o644, 0o640, 0o604])('is refused when its mode is %o (exit 2, with the chmod that fixes it), and left as it was', async (loose) => {
    writeUser('search:\n  mode: text\n', loose);
    for (const args of [['set', '--user', 'search.mode', 'vector'], ['get', 'search.mode'], ['list'], ['list', '--user'], ['unset', '--user', 'search.mode']]) {
      const result = await gitctx(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(`is readable by others (mode 0${loose.toString(8)})`);
      expect(result.stderr).toContain(`chmod 600 ${userFile()}`);
    }
    expect(readFileSync(userFile(), 'utf8')).toBe('search:\n  mode: text\n');
    expect(mode(userFile())).toBe(loose);
  });

  it('stays a symlink when it is one (dotfiles), the target edited', async () => {
    const target = join(temp.dir, 'dotfiles-gitctx.yml');
    writeFileSync(target, '# from dotfiles\nsearch:\n  mode: text\n');
    chmodSync(target, 0o600);
    mkdirSync(home, { recursive: true });
    symlinkSync(target, userFile());
    expect((await gitctx(['set', '--user', 'search.limit', '12'])).code).toBe(0);
    expect(lstatSync(userFile()).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('# from dotfiles\nsearch:\n  mode: text\n  limit: 12\n');
  });
});

describe('config list', () => {
  it('shows every key with its value and source: default, repo, user, env', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search:\n  limit: 20\n  mode: text\nindex:\n  refs: [main, dev]\n');
    writeUser('search:\n  mode: vector\n');
    const result = await gitctx(['list'], { env: { GITCTX_CACHE__ENCODING: 'f16', GITCTX_SEARCH__LIMIT: '9' } });
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const rows = table(result.stdout);
    expect(Object.keys(rows)).toEqual(SETTING_KEYS.map((k) => k.key));
    expect(rows['search.limit']).toEqual(['9', 'env']);
    expect(rows['search.mode']).toEqual(['vector', 'user']);
    expect(rows['index.refs']).toEqual(['main,dev', 'repo']);
    expect(rows['cache.encoding']).toEqual(['f16', 'env']);
    expect(rows['search.format']).toEqual(['terse', 'default']);
    expect(rows['model.base_url']).toEqual(['(unset)', 'default']);
  });

  it('--json names the file or variable behind each value', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search:\n  limit: 20\n');
    writeUser('search:\n  mode: vector\n');
    const result = await gitctx(['list', '--json'], { env: { OPENAI_BASE_URL: 'http://127.0.0.1:9/v1' } });
    const doc = JSON.parse(result.stdout) as { repo_file: string; user_file: string; settings: { key: string; value: unknown; source: string; origin: string | null }[] };
    expect(doc.repo_file).toBe(repoFile());
    expect(doc.user_file).toBe(userFile());
    const byKey = Object.fromEntries(doc.settings.map((s) => [s.key, s]));
    expect(byKey['search.limit']).toMatchObject({ value: 20, source: 'repo', origin: repoFile() });
    expect(byKey['search.mode']).toMatchObject({ value: 'vector', source: 'user', origin: userFile() });
    expect(byKey['model.base_url']).toMatchObject({ value: 'http://127.0.0.1:9/v1', source: 'env', origin: 'OPENAI_BASE_URL' });
    expect(byKey['index.refs']).toMatchObject({ value: ['HEAD'], source: 'default', origin: null });
    expect(byKey['search.min_score']).toMatchObject({ value: null });
  });

  it('--user shows only what the user file sets', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search:\n  limit: 20\n');
    writeUser('search:\n  mode: vector\ncache:\n  encoding: f16\n');
    const result = await gitctx(['list', '--user'], { env: { GITCTX_SEARCH__MODE: 'text' } });
    expect(table(result.stdout)).toEqual({ 'cache.encoding': ['f16', 'user'], 'search.mode': ['vector', 'user'] });
    const none = await gitctx(['list', '--user'], { env: { GITCTX_HOME: join(temp.dir, 'empty') } });
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(none.stderr).toMatch(/sets nothing/);
  });
});

describe('usage errors (exit 2)', () => {
  const cases: [string, string[], RegExp[]][] = [
    ['an unknown key', ['get', 'search.colour'], [/unknown setting "search\.colour"/, /valid keys: model\.embedding, .*api_keys\.openai/]],
    ['a typo', ['set', 'serch.limit', '5'], [/did you mean search\.limit\?/]],
    ['a bad enum value', ['set', 'search.format', 'xml'], [/invalid value "xml" for search\.format/, /one of terse, verbose, mcp, json/]],
    ['a number out of range', ['set', 'search.limit', '500'], [/invalid value "500"/, /a whole number from 1 to 100/]],
    ['not a number', ['set', 'index.max_file_bytes', 'lots'], [/invalid value "lots"/, /a whole number from 1 to 8388608/]],
    ['a base URL that is not http', ['set', 'model.base_url', 'ftp://x'], [/an http or https URL/]],
    ['an API key in the committed file', ['set', 'api_keys.openai', 'sk-test-0123456789'], [/only in the user file/, /gitctx config set --user api_keys\.openai VALUE/]],
    ['an API key unset from the committed file', ['unset', 'api_keys.openai'], [/gitctx config unset --user api_keys\.openai/]],
    ['a missing value', ['set', 'search.limit'], [/missing required argument 'value'/]],
    ['no subcommand', [], [/config needs a command: init, get, set, unset, list, trust or untrust/]],
    ['an unknown subcommand', ['frob'], [/unknown config command "frob"/]],
  ];

  it.each(cases)('%s', async (_name, args, messages) => {
    const result = await gitctx(args);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    for (const message of messages) expect(result.stderr).toMatch(message);
    expect(existsSync(repoFile())).toBe(false);
  });

  it('a repo file that is not valid YAML is named, and not edited', async () => {
    mkdirSync(join(repo.dir, '.gitctx'));
    writeFileSync(repoFile(), 'search: [\n');
    const result = await gitctx(['set', 'search.limit', '5'], { binary: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${repoFile()}: not valid YAML`);
    expect(readFileSync(repoFile(), 'utf8')).toBe('search: [\n');
  });
});

describe('outside a git repository', () => {
  it('get and list work without the repo layer; set --user works', async () => {
    const outside = join(temp.dir, 'plain');
    mkdirSync(outside);
    expect((await gitctx(['set', '--user', 'search.limit', '12'], { cwd: outside, binary: true })).code).toBe(0);
    expect(await gitctx(['get', 'search.limit'], { cwd: outside })).toMatchObject({ code: 0, stdout: '12\n' });
    const listed = await gitctx(['list', '--json'], { cwd: outside });
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toMatchObject({ repo_file: null });
    expect(table((await gitctx(['list'], { cwd: outside })).stdout)['search.limit']).toEqual(['12', 'user']);
  });

  it.each([[['init']], [['set', 'search.limit', '5']], [['unset', 'search.limit']]])('%j without --user is exit 3, pointing at --user', async (args) => {
    const outside = join(temp.dir, 'plain');
    mkdirSync(outside);
    const result = await gitctx(args, { cwd: outside, binary: args[0] === 'init' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/not a git repository: .*--user edits /);
  });
});

describe('help', () => {
  it.each([[[]], [['init']], [['get']], [['set']], [['unset']], [['list']]])('config %j --help has examples', async (sub) => {
    // The top one through the binary: commander prints help and exits 0 there too.
    const result = await gitctx([...sub, '--help'], { binary: sub.length === 0 });
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Examples:\n {2}gitctx config/);
  });
});
