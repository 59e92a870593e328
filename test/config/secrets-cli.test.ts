/**
 * API keys are shown masked (first and last three characters) everywhere: every config subcommand, on
 * success and on failure, with a key in the user file and another in OPENAI_API_KEY.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, runCliInProcess } from '../helpers/cli.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';

const FILE_KEY = 'sk-file-Q7v2Lm9XwR4tZp8K';
const ENV_KEY = 'sk-env-H3jN6bYc1Vd5Fg0S';
const NEW_KEY = 'sk-new-T2kP9sWq4Ex7Ru1M';
const RAW = [FILE_KEY, ENV_KEY, NEW_KEY];
const USER_FILE = `# my keys\napi_keys:\n  openai: ${FILE_KEY}\nsearch:\n  limit: 12\n`;
/** What each of them may be shown as. */
const MASKED = { file: 'sk-...p8K', env: 'sk-...g0S', new: 'sk-...u1M' };

let repo: TestRepo;
let temp: { dir: string; cleanup(): void };
let home: string;

beforeEach(() => {
  repo = makeRepo({ files: { 'a.ts': 'export {};\n' } });
  temp = makeTempDir('gitctx-secrets-');
  home = join(temp.dir, '.gitctx');
  writeUser(USER_FILE);
});

afterEach(() => {
  repo.cleanup();
  temp.cleanup();
});

function writeUser(text: string, mode = 0o600): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'config.yml'), text);
  chmodSync(join(home, 'config.yml'), mode);
}

interface Case {
  args: string[];
  code: number;
  /** A masked form the output must show, proving the value was there to leak. */
  shows?: string;
  withEnvKey?: boolean;
  input?: string;
  /** Rewrites the user file before the run. */
  userFile?: { text: string; mode?: number };
  /** Writes .gitctx/config.yml before the run. */
  repoFile?: string;
}

const cases: [string, Case][] = [
  ['get (env key wins)', { args: ['get', 'api_keys.openai'], code: 0, shows: MASKED.env, withEnvKey: true }],
  ['get (user file key)', { args: ['get', 'api_keys.openai'], code: 0, shows: MASKED.file }],
  ['list', { args: ['list'], code: 0, shows: MASKED.env, withEnvKey: true }],
  ['list --json', { args: ['list', '--json'], code: 0, shows: MASKED.env, withEnvKey: true }],
  ['list --user', { args: ['list', '--user'], code: 0, shows: MASKED.file, withEnvKey: true }],
  ['list --user --json', { args: ['list', '--user', '--json'], code: 0, shows: MASKED.file, withEnvKey: true }],
  ['set --user, env still winning', { args: ['set', '--user', 'api_keys.openai', NEW_KEY], code: 0, shows: MASKED.env, withEnvKey: true }],
  ['set --user', { args: ['set', '--user', 'api_keys.openai', NEW_KEY], code: 0, shows: MASKED.new }],
  ['set --user from stdin', { args: ['set', '--user', 'api_keys.openai', '-'], code: 0, shows: MASKED.new, input: `${NEW_KEY}\n` }],
  ['set in the committed file', { args: ['set', 'api_keys.openai', NEW_KEY], code: 2, withEnvKey: true }],
  ['set of another key', { args: ['set', 'search.limit', '5'], code: 0, withEnvKey: true }],
  ['a key pasted as the value of another key', { args: ['set', 'search.format', ENV_KEY], code: 2, shows: MASKED.env, withEnvKey: true }],
  ['a user-file key pasted as a value', { args: ['set', '--user', 'model.base_url', FILE_KEY], code: 2, shows: MASKED.file }],
  ['a key stored under another key', { args: ['set', 'model.embedding', ENV_KEY], code: 2, shows: MASKED.env, withEnvKey: true }],
  ['a user-file key stored under another key', { args: ['set', '--user', 'model.embedding', FILE_KEY], code: 2, shows: MASKED.file }],
  [
    'a key already committed under another key, read back',
    { args: ['get', 'model.embedding'], code: 0, shows: MASKED.env, withEnvKey: true, repoFile: `model:\n  embedding: ${ENV_KEY}\n` },
  ],
  [
    'a key already committed under another key, listed',
    { args: ['list', '--json'], code: 0, shows: MASKED.env, withEnvKey: true, repoFile: `model:\n  embedding: ${ENV_KEY}\n` },
  ],
  ['a key pasted as a key', { args: ['get', ENV_KEY], code: 2, shows: MASKED.env, withEnvKey: true }],
  ['unset --user, env still winning', { args: ['unset', '--user', 'api_keys.openai'], code: 0, shows: MASKED.env, withEnvKey: true }],
  ['unset in the committed file', { args: ['unset', 'api_keys.openai'], code: 2, withEnvKey: true }],
  ['init', { args: ['init'], code: 0, withEnvKey: true }],
  ['init --user over the file', { args: ['init', '--user'], code: 2, withEnvKey: true }],
  ['an empty key', { args: ['set', '--user', 'api_keys.openai', ''], code: 2, withEnvKey: true }],
  [
    'a user file others can read',
    { args: ['list'], code: 2, withEnvKey: true, userFile: { text: `api_keys:\n  openai: ${FILE_KEY}\n`, mode: 0o644 } },
  ],
  [
    'a user file with the key pasted in the wrong place',
    { args: ['list'], code: 2, shows: MASKED.file, userFile: { text: `api_keys:\n  openai: ${FILE_KEY}\nsearch:\n  format: ${FILE_KEY}\n` } },
  ],
  [
    'a user file that is not valid YAML',
    { args: ['get', 'api_keys.openai'], code: 2, withEnvKey: true, userFile: { text: `api_keys:\n  openai: ${FILE_KEY}\n  - [\n` } },
  ],
  ['a committed file holding a key', { args: ['list'], code: 2, withEnvKey: true, repoFile: `api_keys:\n  openai: ${ENV_KEY}\n` }],
];

describe('API keys never appear whole', () => {
  it.each(cases)('%s', async (_name, c) => {
    if (c.userFile) writeUser(c.userFile.text, c.userFile.mode);
    if (c.repoFile !== undefined) {
      mkdirSync(join(repo.dir, '.gitctx'));
      writeFileSync(join(repo.dir, '.gitctx', 'config.yml'), c.repoFile);
    }
    // In-process (the binary's own entry point, without a node start per case); the two tests below
    // run the binary itself. An error escaping the masking would fail this test as an unhandled one.
    const result = await runCliInProcess(['config', ...c.args], {
      cwd: repo.dir,
      env: { GITCTX_HOME: home, ...(c.withEnvKey ? { OPENAI_API_KEY: ENV_KEY } : {}), GITCTX_DEBUG: undefined },
      ...(c.input !== undefined ? { input: c.input } : {}),
    });
    const output = result.stdout + result.stderr;
    expect(result.code, output).toBe(c.code);
    for (const raw of RAW) {
      expect(output).not.toContain(raw);
      // Not even most of it.
      expect(output).not.toContain(raw.slice(3, -3));
    }
    if (c.shows !== undefined) expect(output).toContain(c.shows);
    if (c.code !== 0) expect(readFileSync(join(home, 'config.yml'), 'utf8')).toBe(c.userFile?.text ?? USER_FILE);
  });

  it('refuses to store a known key under another key, saying where keys go', async () => {
    const result = await runCli(['config', 'set', 'model.embedding', ENV_KEY], { cwd: repo.dir, env: { GITCTX_HOME: home, OPENAI_API_KEY: ENV_KEY } });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`gitctx: refusing to write an API key (${MASKED.env}) as model.embedding: keys go only in api_keys.*, in the user file\n`);
    expect(existsSync(join(repo.dir, '.gitctx', 'config.yml'))).toBe(false);
  });

  it('writes the key itself to the user file, only there', async () => {
    const result = await runCli(['config', 'set', '--user', 'api_keys.openai', '-'], { cwd: repo.dir, env: { GITCTX_HOME: home }, input: NEW_KEY });
    expect(result.code).toBe(0);
    expect(readFileSync(join(home, 'config.yml'), 'utf8')).toBe(USER_FILE.replace(FILE_KEY, NEW_KEY));
    expect(result.stderr).toBe(`gitctx: set api_keys.openai = ${MASKED.new} in ${join(home, 'config.yml')}\n`);
  });
});
