import { describe, expect, it } from 'vitest';
import {
  fileEntries,
  formatSettingsTable,
  formatSettingValue,
  formatValue,
  parseSettingString,
  resolveSettings,
  settingEntries,
  settingsFromEnv,
} from '../../src/config/index.js';

describe('formatValue', () => {
  const cases: [unknown, string | undefined][] = [
    [undefined, undefined],
    [null, undefined],
    ['local', 'local'],
    [10, '10'],
    [-0.5, '-0.5'],
    [['HEAD'], 'HEAD'],
    [['main', 'release/*'], 'main,release/*'],
    [[], '[]'],
    [['*.{js,ts}', 'docs/**'], '["*.{js,ts}","docs/**"]'],
    [[' padded'], '[" padded"]'],
  ];
  it.each(cases)('%j → %j', (value, text) => {
    expect(formatValue(value)).toBe(text);
  });

  it('prints lists in a form `config set` and env variables read back unchanged', () => {
    for (const list of [['HEAD'], ['main', 'release/*'], [], ['*.{js,ts}', 'docs/**'], ['[ab]*.go']]) {
      expect(parseSettingString('index.exclude', formatValue(list)!, 'test')).toEqual(list);
    }
  });
});

describe('secrets', () => {
  it('are masked to their first and last three characters', () => {
    expect(formatSettingValue('api_keys.openai', 'sk-proj-abcdefghijklmnop')).toBe('sk-...nop');
    expect(formatSettingValue('model.embedding', 'sk-proj-abcdefghijklmnop')).toBe('sk-proj-abcdefghijklmnop');
  });

  it('are masked in every entry list', () => {
    const resolved = resolveSettings([settingsFromEnv({ OPENAI_API_KEY: 'sk-proj-abcdefghijklmnop' })]);
    const entries = settingEntries(resolved, { userFile: '/home/u/.gitctx/config.yml', env: { OPENAI_API_KEY: 'sk-proj-abcdefghijklmnop' } });
    expect(entries.find((e) => e.key === 'api_keys.openai')).toMatchObject({ value: 'sk-...nop', source: 'env', origin: 'OPENAI_API_KEY' });
    expect(JSON.stringify(entries)).not.toContain('abcdefghijklmnop');
    const own = fileEntries(new Map([['api_keys.openai', 'sk-user-0123456789']]), 'user', '/u.yml');
    expect(own).toEqual([expect.objectContaining({ key: 'api_keys.openai', value: 'sk-...789', source: 'user', origin: '/u.yml' })]);
  });
});

describe('settingEntries', () => {
  it('names the file or variable each value came from', () => {
    const resolved = resolveSettings([
      { source: 'repo', origin: '/r/.gitctx/config.yml', values: new Map([['search.limit', 20]]) },
      { source: 'user', origin: '/u/config.yml', values: new Map([['search.mode', 'text']]) },
      settingsFromEnv({ GITCTX_CACHE__ENCODING: 'f16' }),
    ]);
    const entries = settingEntries(resolved, { repoFile: '/r/.gitctx/config.yml', userFile: '/u/config.yml', env: { GITCTX_CACHE__ENCODING: 'f16' } });
    const byKey = Object.fromEntries(entries.map((e) => [e.key, e]));
    expect(byKey['search.limit']).toMatchObject({ value: 20, source: 'repo', origin: '/r/.gitctx/config.yml' });
    expect(byKey['search.mode']).toMatchObject({ value: 'text', source: 'user', origin: '/u/config.yml' });
    expect(byKey['cache.encoding']).toMatchObject({ value: 'f16', source: 'env', origin: 'GITCTX_CACHE__ENCODING' });
    expect(byKey['search.format']).toMatchObject({ value: 'terse', source: 'default', origin: null });
    expect(byKey['search.min_score']).toMatchObject({ value: null, source: 'default' });
    expect(byKey['search.limit']!.description).toMatch(/Results per search/);
  });
});

describe('formatSettingsTable', () => {
  it('aligns key, value and source, with (unset) for an optional key left unset', () => {
    const table = formatSettingsTable([
      { key: 'search.limit', value: 20, source: 'repo', origin: null, description: '' },
      { key: 'model.base_url', value: null, source: 'default', origin: null, description: '' },
      { key: 'index.refs', value: ['main', 'dev'], source: 'env', origin: null, description: '' },
    ]);
    expect(table).toBe(
      ['search.limit    20        repo', 'model.base_url  (unset)   default', 'index.refs      main,dev  env', ''].join('\n'),
    );
  });
});
