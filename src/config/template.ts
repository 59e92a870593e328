import { stringify } from 'yaml';
import { settingDoc } from './docs.js';
import { describeAllowed } from './resolve.js';
import { SETTING_KEYS, USER_ONLY_KEYS, USER_ONLY_SECTIONS } from './schema.js';

export type SettingsScope = 'repo' | 'user';

const HEADERS: Record<SettingsScope, readonly string[]> = {
  repo: [
    'gitctx settings for this repository. Committed: everyone who clones it shares them.',
    'Precedence: defaults < this file < ~/.gitctx/config.yml < $GITCTX_<SECTION>__<KEY> < command-line flags.',
    'Each key is commented out at its default: uncomment a line to change it, or run',
    '`gitctx config set KEY VALUE`, which keeps these comments. `gitctx config list` shows what applies.',
    'API keys never go here: `gitctx config set --user api_keys.openai KEY`.',
  ],
  user: [
    'gitctx user settings: they apply in every repository, over each one’s .gitctx/config.yml.',
    'Precedence: defaults < .gitctx/config.yml < this file < $GITCTX_<SECTION>__<KEY> < command-line flags.',
    'This file may hold API keys, so it must stay private (mode 0600): gitctx refuses to read it otherwise.',
    'Each key is commented out at its default: uncomment a line to change it, or run',
    '`gitctx config set --user KEY VALUE`, which keeps these comments. `gitctx config list` shows what applies.',
  ],
};

/** A value as one YAML line would hold it: lists in flow style, strings quoted only when they must be. */
export function yamlInline(value: unknown): string {
  return stringify(value, { collectionStyle: 'flow', flowCollectionPadding: false, lineWidth: 0 }).trimEnd();
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * The file `gitctx config init` writes: every key of the scope, commented out at its default (or at an
 * example when it has none) under a one-line explanation, grouped by section. Sections stay uncommented
 * so `config set` can place a key right under its commented line. Generated from the schema and
 * SETTING_DOCS, so it always lists exactly the keys that exist.
 */
export function configTemplate(scope: SettingsScope): string {
  const lines = HEADERS[scope].map((line) => `# ${line}`);
  let section: string | undefined;
  for (const def of SETTING_KEYS) {
    const [sectionName, name] = def.key.split('.') as [string, string];
    if (scope === 'repo' && (USER_ONLY_SECTIONS.has(sectionName) || USER_ONLY_KEYS.has(def.key))) continue;
    if (sectionName !== section) {
      section = sectionName;
      lines.push('', `${sectionName}:`);
    }
    const doc = settingDoc(def.key);
    // Ranges and choices are worth a comment; "a number" or "a non-empty string" is not.
    const described = describeAllowed(def);
    const allowed = def.kind === 'enum' || (def.kind === 'number' && /\d/.test(described)) ? ` ${capitalize(described)}.` : '';
    lines.push(`  # ${doc?.text ?? def.key}${allowed}`);
    const shown = def.defaultValue !== undefined ? def.defaultValue : doc?.example;
    lines.push(`  # ${name}: ${yamlInline(shown)}`);
  }
  return `${lines.join('\n')}\n`;
}
