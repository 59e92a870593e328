import { parseDocument, parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  configTemplate,
  flattenSettingsDocument,
  SETTING_DOCS,
  SETTING_KEYS,
  settingDoc,
  USER_ONLY_KEYS,
  USER_ONLY_SECTIONS,
  validateSetting,
} from '../../src/config/index.js';

const userOnly = (key: string) => USER_ONLY_SECTIONS.has(key.split('.')[0]!) || USER_ONLY_KEYS.has(key);

describe('SETTING_DOCS', () => {
  it('documents exactly the keys the schema declares', () => {
    expect(Object.keys(SETTING_DOCS).sort()).toEqual(SETTING_KEYS.map((k) => k.key).sort());
  });

  it.each(SETTING_KEYS.map((k) => [k.key]))('%s has one line of text, and an example when it has no default', (key) => {
    const doc = settingDoc(key)!;
    expect(doc.text).toMatch(/^\S.*\.$/);
    expect(doc.text).not.toContain('\n');
    // config set finds a key's place by its commented line `# name: ...`; the explanation must not look like one.
    expect(doc.text).not.toMatch(new RegExp(`^\\s*${key.split('.')[1]}\\s*:`));
    const def = SETTING_KEYS.find((k) => k.key === key)!;
    if (def.defaultValue === undefined) expect(validateSetting(key, doc.example, 'test')).toEqual(doc.example);
    else expect(doc.example).toBeUndefined();
  });
});

describe('configTemplate', () => {
  for (const scope of ['repo', 'user'] as const) {
    const template = configTemplate(scope);
    const keys = SETTING_KEYS.filter((k) => scope === 'user' || !userOnly(k.key));

    it(`${scope}: parses, sets nothing, and survives a yaml round trip unchanged`, () => {
      expect(flattenSettingsDocument(parseYaml(template), 'template', scope).size).toBe(0);
      expect(String(parseDocument(template))).toBe(template);
    });

    it(`${scope}: lists every key once, commented out under its explanation`, () => {
      const lines = template.split('\n');
      for (const def of keys) {
        const name = def.key.split('.')[1]!;
        const at = lines.findIndex((line) => line.startsWith(`  # ${name}: `));
        expect(at, def.key).toBeGreaterThan(0);
        expect(lines.filter((line) => line.startsWith(`  # ${name}: `))).toHaveLength(1);
        expect(lines[at - 1]!.startsWith(`  # ${settingDoc(def.key)!.text}`), def.key).toBe(true);
      }
      if (scope === 'repo') expect(template).not.toMatch(/^api_keys:/m);
      else expect(template).toMatch(/^api_keys:\n {2}# .*\n {2}# openai: /m);
    });

    it.each(keys.map((k) => [k.key, k] as const))(`${scope}: uncommenting %s gives its default (or the example)`, (key, def) => {
      const name = key.split('.')[1]!;
      const text = template.replace(new RegExp(`^ {2}# (${name}: .*)$`, 'm'), '  $1');
      const values = flattenSettingsDocument(parseYaml(text), 'template', scope);
      expect([...values.keys()]).toEqual([key]);
      expect(values.get(key)).toEqual(def.defaultValue ?? settingDoc(key)!.example);
    });
  }

  it('says where each file sits in the precedence, and keeps API keys out of the committed one', () => {
    expect(configTemplate('repo')).toMatch(/^# .*Committed/);
    expect(configTemplate('repo')).toContain('# API keys never go here');
    expect(configTemplate('user')).toMatch(/mode 0600/);
  });

  it('states ranges and choices read from the schema', () => {
    expect(configTemplate('repo')).toContain('# Results per search (-n). A whole number from 1 to 100.');
    expect(configTemplate('repo')).toContain('One of terse, verbose, mcp, json.');
  });
});
