/**
 * Pins the chunker's output. Cache files record `chunkerSignature`, and a cached
 * vector is only right for the chunk text it was made from: if chunking changes
 * while CHUNKER_VERSION stays, old cache files would be trusted for new spans.
 * When this test fails, the change is deliberate or a bug: if deliberate, bump
 * CHUNKER_VERSION in src/chunk/chunker.ts and update both constants below.
 */
import { createHash } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { CHUNKER_VERSION, chunkText } from '../../src/chunk/index.js';
import { GO, MARKDOWN, PYTHON, TYPESCRIPT } from './samples.js';
import { fakeOptions } from './support.js';

const PINNED_VERSION = 'lines-v1';
const PINNED_DIGEST = 'ebba379848da025732296972d36f870f89c33d28faf16106820f1ee129f6f15c';

/** A corpus touching every rule: code in three styles, prose, CRLF, a giant line, small-unit runs. */
function corpus(): string[] {
  const runs = Array.from({ length: 300 }, (_, i) => `export const C${i} = ${(i * 7919) % 1000};`).join('\n\n');
  const nested = Array.from({ length: 40 }, (_, i) =>
    [`class K${i}:`, `    def m(self, x):`, ...Array.from({ length: i % 9 }, (_, j) => `        x = x * ${j} + ${i}`), '        return x', '', ''].join(
      '\n',
    ),
  ).join('\n');
  const giant = `const data = "${'abcd efgh '.repeat(3000)}";\nexport default data;\n`;
  return [TYPESCRIPT, PYTHON, GO, MARKDOWN, MARKDOWN.replaceAll('\n', '\r\n'), runs, nested, giant];
}

function digest(): string {
  const hash = createHash('sha256');
  for (const target of [16, 48, 120, 400]) {
    const options = fakeOptions(target, target * 2);
    for (const text of corpus()) {
      for (const c of chunkText(text, options)) {
        hash.update(`${target} ${c.startLine} ${c.endLine} ${c.tokens} ${c.hash} ${c.lineSlice?.start ?? ''}\n`);
      }
    }
  }
  return hash.digest('hex');
}

describe('chunker version', () => {
  it('produces the pinned output for this CHUNKER_VERSION', () => {
    expect(CHUNKER_VERSION).toBe(PINNED_VERSION);
    expect(digest()).toBe(PINNED_DIGEST);
  });
});
