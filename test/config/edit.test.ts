import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { configTemplate, setSettingInText, SETTING_KEYS, unsetSettingInText, USER_ONLY_KEYS, USER_ONLY_SECTIONS } from '../../src/config/index.js';
import type { SettingKey } from '../../src/config/index.js';
import { UsageError } from '../../src/errors.js';

/** A value of the key's type that is not its default, to prove the edit really changed something. */
function otherValue(def: SettingKey): unknown {
  if (def.values) return def.values.find((v) => v !== def.defaultValue);
  switch (def.kind) {
    case 'number':
      return def.key === 'search.min_score' ? 0.25 : def.key === 'model.timeout_ms' ? 30_000 : 7;
    case 'list':
      return ['main', 'release/*'];
    default:
      return def.key === 'model.base_url' ? 'https://llm.example.com/v1' : 'sk-test-0123456789';
  }
}

const commentLines = (text: string) => text.split('\n').filter((line) => line.trimStart().startsWith('#'));
/** Each inline comment, from its `#` to the end of the line. */
const inlineComments = (text: string) =>
  text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#') && / #/.test(line))
    .map((line) => line.slice(line.indexOf(' #') + 1));

describe('editing a file written by config init', () => {
  for (const scope of ['repo', 'user'] as const) {
    const template = configTemplate(scope);
    const keys = SETTING_KEYS.filter((k) => scope === 'user' || !(USER_ONLY_SECTIONS.has(k.key.split('.')[0]!) || USER_ONLY_KEYS.has(k.key)));

    it.each(keys.map((k) => [k.key, k] as const))(`${scope}: set %s lands under its commented line, and unset restores the file byte for byte`, (key, def) => {
      const value = otherValue(def);
      const { text, previous } = setSettingInText(template, key, value, 'config.yml');
      expect(previous).toBeUndefined();
      const name = key.split('.')[1]!;
      const before = template.split('\n');
      const after = text.split('\n');
      // Exactly one line added, right after `  # name: ...`; every other byte where it was.
      expect(after).toHaveLength(before.length + 1);
      const at = before.findIndex((line) => line.startsWith(`  # ${name}: `));
      expect(after.slice(0, at + 1)).toEqual(before.slice(0, at + 1));
      expect(after[at + 1]).toMatch(new RegExp(`^  ${name}: `));
      expect(after.slice(at + 2)).toEqual(before.slice(at + 1));
      expect((parseYaml(text) as Record<string, Record<string, unknown>>)[key.split('.')[0]!]![name]).toEqual(value);

      const undone = unsetSettingInText(text, key, 'config.yml');
      expect(undone).toEqual({ text: template, removed: true, previous: value });
    });
  }

  it('keeps several keys of one section in the template order, whatever the order they were set in', () => {
    let text = configTemplate('repo');
    for (const [key, value] of [['search.mode', 'text'], ['search.limit', 25], ['search.format', 'json']] as const) {
      text = setSettingInText(text, key, value, 'config.yml').text;
    }
    const search = text.slice(text.indexOf('\nsearch:'));
    expect(search.indexOf('  limit: 25')).toBeLessThan(search.indexOf('  format: json'));
    expect(search.indexOf('  format: json')).toBeLessThan(search.indexOf('  mode: text'));
    for (const key of ['search.format', 'search.limit', 'search.mode']) text = unsetSettingInText(text, key, 'config.yml').text;
    expect(text).toBe(configTemplate('repo'));
  });
});

const HAND_WRITTEN = `# Team settings: ask #search-infra before changing the model.
model:
  # We pay for the small model; the large one did not rank better on our eval.
  embedding: text-embedding-3-small # decided 2024-05

# Keep generated code out of the index.
index:
  exclude:
    - "gen/**" # protobuf output
    - docs/**
  # max_file_bytes: 2097152

search:
  limit: 15 # agents read more than people
  format: 'verbose'
  # mode: text
`;

describe('editing a hand-written file', () => {
  it('leaves an unedited file exactly as it was', () => {
    expect(setSettingInText(HAND_WRITTEN, 'search.limit', 15, 'f').text).toBe(HAND_WRITTEN);
  });

  const edits: [string, unknown, RegExp][] = [
    ['search.limit', 30, /^ {2}limit: 30 # agents read more than people$/m],
    ['search.format', 'json', /^ {2}format: 'json'$/m],
    ['search.mode', 'vector', /^ {2}# mode: text\n {2}mode: vector$/m],
    ['index.max_file_bytes', 2_097_152, /^ {2}# max_file_bytes: 2097152\n {2}max_file_bytes: 2097152\n\nsearch:$/m],
    ['index.exclude', ['gen/**', 'vendor/**'], /^ {2}exclude:\n {4}- gen\/\*\*\n {4}- vendor\/\*\*$/m],
    ['cache.encoding', 'f16', /\n\ncache:\n {2}encoding: f16\n$/],
    ['model.embedding', 'local', /^ {2}embedding: local # decided 2024-05$/m],
  ];

  it.each(edits)('set %s keeps every comment byte for byte and changes only that key', (key, value, shape) => {
    const { text } = setSettingInText(HAND_WRITTEN, key, value, 'f');
    expect(text).toMatch(shape);
    for (const line of commentLines(HAND_WRITTEN)) expect(text.split('\n')).toContain(line);
    for (const comment of inlineComments(HAND_WRITTEN)) expect(text).toContain(comment);
    const [section, name] = key.split('.') as [string, string];
    const expected = parseYaml(HAND_WRITTEN) as Record<string, Record<string, unknown>>;
    (expected[section] ??= {})[name] = value;
    expect(parseYaml(text)).toEqual(expected);
  });

  it.each(['model.embedding', 'index.exclude', 'search.limit', 'search.format'])('unset %s keeps every comment, even those on the removed value', (key) => {
    const { text, removed } = unsetSettingInText(HAND_WRITTEN, key, 'f');
    expect(removed).toBe(true);
    for (const line of commentLines(HAND_WRITTEN)) expect(text.split('\n')).toContain(line);
    for (const comment of inlineComments(HAND_WRITTEN)) expect(text).toContain(comment);
    const [section, name] = key.split('.') as [string, string];
    const expected = parseYaml(HAND_WRITTEN) as Record<string, Record<string, unknown>>;
    delete expected[section]![name];
    const actual = parseYaml(text) as Record<string, Record<string, unknown> | null>;
    expect(actual[section] ?? {}).toEqual(expected[section]);
  });

  it('returns the value a key held before', () => {
    expect(setSettingInText(HAND_WRITTEN, 'index.exclude', [], 'f').previous).toEqual(['gen/**', 'docs/**']);
    expect(unsetSettingInText(HAND_WRITTEN, 'search.limit', 'f').previous).toBe(15);
  });
});

describe('edge cases', () => {
  it('writes a minimal file when there was none', () => {
    expect(setSettingInText(undefined, 'search.limit', 3, 'f').text).toBe('search:\n  limit: 3\n');
    expect(setSettingInText('', 'api_keys.openai', 'sk-test-0123456789', 'f').text).toBe('api_keys:\n  openai: sk-test-0123456789\n');
  });

  it('sets a new section off by a blank line', () => {
    expect(setSettingInText('search:\n  limit: 3\n', 'cache.encoding', 'f16', 'f').text).toBe('search:\n  limit: 3\n\ncache:\n  encoding: f16\n');
  });

  it('keeps the comments of a file that has nothing else', () => {
    const { text } = setSettingInText('# settings go here\n', 'search.limit', 3, 'f');
    expect(text).toMatch(/^# settings go here\n/);
    expect(parseYaml(text)).toEqual({ search: { limit: 3 } });
  });

  it('quotes what YAML would otherwise read as another type', () => {
    for (const value of ['123', 'true', 'null', '*.snap', 'a: b', '#x', ' lead']) {
      const { text } = setSettingInText(undefined, 'model.embedding', value, 'f');
      expect(parseYaml(text)).toEqual({ model: { embedding: value } });
    }
    const globs = ['*.{js,ts}', '[ab]*.go', 'docs/**', "it's"];
    expect(parseYaml(setSettingInText(undefined, 'index.exclude', globs, 'f').text)).toEqual({ index: { exclude: globs } });
  });

  it('empties a file whose last key goes, or keeps only its comments', () => {
    expect(unsetSettingInText('search:\n  limit: 3\n', 'search.limit', 'f').text).toBe('');
    const { text } = unsetSettingInText('# mine\nsearch:\n  limit: 3\n', 'search.limit', 'f');
    expect(text).toBe('# mine\n');
  });

  it('drops a section left with neither keys nor comments, and keeps one that has comments', () => {
    expect(unsetSettingInText('search:\n  limit: 3\ncache:\n  encoding: f16\n', 'search.limit', 'f').text).toBe('cache:\n  encoding: f16\n');
    const kept = unsetSettingInText('search:\n  # why three\n  limit: 3\ncache:\n  encoding: f16\n', 'search.limit', 'f').text;
    expect(kept).toContain('# why three');
    expect(parseYaml(kept)).toEqual({ search: null, cache: { encoding: 'f16' } });
  });

  it('keeps one blank line between sections as they come and go, and none at the end', () => {
    const file = 'search:\n  limit: 15\n  # mode: text\n';
    const added = setSettingInText(file, 'index.exclude', ['a'], 'f').text;
    expect(added).toBe('search:\n  limit: 15\n  # mode: text\n\nindex:\n  exclude: [a]\n');
    expect(unsetSettingInText(added, 'index.exclude', 'f').text).toBe(file);
    const three = 'model:\n  embedding: x\n  # c\n\nsearch:\n  limit: 1\n\ncache:\n  encoding: f16\n';
    expect(unsetSettingInText(three, 'search.limit', 'f').text).toBe('model:\n  embedding: x\n  # c\n\ncache:\n  encoding: f16\n');
  });

  it('reports an unset of a key the file does not set, and changes nothing', () => {
    for (const text of ['', 'search:\n  limit: 3\n', 'search:\n', '# only comments\n']) {
      expect(unsetSettingInText(text, 'search.mode', 'f')).toEqual({ text, removed: false, previous: undefined });
    }
  });

  it('edits a flow-style section too', () => {
    const { text } = setSettingInText('search: {limit: 3}\n', 'search.mode', 'text', 'f');
    expect(parseYaml(text)).toEqual({ search: { limit: 3, mode: 'text' } });
  });

  const broken: [string, string, RegExp][] = [
    ['invalid YAML', 'search: [\n', /^cfg\.yml: not valid YAML/],
    ['a list at the top', '- a\n', /^cfg\.yml: expected a mapping of sections/],
    ['a section that is a value', 'search: 3\n', /^cfg\.yml: section "search" must be a mapping/],
    ['two documents', 'search: {}\n---\nmodel: {}\n', /^cfg\.yml: not valid YAML/],
    ['a duplicate key', 'search:\n  limit: 1\n  limit: 2\n', /^cfg\.yml: not valid YAML/],
  ];

  it.each(broken)('refuses to edit %s, naming the file', (_name, text, message) => {
    expect(() => setSettingInText(text, 'search.limit', 5, 'cfg.yml')).toThrow(UsageError);
    expect(() => setSettingInText(text, 'search.limit', 5, 'cfg.yml')).toThrow(message);
  });
});
