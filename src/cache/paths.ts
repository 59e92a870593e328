/**
 * Where a cache file lives: `<root>/<model-dir>/<sha[0:2]>/<sha>.safetensors.zst`.
 * Every name that becomes a path component is validated or escaped here first.
 * Pure code: no I/O.
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { InvalidBlobShaError } from './errors.js';

export const CACHE_FILE_SUFFIX = '.safetensors.zst';

/**
 * Git blob ids exactly as git prints them: 40 (SHA-1) or 64 (SHA-256) lowercase
 * hex digits. Uppercase is rejected rather than folded: accepting it would give
 * one blob two spellings, and thus two files on case-sensitive file systems.
 */
const BLOB_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export function isBlobSha(value: unknown): value is string {
  return typeof value === 'string' && BLOB_SHA.test(value);
}

export function assertBlobSha(value: unknown): asserts value is string {
  if (!isBlobSha(value)) throw new InvalidBlobShaError(value);
}

const WINDOWS_DEVICE_NAMES = new Set([
  'con', 'prn', 'aux', 'nul',
  'com1', 'com2', 'com3', 'com4', 'com5', 'com6', 'com7', 'com8', 'com9',
  'lpt1', 'lpt2', 'lpt3', 'lpt4', 'lpt5', 'lpt6', 'lpt7', 'lpt8', 'lpt9',
]);

const MAX_NAME_BYTES = 255;

// TextEncoder would turn a lone surrogate into U+FFFD, so two names could share a directory.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isPlainByte(byte: number): boolean {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f || byte === 0x2e;
}

function escapeByte(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * A model name as one directory name. Bytes of its UTF-8 form in [a-z0-9._-] are
 * kept; every other byte (uppercase letters included) becomes `%XX` with uppercase
 * hex. A leading or trailing `.` is escaped too, so the result is never `.`, `..`,
 * hidden, or a name Windows trims; a Windows device name (`nul`, `com1`) gets
 * its first letter escaped.
 *
 * Injective even on case-insensitive file systems: kept letters are always
 * lowercase and escapes always uppercase, so no two models can fold together.
 * Examples: `text-embedding-3-large` → itself, `local-v1` → itself,
 * `BAAI/bge-m3` → `%42%41%41%49%2Fbge-m3`.
 */
export function modelDirName(model: string): string {
  if (typeof model !== 'string' || model.length === 0) throw new UsageError('embedding model name must not be empty');
  if (LONE_SURROGATE.test(model)) throw new UsageError(`embedding model name ${JSON.stringify(model)} is not valid Unicode`);
  const bytes = new TextEncoder().encode(model);
  let name = '';
  bytes.forEach((byte, i) => {
    const dotAtEdge = byte === 0x2e && (i === 0 || i === bytes.length - 1);
    name += isPlainByte(byte) && !dotAtEdge ? String.fromCharCode(byte) : escapeByte(byte);
  });
  const stem = name.split('.')[0] ?? '';
  if (WINDOWS_DEVICE_NAMES.has(stem)) name = escapeByte(name.charCodeAt(0)) + name.slice(1);
  if (name.length > MAX_NAME_BYTES) {
    throw new UsageError(`embedding model name is too long for a directory name (${name.length} bytes escaped, limit ${MAX_NAME_BYTES})`);
  }
  return name;
}

/** The model a directory name stands for, or undefined if `modelDirName` would not produce it. */
export function modelFromDirName(dir: string): string | undefined {
  if (!/^(?:[a-z0-9._-]|%[0-9A-F]{2})+$/.test(dir)) return undefined;
  let model: string;
  try {
    model = decodeURIComponent(dir);
  } catch (err) {
    // Escapes that are not UTF-8 (URIError) cannot come from modelDirName: not ours.
    if (err instanceof URIError) return undefined;
    throw err;
  }
  return modelDirName(model) === dir ? model : undefined;
}

/** Path of one cache file. The sha is validated before it touches the path. */
export function cacheFilePath(root: string, modelDir: string, blobSha: string): string {
  assertBlobSha(blobSha);
  return join(root, modelDir, blobSha.slice(0, 2), `${blobSha}${CACHE_FILE_SUFFIX}`);
}
