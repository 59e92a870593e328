/**
 * 100 generated settings files, repo (`.gitctx/config.yml`) and user
 * (`$GITCTX_HOME/config.yml`): broken YAML, wrong types, unknown keys, huge numbers,
 * deep nesting, binary junk, empty files, lists and scalars where a mapping belongs,
 * API keys where they may not be. Each case says whether the file is valid; a valid
 * one loads, an invalid one is a UsageError (exit 2) on one line naming the file,
 * never anything else, and never quoting the API key. All load in-process through
 * loadSettings; a handful also go through the binary (`status`, `index --dry-run`).
 *
 * The hostile cases at the end (aliases, prototype names, unknown tags) once broke that
 * contract; each says how, and stays as a regression.
 */
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/config/index.js';
import type { Settings } from '../../src/config/index.js';
import { exitCodeOf, UsageError } from '../../src/errors.js';
import { prng } from '../helpers/cache-data.js';
import { makeRepo, makeTempDir } from '../helpers/git-repo.js';
import type { TestRepo } from '../helpers/git-repo.js';
import { RunRecorder, SECRET_KEY } from './support.js';

interface ConfigCase {
  name: string;
  where: 'repo' | 'user';
  content: string | Uint8Array;
  valid: boolean;
  /** File mode for the user file (default 0600). */
  mode?: number;
  /** For valid files: what the settings must then say. */
  check?: (settings: Settings) => void;
  /** How this file once broke the contract (it is kept as a regression). */
  was?: string;
}

const SEED = 0xc0f1;

const yamlValue = (value: unknown) => JSON.stringify(value);
const nest = (depth: number, open: string, leaf: string, close: string) => open.repeat(depth) + leaf + close.repeat(depth);

/** The 100 cases, from fixed shapes and a seeded PRNG: the same files on every run. */
function generateCases(): ConfigCase[] {
  const random = prng(SEED);
  const cases: ConfigCase[] = [];
  const add = (c: ConfigCase) => cases.push(c);

  // Broken YAML.
  const syntax: [string, string][] = [
    ['unclosed flow sequence', 'model: [local\n'],
    ['unclosed flow mapping', 'search: {limit: 3\n'],
    ['unterminated double quote', 'model:\n  embedding: "local\n'],
    ["unterminated single quote", "model:\n  embedding: 'local\n"],
    ['tab indentation', 'model:\n\tembedding: local\n'],
    ['mapping value in a plain scalar', 'model: embedding: local\n'],
    ['sequence then mapping at the top', '- model\nsearch: {}\n'],
    ['bad indentation', 'model:\n    embedding: local\n  base_url: http://x\n'],
    ['duplicate keys', 'search:\n  limit: 3\n  limit: 4\n'],
    ['two documents', 'search:\n  limit: 3\n---\nsearch:\n  limit: 4\n'],
    ['a lone colon', ':\n'],
    ['a lone closing bracket', ']\n'],
  ];
  syntax.forEach(([name, text], i) => add({ name, where: i % 2 === 0 ? 'repo' : 'user', content: text, valid: false }));

  // Wrong types and out-of-range values, one key at a time.
  const wrong: [string, string, unknown[]][] = [
    ['model', 'embedding', [42, true, [], {}, '']],
    ['model', 'base_url', ['not a url', 'ftp://example.com']],
    ['model', 'dimensions', [0, -1, 1.5, 70_000]],
    ['model', 'max_retries', [21, 'six']],
    ['model', 'timeout_ms', [99, 600_001]],
    ['index', 'refs', ['HEAD', [], [''], [1, 2]]],
    ['index', 'exclude', ['*.md', [null]]],
    ['index', 'max_file_bytes', [0, -5, '1MB']],
    ['cache', 'encoding', ['f8', 'F32', 32]],
    ['search', 'limit', [0, 101, 2.5, null]],
    ['search', 'min_score', ['high']],
    ['search', 'format', ['xml', 1]],
    ['search', 'mode', ['fuzzy']],
  ];
  for (const [section, key, values] of wrong) {
    for (const value of values) {
      add({ name: `${section}.${key} = ${yamlValue(value)}`, where: random() < 0.5 ? 'repo' : 'user', content: `${section}:\n  ${key}: ${yamlValue(value)}\n`, valid: false });
    }
  }

  // Unknown keys and sections, and sections of the wrong shape.
  for (const text of ['modle:\n  embedding: local\n', 'model:\n  embeding: local\n', 'search:\n  limt: 3\n', 'model:\n  embedding:\n    name: local\n', 'extra: true\n']) {
    add({ name: `unknown key: ${JSON.stringify(text)}`, where: random() < 0.5 ? 'repo' : 'user', content: text, valid: false });
  }
  for (const text of ['model: local\n', 'index: [HEAD]\n', 'search: 5\n']) add({ name: `section not a mapping: ${JSON.stringify(text)}`, where: 'repo', content: text, valid: false });
  for (const text of ['- model\n- search\n', '[1, 2, 3]\n', '42\n', '"just a string"\n', 'true\n']) add({ name: `top level not a mapping: ${JSON.stringify(text)}`, where: 'user', content: text, valid: false });

  // Huge numbers.
  for (const [key, literal] of [
    ['search:\n  limit', '1e400'],
    ['index:\n  max_file_bytes', '123456789012345678901234567890'],
    ['model:\n  dimensions', '0x7fffffffffffffff'],
    ['model:\n  timeout_ms', '.inf'],
    ['search:\n  min_score', '-.inf'],
    ['search:\n  min_score', '.nan'],
  ] as const) {
    add({ name: `huge number ${key.replace(':\n  ', '.')} = ${literal}`, where: 'repo', content: `${key}: ${literal}\n`, valid: false });
  }

  // Deep nesting (in-process depths stay where the YAML parser recurses safely; 10,000 goes through the binary).
  for (const depth of [20, 120, 300]) {
    add({ name: `flow sequence ${depth} deep as a value`, where: 'repo', content: `model:\n  embedding: ${nest(depth, '[', 'x', ']')}\n`, valid: false });
    add({ name: `flow mapping ${depth} deep as a section`, where: 'user', content: `model: ${nest(depth, '{a: ', '1', '}')}\n`, valid: false });
  }
  add({
    name: 'block mappings 60 deep',
    where: 'repo',
    content: Array.from({ length: 60 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') + ' 1\n',
    valid: false,
  });

  // Binary junk: seeded bytes, never blank and never a comment. Anchors, aliases and tags are left out:
  // they are the hostile cases below, and a stray `*` would turn a junk case into one of them.
  for (let i = 0; i < 8; i++) {
    const length = 1 + Math.floor(random() * 400);
    const bytes = Uint8Array.from({ length }, () => {
      let b: number;
      do b = Math.floor(random() * 256);
      while (b === 0x2a || b === 0x26 || b === 0x21);
      return b;
    });
    bytes[0] = 0x80 + Math.floor(random() * 0x7f);
    add({ name: `binary junk #${i} (${length} bytes)`, where: i % 2 === 0 ? 'repo' : 'user', content: bytes, valid: false });
  }
  add({ name: 'NUL bytes only', where: 'repo', content: new Uint8Array(16), valid: false });

  // API keys: never in the committed repo file, never quoted back.
  add({ name: 'api key in the repo file', where: 'repo', content: `api_keys:\n  openai: ${SECRET_KEY}\n`, valid: false });
  add({ name: 'api key of the wrong type', where: 'user', content: `api_keys:\n  openai: [${SECRET_KEY}]\n`, valid: false });
  add({ name: 'unknown key beside an api key', where: 'user', content: `api_keys:\n  openai: ${SECRET_KEY}\n  anthropic: x\n`, valid: false });
  add({ name: 'user file readable by others', where: 'user', content: `api_keys:\n  openai: ${SECRET_KEY}\n`, valid: false, mode: 0o644 });

  // Files that are in fact valid: each must load, with the values it says.
  const ok = (name: string, where: 'repo' | 'user', content: string | Uint8Array, check?: (s: Settings) => void) => add({ name, where, content, valid: true, ...(check ? { check } : {}) });
  ok('empty file', 'repo', '');
  ok('whitespace and comments only', 'user', '\n   \n# nothing here\n  # still nothing\n');
  ok('a null document', 'repo', '~\n');
  ok('sections with empty bodies', 'repo', 'model:\nsearch:\n');
  ok('byte order mark before valid YAML', 'repo', '\ufeffsearch:\n  limit: 7\n', (s) => expect(s.search.limit).toBe(7));
  ok('api key in the user file', 'user', `api_keys:\n  openai: ${SECRET_KEY}\n`, (s) => expect(s.api_keys.openai).toBe(SECRET_KEY));
  ok('a long unicode model name', 'user', `model:\n  embedding: "${'модель-'.repeat(200)}"\n`, (s) => expect(s.model.embedding).toHaveLength(1400));
  ok('every section at once', 'repo', 'model:\n  embedding: local\n  max_retries: 0\nindex:\n  refs: [main, dev]\n  exclude: ["*.min.js"]\ncache:\n  encoding: f16\nsearch:\n  limit: 100\n  min_score: -0.5\n  format: json\n  mode: text\n', (s) =>
    expect(s).toMatchObject({ model: { max_retries: 0 }, index: { refs: ['main', 'dev'] }, cache: { encoding: 'f16' }, search: { limit: 100, min_score: -0.5, mode: 'text' } }),
  );

  // Cases that once broke the contract (exit 1, silent acceptance, a library warning on stderr), kept as regressions.
  const hostile = (name: string, where: 'repo' | 'user', content: string, was: string) => add({ name, where, content, valid: false, was });
  hostile('an alias with no anchor', 'repo', 'model:\n  embedding: *nowhere\n', 'the yaml library throws ReferenceError (not YAMLParseError) for aliases; loadSettings rethrows it: exit 1 "unexpected error"');
  hostile(
    'an alias bomb',
    'user',
    'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nmodel:\n  embedding: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    'the yaml library refuses it with ReferenceError ("Excessive alias count"): exit 1 "unexpected error"',
  );
  hostile('a section named constructor', 'repo', 'constructor:\n', '`section in settingsSchema.shape` walks the prototype chain: an empty `constructor:` section is accepted as known');
  hostile('a section named toString', 'user', 'toString: ~\n', '`in` walks the prototype chain: accepted silently');
  hostile('a section named __proto__', 'repo', '__proto__:\n', 'Object.prototype member names pass the section check: accepted silently');
  hostile('an unknown YAML tag', 'repo', 'model:\n  embedding: !shell local\n', 'accepted as "local", and the yaml library prints a multi-line YAMLWarning on stderr');
  return cases;
}

const CASES = generateCases();

describe(`${CASES.length} generated settings files (seed 0x${SEED.toString(16)})`, () => {
  let temp: { dir: string; cleanup(): void };
  let repoRoot: string;
  let home: string;
  beforeAll(() => {
    temp = makeTempDir('gitctx-config-fuzz-');
    repoRoot = join(temp.dir, 'repo');
    home = join(temp.dir, 'home');
    mkdirSync(join(repoRoot, '.gitctx'), { recursive: true });
    mkdirSync(home);
  });
  afterAll(() => temp.cleanup());

  function place(c: ConfigCase): string {
    const repoFile = join(repoRoot, '.gitctx', 'config.yml');
    const userFile = join(home, 'config.yml');
    rmSync(repoFile, { force: true });
    rmSync(userFile, { force: true });
    const path = c.where === 'repo' ? repoFile : userFile;
    writeFileSync(path, c.content);
    if (c.where === 'user') chmodSync(path, c.mode ?? 0o600);
    return path;
  }

  async function check(c: ConfigCase): Promise<void> {
    const path = place(c);
    // Only GITCTX_HOME: no key or setting from the environment running the tests.
    const loading = loadSettings({ repoRoot, env: { GITCTX_HOME: home } });
    if (c.valid) {
      const { settings } = await loading;
      c.check?.(settings);
      return;
    }
    const err = await loading.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err, 'rejected').toBeInstanceOf(UsageError);
    expect(exitCodeOf(err)).toBe(2);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message).toContain(path);
    expect(message).not.toContain(SECRET_KEY);
  }

  it('counts', () => {
    const valid = CASES.filter((c) => c.valid).length;
    console.log(
      `config fuzz: seed 0x${SEED.toString(16)}, ${CASES.length} files (${CASES.filter((c) => c.where === 'repo').length} repo, ${CASES.filter((c) => c.where === 'user').length} user): ` +
        `${valid} valid (load), ${CASES.length - valid} invalid (exit 2, one line; ${CASES.filter((c) => c.was).length} of them once exit 1 or accepted)`,
    );
    expect(CASES).toHaveLength(100);
  });

  it.each(CASES.map((c) => [c.was ? `${c.name} (once: ${c.was})` : c.name, c] as const))('%s', async (_name, c) => {
    await check(c);
  });
});

describe('malformed settings through the binary', () => {
  let repo: TestRepo;
  let home: { dir: string; cleanup(): void };
  const recorder = new RunRecorder();
  beforeAll(() => {
    repo = makeRepo({ files: { 'a.ts': 'export const a = 1;\n' } });
    home = makeTempDir('gitctx-config-home-');
  });
  afterAll(() => {
    repo.cleanup();
    home.cleanup();
    expect(recorder.leaks()).toEqual([]);
  });

  const cases: [string, 'repo' | 'user', string | Uint8Array, number?][] = [
    ['broken YAML', 'repo', 'model: [local\n'],
    ['a wrong type', 'repo', 'search:\n  limit: lots\n'],
    ['binary junk', 'repo', Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 129) % 256)],
    ['flow sequences 10,000 deep', 'repo', `model: ${nest(10_000, '[', '', ']')}\n`],
    ['an alias with no anchor', 'repo', 'model:\n  embedding: *nowhere\n'],
    ['an api key in the repo file', 'repo', `api_keys:\n  openai: ${SECRET_KEY}\n`],
    ['a user file readable by others', 'user', `api_keys:\n  openai: ${SECRET_KEY}\n`, 0o644],
  ];

  it.each(cases)('%s: status and index --dry-run exit 2 with one line, no stack', async (_name, where, content, mode) => {
    const repoFile = join(repo.dir, '.gitctx', 'config.yml');
    const userFile = join(home.dir, 'config.yml');
    rmSync(repoFile, { force: true });
    rmSync(userFile, { force: true });
    mkdirSync(join(repo.dir, '.gitctx'), { recursive: true });
    const path = where === 'repo' ? repoFile : userFile;
    writeFileSync(path, content);
    if (where === 'user') chmodSync(path, mode ?? 0o600);
    for (const args of [['status'], ['index', '--dry-run']]) {
      const result = await recorder.run(args, { cwd: repo.dir, env: { GITCTX_HOME: home.dir } });
      expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
      expect(result.stdout).toBe('');
      const lines = result.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^gitctx: /);
      expect(lines[0]).not.toMatch(/unexpected error|^\s+at /);
      expect(lines[0]).toContain(path);
    }
  });
});
