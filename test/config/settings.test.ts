import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  describeAllowed,
  envNameOf,
  envVariableFor,
  loadSettings,
  parseSettingString,
  requireSettingKey,
  resolveSettings,
  settingDoc,
  settingsFromEnv,
  SETTING_KEYS,
  MAX_FILE_BYTES_CEILING,
} from '../../src/config/index.js';
import { maxChunksPerFile } from '../../src/cache/index.js';
import { DEFAULT_TARGET_TOKENS } from '../../src/chunk/index.js';
import { KNOWN_OPENAI_MODELS } from '../../src/embed/index.js';
import { ExitCode, UsageError } from '../../src/errors.js';

let root: string;
let repo: string;
let home: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'gitctx-settings-'));
  repo = join(root, 'repo');
  home = join(root, 'home');
  await mkdir(join(repo, '.gitctx'), { recursive: true });
  await mkdir(home, { recursive: true });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function writeUser(text: string, mode = 0o600): Promise<void> {
  const path = join(home, 'config.yml');
  await writeFile(path, text);
  await chmod(path, mode);
}

const load = (env: NodeJS.ProcessEnv = {}, flags?: Map<string, unknown>) =>
  loadSettings({ repoRoot: repo, env: { GITCTX_HOME: home, ...env }, ...(flags ? { flags } : {}) });

describe('settings layering', () => {
  it('gives the documented defaults with no files', async () => {
    const { settings, sources } = await load();
    expect(settings.model.embedding).toBe('local');
    expect(settings.index.refs).toEqual(['HEAD']);
    expect(settings.index.max_file_bytes).toBe(1024 * 1024);
    expect(settings.cache.encoding).toBe('f32');
    expect(settings.search).toMatchObject({ limit: 10, format: 'terse', mode: 'hybrid' });
    expect(sources.get('model.embedding')).toBe('default');
  });

  it('applies defaults < repo < user < env < flags, each key on its own', async () => {
    await writeFile(join(repo, '.gitctx', 'config.yml'), 'search:\n  limit: 20\n  mode: text\ncache:\n  encoding: f16\n');
    await writeUser('search:\n  limit: 30\n');
    const { settings, sources } = await load(
      { GITCTX_SEARCH__MODE: 'vector', GITCTX_INDEX__EXCLUDE: 'docs/**, *.snap' },
      new Map([['search.limit', 5]]),
    );
    expect(settings.search.limit).toBe(5);
    expect(sources.get('search.limit')).toBe('flag');
    expect(settings.search.mode).toBe('vector');
    expect(sources.get('search.mode')).toBe('env');
    expect(settings.cache.encoding).toBe('f16');
    expect(sources.get('cache.encoding')).toBe('repo');
    expect(settings.index.exclude).toEqual(['docs/**', '*.snap']);
  });

  it('takes the OpenAI key and base URL from the standard variables, GITCTX_ names winning', () => {
    const layer = settingsFromEnv({
      OPENAI_API_KEY: 'sk-test-123456',
      OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
      GITCTX_API_KEYS__OPENAI: 'sk-other-654321',
    });
    expect(layer.values.get('model.base_url')).toBe('http://127.0.0.1:11434/v1');
    expect(layer.values.get('api_keys.openai')).toBe('sk-other-654321');
  });
});

describe('settings errors', () => {
  const cases: [string, () => Promise<unknown>, RegExp][] = [
    ['an unknown key in the repo file', () => writeFile(join(repo, '.gitctx', 'config.yml'), 'search:\n  colour: red\n').then(() => load()), /unknown setting "search.colour".*valid keys: model\.embedding/],
    ['an unknown section', () => writeFile(join(repo, '.gitctx', 'config.yml'), 'serch:\n  limit: 3\n').then(() => load()), /unknown section "serch"/],
    ['a bad enum value', () => writeFile(join(repo, '.gitctx', 'config.yml'), 'search:\n  format: xml\n').then(() => load()), /search\.format .*one of terse, verbose, mcp, json/],
    ['a limit out of range', () => load({ GITCTX_SEARCH__LIMIT: '500' }), /search\.limit in \$GITCTX_SEARCH__LIMIT/],
    ['a number that is not one', () => load({ GITCTX_INDEX__MAX_FILE_BYTES: 'lots' }), /index\.max_file_bytes/],
    ['an unknown env key', () => load({ GITCTX_MODEL__COLOUR: 'x' }), /unknown setting "model\.colour" in \$GITCTX_MODEL__COLOUR/],
    ['invalid YAML', () => writeFile(join(repo, '.gitctx', 'config.yml'), 'search: [\n').then(() => load()), /not valid YAML/],
    ['a YAML document that is a list', () => writeFile(join(repo, '.gitctx', 'config.yml'), '- a\n- b\n').then(() => load()), /expected a mapping/],
    ['an API key in the committed repo file', () => writeFile(join(repo, '.gitctx', 'config.yml'), 'api_keys:\n  openai: sk-abcdef123456\n').then(() => load()), /not allowed in the repo config/],
    ['a user file others can read', () => writeUser('search:\n  limit: 3\n', 0o644).then(() => load()), /readable by others .*chmod 600/],
    ['a base URL that is not http', () => load({ OPENAI_BASE_URL: 'ftp://example' }), /model\.base_url/],
  ];

  it.each(cases)('%s is a usage error (exit 2) that says where and what', async (_name, act, message) => {
    const err = await act().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.usage);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('\n');
  });

  it('never echoes a rejected API key value', () => {
    expect(() => parseSettingString('api_keys.openai', '', '$OPENAI_API_KEY')).toThrow(/the given value/);
  });
});

describe('setting keys', () => {
  it('lists every key with its kind and default, derived from the schema', () => {
    const keys = Object.fromEntries(SETTING_KEYS.map((k) => [k.key, k]));
    expect(keys['search.format']).toMatchObject({ kind: 'enum', values: ['terse', 'verbose', 'mcp', 'json'], defaultValue: 'terse' });
    expect(keys['index.refs']).toMatchObject({ kind: 'list', defaultValue: ['HEAD'] });
    expect(keys['search.limit']).toMatchObject({ kind: 'number', defaultValue: 10 });
    expect(keys['model.base_url']).toMatchObject({ kind: 'string', defaultValue: undefined });
  });

  it('parses strings into each kind', () => {
    expect(parseSettingString('search.limit', '7', 'test')).toBe(7);
    expect(parseSettingString('index.refs', 'main, dev', 'test')).toEqual(['main', 'dev']);
    expect(resolveSettings([]).settings.search.min_score).toBeUndefined();
  });
});

describe('the ceiling on index.max_file_bytes', () => {
  it('lets a file at the ceiling, in full-size chunks of at least a byte a token, be cached at the widest known model', () => {
    const widest = Math.max(...Object.values(KNOWN_OPENAI_MODELS).map((m) => m.dims));
    expect(widest).toBe(3072);
    expect(Math.ceil(MAX_FILE_BYTES_CEILING / DEFAULT_TARGET_TOKENS)).toBeLessThanOrEqual(maxChunksPerFile(widest));
  });
});

describe('what a key accepts, in words', () => {
  const allowed = Object.fromEntries(SETTING_KEYS.map((k) => [k.key, describeAllowed(k)]));

  it('reads ranges and choices from the schema', () => {
    expect(allowed).toMatchObject({
      'search.limit': 'a whole number from 1 to 100',
      'model.dimensions': 'a whole number from 1 to 65536',
      'model.max_retries': 'a whole number from 0 to 20',
      'index.max_file_bytes': 'a whole number from 1 to 8388608',
      'search.min_score': 'a number',
      'search.format': 'one of terse, verbose, mcp, json',
      'model.base_url': 'an http or https URL',
      'index.refs': 'a comma-separated list of at least one item (or a JSON array)',
      'index.exclude': 'a comma-separated list (or a JSON array)',
      'model.embedding': 'a non-empty string',
    });
  });

  const rejected: [string, string, RegExp][] = [
    ['search.limit', '500', /^invalid value "500" for search\.limit in cli: must be a whole number from 1 to 100$/],
    ['search.limit', '2.5', /must be a whole number from 1 to 100$/],
    ['index.max_file_bytes', 'lots', /^invalid value "lots" for index\.max_file_bytes in cli: must be a whole number from 1 to 8388608$/],
    ['index.max_file_bytes', '8388609', /must be a whole number from 1 to 8388608$/],
    ['search.mode', 'fast', /must be one of hybrid, vector, text$/],
    ['index.refs', '', /must be a comma-separated list of at least one item/],
    ['model.base_url', 'ftp://example.com', /must be an http or https URL$/],
  ];
  it.each(rejected)('%s=%j is refused, quoting what was typed and saying what is allowed', (key, raw, message) => {
    expect(() => parseSettingString(key, raw, 'cli')).toThrow(message);
  });
});

describe('unknown keys', () => {
  it.each([
    ['limit', 'search.limit'],
    ['serch.limit', 'search.limit'],
    ['search.min-score', 'search.min_score'],
    ['model.embeding', 'model.embedding'],
  ])('%s suggests %s and lists every valid key', (typo, meant) => {
    const err = (() => {
      try {
        requireSettingKey(typo);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.message).toContain(`(did you mean ${meant}?)`);
    expect(err?.message).toContain(`valid keys: ${SETTING_KEYS.map((k) => k.key).join(', ')}`);
  });

  it('suggests nothing for a key far from any', () => {
    expect(() => requireSettingKey('colour')).toThrow(/^unknown setting "colour"; valid keys: /);
  });

  it('suggests a section for a misspelt one', async () => {
    await writeFile(join(repo, '.gitctx', 'config.yml'), 'serch:\n  limit: 3\n');
    await expect(load()).rejects.toThrow(/unknown section "serch" \(did you mean search\?\)/);
  });
});

describe('lists from strings', () => {
  it('takes a JSON array when an item holds a comma, and comma-separated text otherwise', () => {
    expect(parseSettingString('index.exclude', '["*.{js,ts}", "docs/**"]', 'test')).toEqual(['*.{js,ts}', 'docs/**']);
    expect(parseSettingString('index.exclude', '[ab]*.go, [cd]*.go', 'test')).toEqual(['[ab]*.go', '[cd]*.go']);
    expect(parseSettingString('index.exclude', '[]', 'test')).toEqual([]);
    expect(() => parseSettingString('index.exclude', '[1, 2]', 'test')).toThrow(/index\.exclude/);
  });
});

describe('env variable names', () => {
  it('maps each key to its GITCTX_ name, and finds the variable that set it', () => {
    expect(envNameOf('search.min_score')).toBe('GITCTX_SEARCH__MIN_SCORE');
    expect(envNameOf('api_keys.openai')).toBe('GITCTX_API_KEYS__OPENAI');
    expect(envVariableFor('api_keys.openai', { OPENAI_API_KEY: 'sk-x' })).toBe('OPENAI_API_KEY');
    expect(envVariableFor('api_keys.openai', { OPENAI_API_KEY: 'sk-x', GITCTX_API_KEYS__OPENAI: 'sk-y' })).toBe('GITCTX_API_KEYS__OPENAI');
    expect(envVariableFor('model.base_url', { OPENAI_BASE_URL: '' })).toBeUndefined();
    for (const def of SETTING_KEYS) {
      const sample = def.defaultValue ?? settingDoc(def.key)!.example;
      const raw = Array.isArray(sample) ? sample.join(',') : String(sample);
      expect([...settingsFromEnv({ [envNameOf(def.key)]: raw }).values.keys()], def.key).toEqual([def.key]);
    }
  });
});
