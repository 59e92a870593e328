import { describe, expect, it } from 'vitest';
import { SEARCH_SETTING_FLAGS } from '../../src/cli/commands/search-command.js';
import { describeAllowed, requireSettingKey } from '../../src/config/index.js';

/** Setting-backed flags are plain data (no settings code at start-up); this holds each to the schema. */
describe.each(SEARCH_SETTING_FLAGS)('the flag $flags', (flag) => {
  it('names a setting, offers exactly its values, and states its bounds', () => {
    const def = requireSettingKey(flag.key);
    expect(flag.choices === undefined ? undefined : [...flag.choices]).toEqual(def.values);
    const bounds = /from (\d+) to (\d+)/.exec(describeAllowed(def));
    if (bounds) expect(flag.help).toContain(`${bounds[1]} to ${bounds[2]}`);
  });
});
