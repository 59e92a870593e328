import { describe, expect, it } from 'vitest';

import { FORMATS, shouldColor } from '../../src/format/index.js';
import { ANSI, FIXTURE, render, result } from './support.js';

describe('shouldColor', () => {
  const envs: [string, NodeJS.ProcessEnv][] = [
    ['nothing set', {}],
    ['NO_COLOR=1', { NO_COLOR: '1' }],
    ['NO_COLOR=0 (any non-empty value means no colour)', { NO_COLOR: '0' }],
    ['NO_COLOR empty (means unset, per no-color.org)', { NO_COLOR: '' }],
    ['FORCE_COLOR=0', { FORCE_COLOR: '0' }],
    ['FORCE_COLOR=false', { FORCE_COLOR: 'false' }],
    ['FORCE_COLOR=1', { FORCE_COLOR: '1' }],
    ['NO_COLOR=1 and FORCE_COLOR=1', { NO_COLOR: '1', FORCE_COLOR: '1' }],
    ['TERM=dumb', { TERM: 'dumb' }],
    ['TERM=xterm-256color', { TERM: 'xterm-256color' }],
  ];
  const onATerminal: Record<string, boolean> = {
    'nothing set': true,
    'NO_COLOR=1': false,
    'NO_COLOR=0 (any non-empty value means no colour)': false,
    'NO_COLOR empty (means unset, per no-color.org)': true,
    'FORCE_COLOR=0': false,
    'FORCE_COLOR=false': false,
    'FORCE_COLOR=1': true,
    'NO_COLOR=1 and FORCE_COLOR=1': false,
    'TERM=dumb': false,
    'TERM=xterm-256color': true,
  };

  it.each(envs)('on a TTY with %s', (name, env) => {
    expect(shouldColor({ isTTY: true }, env)).toBe(onATerminal[name]);
  });

  // A pipe or a file is never coloured, FORCE_COLOR=1 included: stdout carries results.
  it.each(envs)('on a pipe (isTTY false) with %s', (_name, env) => {
    expect(shouldColor({ isTTY: false }, env)).toBe(false);
  });

  it.each(envs)('on a stream without isTTY with %s', (_name, env) => {
    expect(shouldColor({}, env)).toBe(false);
  });
});

describe('ANSI escapes', () => {
  // Escape sequences inside the repository's own text must not reach the terminal either.
  const hostile = {
    ...FIXTURE,
    query: 'q\x1b[2J',
    results: [
      ...FIXTURE.results,
      result({
        path: 'evil\x1b[31m.ts',
        content: 'const a = "\x1b]0;pwned\x07";\r// \x9b31m',
        commit: { sha: 'abc1234abc', author: 'Mallory\x1b[8m', date: '2020-01-01T00:00:00Z', message: 'hide\x1b[8mme' },
      }),
    ],
  };

  it.each(FORMATS)('none in %s without colour, even from hostile content', async (format) => {
    const { text } = await render(format, hostile, { color: false });
    expect(text).not.toMatch(ANSI);
    if (format !== 'json') expect(text).not.toContain('\x1b');
  });

  it.each(['mcp', 'json'] as const)('none in %s even with colour on: it is for programs', async (format) => {
    const { text } = await render(format, FIXTURE, { color: true });
    expect(text).not.toMatch(ANSI);
  });

  it.each(['terse', 'verbose'] as const)('present in %s with colour on', async (format) => {
    const { text } = await render(format, FIXTURE, { color: true });
    expect(text).toMatch(ANSI);
  });

  it.each(['terse', 'verbose'] as const)('%s with colour shows the same text as without', async (format) => {
    const plain = (await render(format, hostile, { color: false })).text;
    const colored = (await render(format, hostile, { color: true })).text;
    // eslint-disable-next-line no-control-regex -- removing SGR is the point
    expect(colored.replace(/\x1b\[[0-9;]*m/g, '')).toBe(plain);
  });
});
