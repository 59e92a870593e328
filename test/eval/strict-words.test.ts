import { describe, expect, it } from 'vitest';
import { isStrict, sharedWords, strictWords } from '../../bench/eval/strict.js';

describe('strictWords', () => {
  it('splits identifiers at case changes and underscores, keeps the joined form, lower-cases and stems', () => {
    expect([...strictWords('parseJsonNumbers')].sort()).toEqual(['json', 'numb', 'pars', 'parsejsonnumb']);
    expect([...strictWords('get_app_dir')].sort()).toEqual(['app', 'dir', 'get', 'getappdir']);
    expect(strictWords('utf8Decoder').has('decod')).toBe(true);
  });

  it('drops the fixed function words and nothing else', () => {
    expect([...strictWords('how do I find the value of a flag')].sort()).toEqual(['find', 'flag', 'valu']);
  });
});

describe('sharedWords and isStrict', () => {
  const file = {
    path: 'click/termui.py',
    text: 'def confirm(text, default=False):\n    """Prompts for confirmation (yes/no question)."""\n',
  };

  it('finds a word the question shares with the file once both are stemmed', () => {
    expect(sharedWords('confirming a prompt', file)).toEqual(['confirm', 'prompt']);
    expect(isStrict('confirming a prompt', [file])).toBe(false);
  });

  it('counts the file path as the file text', () => {
    expect(sharedWords('terminal UI helpers in termui', file)).toEqual(['termui']);
  });

  it('is strict when nothing but function words is shared', () => {
    expect(sharedWords('ask the user to agree before going on', file)).toEqual([]);
    expect(isStrict('ask the user to agree before going on', [file])).toBe(true);
  });

  it('is strict only when the question shares no word with every answer file', () => {
    const other = { path: 'click/decorators.py', text: 'def password_option(*param_decls): ...' };
    expect(isStrict('ask the user to agree before going on', [file, other])).toBe(true);
    expect(isStrict('agree on a password', [file, other])).toBe(false);
  });
});
