import { z } from 'zod';
import { CACHE_ENCODINGS } from '../cache/types.js';
import { DEFAULT_FORMAT, FORMATS } from '../format/types.js';
import { MAX_RESULTS, SEARCH_MODES } from '../search/types.js';
import { DB_URI_PATTERN, STORAGE_OPTION_PATTERN } from './storage.js';

/**
 * The most `index.max_file_bytes` may be: 8 MiB, whatever a repository commits.
 *
 * Every indexed file's vectors must fit one cache file, which is at most 256 MiB
 * decompressed (src/cache/zstd.ts). At the widest model (text-embedding-3-large,
 * 3072 f32 dimensions: 12,288 bytes, plus about 72 bytes of span metadata) that is
 * 21,700 vectors. A chunk aims at 400 tokens, and a token is at least one byte in
 * every tokenizer gitctx uses (byte-level BPE, and the local model's estimate), so
 * an 8 MiB file cut into full chunks makes at most 8,388,608 / 400 = 20,972 of
 * them: it can always be cached. Files that chunk into many undersized pieces, or
 * wider custom models, are caught per file (skipped as `too-large`, before
 * embedding). It also bounds memory: indexing holds a file's text, its chunks and
 * their vectors at once (test/config/settings.test.ts checks this arithmetic).
 */
export const MAX_FILE_BYTES_CEILING = 8 * 1024 * 1024;

/**
 * The one declaration of every setting: its type, its allowed values and its default.
 * Everything else (env names, `config list`, string parsing, errors) is derived from it.
 */
export const settingsSchema = z
  .object({
    model: z
      .object({
        embedding: z.string().min(1).default('local'),
        base_url: z.url({ protocol: /^https?$/ }).optional(),
        dimensions: z.int().positive().max(65_536).optional(),
        /** Retries of one API request (429, 5xx, timeouts, refused connections) before giving up with exit 5. */
        max_retries: z.int().min(0).max(20).default(6),
        /** Time allowed for one API request. */
        timeout_ms: z.int().min(100).max(600_000).default(60_000),
        /** Where model weights are downloaded from: a Hugging Face hub or a mirror of its file API. */
        hub_url: z.url({ protocol: /^https?$/ }).optional(),
        /** A local directory with an ONNX model's files: used instead of downloading them (user settings only). */
        path: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .prefault({}),
    index: z
      .object({
        refs: z.array(z.string().min(1)).min(1).default(['HEAD']),
        exclude: z.array(z.string().min(1)).default([]),
        max_file_bytes: z.int().positive().max(MAX_FILE_BYTES_CEILING).default(1024 * 1024),
        /** The index on object storage instead of .gitctx/db: a CI job writes it, every clone searches it. */
        db_uri: z.string().regex(DB_URI_PATTERN).describe('an s3://, gs:// or az:// URI: bucket, then an optional /prefix').optional(),
        /** `name=value` options LanceDB reaches db_uri with; credentials only in the user file or environment. */
        storage_options: z
          .array(z.string().regex(STORAGE_OPTION_PATTERN).max(4096))
          .max(64)
          .describe('a comma-separated list (or JSON array) of name=value, e.g. aws_endpoint=https://minio.example.com,aws_region=us-east-1')
          .default([]),
      })
      .strict()
      .prefault({}),
    cache: z
      .object({
        encoding: z.enum(CACHE_ENCODINGS).default('f32'),
      })
      .strict()
      .prefault({}),
    search: z
      .object({
        limit: z.int().min(1).max(MAX_RESULTS).default(10),
        min_score: z.number().finite().optional(),
        format: z.enum(FORMATS).default(DEFAULT_FORMAT),
        mode: z.enum(SEARCH_MODES).default('hybrid'),
        prefer_source: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    api_keys: z
      .object({
        openai: z.string().min(1).optional(),
        huggingface: z.string().min(1).optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type Settings = z.infer<typeof settingsSchema>;

/** Keys whose values are secrets: shown masked everywhere. */
export const SECRET_KEYS: ReadonlySet<string> = new Set(['api_keys.openai', 'api_keys.huggingface']);

/** Keys that may only live in the user file, because the repo file is committed. */
export const USER_ONLY_SECTIONS: ReadonlySet<string> = new Set(['api_keys']);

/**
 * Single keys that may only come from the user (user file, environment, flags): `model.path` makes
 * gitctx load a model file from this machine, which a cloned repository must not choose.
 */
export const USER_ONLY_KEYS: ReadonlySet<string> = new Set(['model.path']);

export type SettingKind = 'string' | 'number' | 'boolean' | 'list' | 'enum';

export interface SettingKey {
  key: string;
  kind: SettingKind;
  /** The leaf schema, defaults and optionality stripped. */
  schema: z.ZodType;
  values?: readonly string[];
  defaultValue: unknown;
}

type Wrapped = z.ZodType & { unwrap(): z.ZodType };

function leafOf(schema: z.ZodType): { leaf: z.ZodType; defaultValue: unknown } {
  let current = schema;
  let defaultValue: unknown;
  for (;;) {
    const type = current.def.type;
    if (type === 'default') defaultValue = (current.def as unknown as { defaultValue: unknown }).defaultValue;
    if (type !== 'default' && type !== 'optional' && type !== 'prefault') return { leaf: current, defaultValue };
    current = (current as Wrapped).unwrap();
  }
}

function kindOf(leaf: z.ZodType): SettingKind {
  switch (leaf.def.type) {
    case 'number':
      return 'number';
    case 'boolean':
      return 'boolean';
    case 'array':
      return 'list';
    case 'enum':
      return 'enum';
    default:
      return 'string';
  }
}

function collectKeys(): SettingKey[] {
  const keys: SettingKey[] = [];
  for (const [section, sectionSchema] of Object.entries(settingsSchema.shape)) {
    const { leaf: object } = leafOf(sectionSchema);
    for (const [name, fieldSchema] of Object.entries((object as z.ZodObject).shape)) {
      const { leaf, defaultValue } = leafOf(fieldSchema as z.ZodType);
      const kind = kindOf(leaf);
      keys.push({
        key: `${section}.${name}`,
        kind,
        schema: leaf,
        defaultValue,
        ...(kind === 'enum' ? { values: (leaf as z.ZodEnum).options as string[] } : {}),
      });
    }
  }
  return keys;
}

export const SETTING_KEYS: readonly SettingKey[] = collectKeys();
const byKey = new Map(SETTING_KEYS.map((k) => [k.key, k]));

export function findSettingKey(key: string): SettingKey | undefined {
  return byKey.get(key);
}
