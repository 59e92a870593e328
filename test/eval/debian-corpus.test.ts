import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { benchCacheDir, unpackPinnedDeb } from '../../bench/eval/debian.js';
import { track } from '../helpers/cleanup.js';

// The bench's Debian corpora: a package that cannot be had, or that does not match
// its pin, is refused with a one-line reason (the bench prints it and skips the set).
// No network: the cache is a temp dir, and the .deb in it is planted.
describe('unpackPinnedDeb', () => {
  let saved: string | undefined;
  let cache: string;
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME;
    const dir = mkdtempSync(join(tmpdir(), 'gitctx-debcache-'));
    track({ cleanup: () => rmSync(dir, { recursive: true, force: true }) });
    cache = dir;
    process.env.XDG_CACHE_HOME = cache;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
  });

  it('keeps its cache under the user cache dir', () => {
    expect(benchCacheDir()).toBe(join(cache, 'gitctx-bench'));
  });

  it('refuses a package version that has no pinned SHA-256', () => {
    expect(() => unpackPinnedDeb({ package: 'python3-click', version: '0.0-1', root: 'usr' })).toThrow(
      /^python3-click=0\.0-1 has no pinned SHA-256$/,
    );
  });

  it('refuses and deletes a cached .deb whose SHA-256 is not the pinned one', () => {
    const debs = join(cache, 'gitctx-bench', 'debs');
    mkdirSync(debs, { recursive: true });
    const planted = join(debs, 'python3-click_8.1.3-2_all.deb');
    writeFileSync(planted, 'not a package');
    let message = '';
    try {
      unpackPinnedDeb({ package: 'python3-click', version: '8.1.3-2', root: 'usr/lib/python3/dist-packages' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^python3-click=8\.1\.3-2: SHA-256 [0-9a-f]{64} is not the pinned c3af7e23[0-9a-f]{56}; deleted it$/);
    expect(message).not.toContain('\n');
    expect(existsSync(planted)).toBe(false);
  });
});
