import { existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EmbeddingCache } from '../../src/cache/index.js';
import { PermissionDeniedError } from '../../src/errors.js';
import { track } from '../helpers/cleanup.js';
import { makeTempDir } from '../helpers/git-repo.js';

const sha = 'ab'.repeat(20);
const embedding = { vector: new Float32Array([1, 0, 0, 0]), startLine: 1, endLine: 2, tokens: 3 };

/** A cache arrives through `git pull`: a committed directory link must not lead reads or writes elsewhere. */
describe.each(['model', 'fan-out'])('a %s directory that is a symbolic link', (level) => {
  function layout() {
    const temp = track(makeTempDir());
    const root = join(temp.dir, 'embeddings');
    const outside = join(temp.dir, 'outside');
    mkdirSync(outside, { recursive: true });
    if (level === 'model') {
      mkdirSync(root, { recursive: true });
      symlinkSync(outside, join(root, 'm'));
    } else {
      mkdirSync(join(root, 'm'), { recursive: true });
      symlinkSync(outside, join(root, 'm', 'ab'));
    }
    return { root, outside };
  }

  it('refuses writes (exit 6) and leaves the link target untouched', async () => {
    const { root, outside } = layout();
    const cache = new EmbeddingCache({ dir: root, model: 'm', dims: 4, warn: () => undefined });
    await expect(cache.set(sha, [embedding])).rejects.toBeInstanceOf(PermissionDeniedError);
    const written = readdirSync(outside, { recursive: true });
    expect(written.filter((f) => String(f).endsWith('.zst') || String(f).endsWith('.tmp'))).toEqual([]);
  });

  it('reads as a miss with one warning, and has() says no', async () => {
    const { root, outside } = layout();
    const writer = new EmbeddingCache({ dir: join(outside, '..', 'elsewhere'), model: 'm', dims: 4 });
    await writer.set(sha, [embedding]);
    const source = writer.pathFor(sha);
    expect(existsSync(source)).toBe(true);
    const warnings: string[] = [];
    const cache = new EmbeddingCache({ dir: root, model: 'm', dims: 4, warn: (m) => warnings.push(m) });
    expect(await cache.get(sha)).toBeUndefined();
    expect(await cache.has(sha)).toBe(false);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/symbolic link \(never followed\)/);
  });
});
