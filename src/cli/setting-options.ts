import { Option } from 'commander';
import type { Command } from 'commander';
import type { SettingName } from '../config/index.js';

/**
 * A command-line option that sets one setting for one run. The table is plain data, so
 * building the command tree loads no settings code (start-up time is every command's);
 * test/cli/setting-options.test.ts holds each entry to the settings schema.
 */
export interface SettingFlag {
  /** As commander spells it: `-n, --limit <n>`. */
  flags: string;
  key: SettingName;
  /** What it does and what it accepts, in a few words. */
  help: string;
  /** For a setting with a fixed set of values: that set, from the constant the schema is built on. */
  choices?: readonly string[];
}

/** Adds options that override settings; the default each falls back to is the setting's. */
export function addSettingOptions(command: Command, table: readonly SettingFlag[]): Command {
  for (const { flags, key, help, choices } of table) {
    const option = new Option(flags, `${help} (default: ${key})`);
    if (choices) option.choices(choices);
    command.addOption(option);
  }
  return command;
}

/**
 * The values given for those options, as the settings loader's flag layer: each parsed and
 * validated by the schema, an error naming the flag as typed.
 */
export async function settingFlagValues(given: Record<string, unknown>, table: readonly SettingFlag[], command: Command): Promise<Map<string, unknown>> {
  const { parseSettingString } = await import('../config/resolve.js');
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
