/**
 * What a hub file must hash to, and hashing one. The hub names large (LFS) files by the sha256 of
 * their content and small ones by their git blob id (sha1 over `blob <size>\0` and the content),
 * so either is a full check of the bytes: nothing is used that the hub did not vouch for.
 */
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface ExpectedFile {
  /** Path inside the repository. */
  path: string;
  size: number;
  digest: { kind: 'sha256' | 'git-blob'; hex: string };
}

/** A running hash of a file's content, in the form `expected` is given in. */
export function contentHasher(expected: ExpectedFile): Hash {
  if (expected.digest.kind === 'sha256') return createHash('sha256');
  return createHash('sha1').update(`blob ${expected.size}\0`);
}

/** Feeds the first `length` bytes of the file at `path` to `hash`. */
export async function hashFilePrefix(path: string, length: number, hash: Hash): Promise<void> {
  if (length === 0) return;
  const stream = createReadStream(path, { start: 0, end: length - 1 });
  for await (const chunk of stream) hash.update(chunk as Buffer);
}

/** Whether the file at `path` has exactly the expected size and digest. */
export async function fileMatches(path: string, expected: ExpectedFile, size: number): Promise<boolean> {
  if (size !== expected.size) return false;
  const hash = contentHasher(expected);
  await hashFilePrefix(path, size, hash);
  return hash.digest('hex') === expected.digest.hex;
}

/** `"abc"`, `W/"abc"` → `abc`: an ETag's value. */
export function etagValue(etag: string | null): string | undefined {
  if (etag === null) return undefined;
  const value = etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toLowerCase();
  return value === '' ? undefined : value;
}

/** The digest an ETag names: 64 hex is the sha256 of an LFS file, 40 hex a git blob id. */
export function digestFromEtag(etag: string | undefined): ExpectedFile['digest'] | undefined {
  if (etag === undefined) return undefined;
  if (/^[0-9a-f]{64}$/.test(etag)) return { kind: 'sha256', hex: etag };
  if (/^[0-9a-f]{40}$/.test(etag)) return { kind: 'git-blob', hex: etag };
  return undefined;
}
