import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { UsageError } from '../../src/errors.js';
import { InvalidBlobShaError } from '../../src/cache/errors.js';
import { assertBlobSha, cacheFilePath, isBlobSha, modelDirName, modelFromDirName } from '../../src/cache/paths.js';
import { SHA1, SHA256 } from '../helpers/cache-data.js';

describe('blob sha validation', () => {
  it.each([SHA1, SHA256])('accepts %s', (sha) => {
    expect(isBlobSha(sha)).toBe(true);
    expect(cacheFilePath('/root', 'm', sha)).toBe(`/root/m/${sha.slice(0, 2)}/${sha}.safetensors.zst`);
  });

  it.each([
    ['path traversal', '../../etc/passwd'],
    ['traversal padded to 40', '../../../../../../../../../../etc/passwd'],
    ['uppercase', SHA1.toUpperCase()],
    ['39 hex', SHA1.slice(0, 39)],
    ['41 hex', `${SHA1}0`],
    ['63 hex', SHA256.slice(0, 63)],
    ['65 hex', `${SHA256}0`],
    ['non-hex', `${SHA1.slice(0, 39)}g`],
    ['empty', ''],
    ['trailing newline', `${SHA1}\n`],
    ['slash inside', `${SHA1.slice(0, 20)}/${SHA1.slice(21)}`],
    ['NUL inside', `${SHA1.slice(0, 39)}\0`],
    ['not a string', 12345 as unknown as string],
  ])('rejects %s', (_name, sha) => {
    expect(isBlobSha(sha)).toBe(false);
    expect(() => assertBlobSha(sha)).toThrow(InvalidBlobShaError);
    expect(() => cacheFilePath('/root', 'm', sha)).toThrow(UsageError);
  });
});

describe('model directory names', () => {
  it.each([
    ['text-embedding-3-large', 'text-embedding-3-large'],
    ['local-v1', 'local-v1'],
    ['nomic-embed-text-v1.5', 'nomic-embed-text-v1.5'],
    ['BAAI/bge-m3', '%42%41%41%49%2Fbge-m3'],
    ['..', '%2E%2E'],
    ['.', '%2E'],
    ['.hidden', '%2Ehidden'],
    ['trailing.', 'trailing%2E'],
    ['a b', 'a%20b'],
    ['100%', '100%25'],
    ['é', '%C3%A9'],
    ['nul', '%6Eul'],
    ['com1.large', '%63om1.large'],
    ['con-tent', 'con-tent'],
  ])('%s -> %s', (model, dir) => {
    expect(modelDirName(model)).toBe(dir);
    expect(modelFromDirName(dir)).toBe(model);
  });

  it('rejects empty, lone-surrogate and over-long names', () => {
    expect(() => modelDirName('')).toThrow(UsageError);
    expect(() => modelDirName('a\uD800b')).toThrow(UsageError);
    expect(() => modelDirName('X'.repeat(100))).toThrow(UsageError);
  });

  it('does not recognise directory names it would not produce', () => {
    for (const dir of ['Upper', '%2e', 'a%2', '%61', '%FF', '.', '..', 'a/b', '']) expect(modelFromDirName(dir)).toBeUndefined();
  });

  it('is injective, even on case-insensitive file systems, and never a special name', () => {
    const names = fc.string({ minLength: 1, maxLength: 24, unit: 'grapheme' });
    fc.assert(
      fc.property(names, names, (a, b) => {
        fc.pre(a !== b);
        const da = modelDirName(a);
        const db = modelDirName(b);
        expect(da.toLowerCase()).not.toBe(db.toLowerCase());
        for (const d of [da, db]) {
          expect(d).toMatch(/^(?:[a-z0-9._-]|%[0-9A-F]{2})+$/);
          expect(d.startsWith('.') || d.endsWith('.')).toBe(false);
        }
        expect(modelFromDirName(da)).toBe(a);
      }),
      { numRuns: 1000, seed: 9 },
    );
  });
});
