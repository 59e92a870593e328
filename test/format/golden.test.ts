import { describe, expect, it } from 'vitest';

import { FORMATS } from '../../src/format/index.js';
import { ANSI, FIXTURE, expectGolden, render } from './support.js';

describe('golden output', () => {
  it.each(FORMATS)('%s matches golden/%s.txt', async (format) => {
    const { text, writes } = await render(format, FIXTURE);
    expectGolden(format, text);
    // One write per response: output from concurrent writers cannot interleave mid-result.
    expect(writes).toBe(1);
    expect(text).not.toMatch(ANSI);
  });
});
