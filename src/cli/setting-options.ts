import { Option } from 'commander';
import type { Command } from 'commander';
import { describeAllowed, parseSettingString, requireSettingKey } from '../config/index.js';
import type { SettingName } from '../config/index.js';

/** A command-line option that sets one setting for one run. */
export interface SettingFlag {
  /** As commander spells it: `-n, --limit <n>`. */
  flags: string;
  key: SettingName;
  /** What it does, in a few words; the allowed values and the default come from the schema. */
  help: string;
}

/**
 * Adds options that override settings. Each is described and, for a fixed set of values,
 * restricted from the settings schema, so a flag can never accept what the setting refuses.
 */
export function addSettingOptions(command: Command, table: readonly SettingFlag[]): Command {
  for (const { flags, key, help } of table) {
    const def = requireSettingKey(key);
    const option = new Option(flags, `${help}: ${describeAllowed(def)} (default: ${key})`);
    if (def.values) option.choices(def.values);
    command.addOption(option);
  }
  return command;
}

/**
 * The values given for those options, as the settings loader's flag layer: each parsed and
 * validated by the schema, an error naming the flag as typed.
 */
export function settingFlagValues(given: Record<string, unknown>, table: readonly SettingFlag[], command: Command): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const { flags, key } of table) {
    const option = command.options.find((o) => o.flags === flags);
    const raw = option === undefined ? undefined : given[option.attributeName()];
    if (typeof raw === 'string') {
      const named = [option?.short, option?.long].filter((name) => name !== undefined).join('/');
      values.set(key, parseSettingString(key, raw, named || flags));
    }
  }
  return values;
}
