/**
 * Eval corpora in languages other than JavaScript come from Debian packages,
 * fetched at bench time (never committed: the project ships no one else's code)
 * with the system's own `apt-get download`, checked against a pinned SHA-256 and
 * unpacked with `dpkg-deb -x`. The .deb is cached under ~/.cache/gitctx-bench so
 * later runs need no network.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The packages the eval sets name, by `package=version`, with the SHA-256 of the .deb we wrote the questions against. */
export const PINNED_DEBS: Readonly<Record<string, string>> = Object.freeze({
  'python3-click=8.1.3-2': 'c3af7e231d711f7fdb9a2fac4954061fe423ea517279bc30bf95a0920738279b',
  'golang-github-spf13-cobra-dev=1.6.1-1': '4f5d20855133319beef3c5b49d3c21a0406f270bf94fb4b6f4d406b691283cb2',
  'golang-github-spf13-pflag-dev=1.0.6~git20210604-d5e0c0615ace-1': 'bd1c3c2a3e47512a64da02ebea900eb5a3f3c5d386e559d5718a3a935c0ea570',
  'python3-rich=13.3.1-1': '4922761342dd42eb989dcc148e7a251401caf0266796f9fb0907be262d4a4083',
});

export interface DebianSource {
  package: string;
  version: string;
  /** Directory inside the package that holds the corpus folder (e.g. `usr/lib/python3/dist-packages`). */
  root: string;
}

export interface UnpackedDeb {
  /** The directory that holds the corpus folder. */
  root: string;
  dispose(): void;
}

export function benchCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'gitctx-bench');
}

function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

function firstLine(err: unknown): string {
  const e = err as { stderr?: Buffer | string; message?: string };
  const text = (e.stderr?.toString() ?? '').split('\n').find((l) => /^E:|error/i.test(l)) ?? e.message ?? String(err);
  return text.split('\n')[0]?.trim() ?? 'unknown error';
}

/**
 * Fetches (or reuses) the pinned .deb and unpacks it into a fresh temp dir.
 * Throws an Error with a one-line message when the package cannot be had or
 * does not match its pin; callers report it and skip the set.
 */
export function unpackPinnedDeb(source: DebianSource): UnpackedDeb {
  const key = `${source.package}=${source.version}`;
  const pinned = PINNED_DEBS[key];
  if (pinned === undefined) throw new Error(`${key} has no pinned SHA-256`);
  const cache = join(benchCacheDir(), 'debs');
  mkdirSync(cache, { recursive: true });
  // apt-get names the file package_version_arch.deb, with ':' in an epoch escaped; the arch is not known in advance.
  const prefix = `${source.package}_${source.version.replace(/:/g, '%3a')}_`;
  const cached = (): string | undefined => {
    const name = readdirSync(cache).find((f) => f.startsWith(prefix) && f.endsWith('.deb'));
    return name === undefined ? undefined : join(cache, name);
  };
  let deb = cached();
  if (deb === undefined) {
    try {
      execFileSync('apt-get', ['download', key], { cwd: cache, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      throw new Error(`apt-get download ${key} failed: ${firstLine(err)}`);
    }
    deb = cached();
    if (deb === undefined) throw new Error(`apt-get download ${key} left no .deb in ${cache}`);
  }
  const actual = sha256(deb);
  if (actual !== pinned) {
    rmSync(deb, { force: true });
    throw new Error(`${key}: SHA-256 ${actual} is not the pinned ${pinned}; deleted it`);
  }
  const dir = mkdtempSync(join(tmpdir(), `gitctx-eval-deb-${source.package}-`));
  try {
    execFileSync('dpkg-deb', ['-x', deb, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`dpkg-deb -x ${key} failed: ${firstLine(err)}`);
  }
  const root = join(dir, source.root);
  if (!existsSync(root)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${key} has no ${source.root}`);
  }
  return { root, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
