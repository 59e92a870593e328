/**
 * Cache codec speed and size, against the zstd CLI measured in the same run.
 *
 * For files of 1, 8 and 64 chunks of 3072 dims (a typical file is ~8 chunks,
 * ~100 KB) and each encoding: the median time of our whole codec path in memory
 * (validate + encode + safetensors + zstd, and back: zstd + parse + verify +
 * decode), beside `zstd -b3` on the same uncompressed safetensors bytes. The
 * CLI does only compression, so the ratio shows what our layers add; the target
 * is within 1.5x. Spec budget: under 10 ms per file each way.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CacheKey } from '../src/cache/codec.js';
import { decodeCacheFile, encodeCacheFile } from '../src/cache/codec.js';
import { zstdDecompress } from '../src/cache/zstd.js';
import type { CacheEncoding, Embedding } from '../src/cache/types.js';
import { CACHE_ENCODINGS } from '../src/cache/types.js';

const DIMS = 3072;
const CHUNK_COUNTS = [1, 8, 64];
const MIN_MS = 250;
const MIN_RUNS = 15;

/** Unit vectors with Gaussian components from a seeded PRNG: the statistics of real embedding output. */
function embeddings(count: number, seed: number): Embedding[] {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, (_, c) => {
    const v = Float64Array.from({ length: DIMS }, () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random()));
    const norm = Math.hypot(...v);
    return { vector: Float32Array.from(v, (x) => x / norm), startLine: c * 30 + 1, endLine: c * 30 + 30, tokens: 300, chunkHash: `${seed}-${c}` };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median milliseconds of `fn` over at least MIN_RUNS runs and MIN_MS, after a warm-up. */
function time(fn: () => unknown): number {
  for (let i = 0; i < 5; i++) fn();
  const samples: number[] = [];
  const start = performance.now();
  while (samples.length < MIN_RUNS || performance.now() - start < MIN_MS) {
    const t = performance.now();
    fn();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

interface CliSpeed {
  compressMBps: number;
  decompressMBps: number;
}

/** `zstd -b3` on a file: compression and decompression speed in MB/s (10^6 bytes, as zstd reports). */
function cliBench(path: string): CliSpeed | undefined {
  const result = spawnSync('zstd', ['-b3', '-i1', path], { encoding: 'utf8' });
  if (result.status !== 0) return undefined;
  const text = `${result.stdout}\n${result.stderr}`.replace(/\r/g, '\n');
  const matches = [...text.matchAll(/->\s+\d+\s+\(x[\d.]+\),\s+([\d.]+) MB\/s,\s+([\d.]+) MB\/s/g)];
  const last = matches.at(-1);
  if (last === undefined) return undefined;
  return { compressMBps: Number(last[1]), decompressMBps: Number(last[2]) };
}

const fmt = (ms: number): string => (ms >= 1 ? ms.toFixed(2) : ms.toFixed(3));

export default async function (): Promise<void> {
  const hasCli = spawnSync('zstd', ['--version']).status === 0;
  const work = mkdtempSync(join(tmpdir(), 'gitctx-bench-cache-'));
  const rows: string[] = [
    '| chunks | encoding | uncompressed B | compressed B | ratio | encode ms | zstd -b3 c ms | enc/CLI | decode ms | zstd -b3 d ms | dec/CLI |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  try {
    for (const chunks of CHUNK_COUNTS) {
      const input = embeddings(chunks, chunks);
      for (const encoding of CACHE_ENCODINGS as readonly CacheEncoding[]) {
        const key: CacheKey = { blobSha: 'a94a8fe5ccb19ba61c4c0873d391e987982fbbd3', model: 'text-embedding-3-large', dims: DIMS, chunker: 'bench/1' };
        const file = encodeCacheFile(key, input, { encoding });
        const raw = zstdDecompress(file);
        (globalThis as { gc?: () => void }).gc?.();
        const encodeMs = time(() => encodeCacheFile(key, input, { encoding }));
        const decodeMs = time(() => decodeCacheFile(file, key));

        let cli: CliSpeed | undefined;
        if (hasCli) {
          const path = join(work, `${chunks}-${encoding}.safetensors`);
          writeFileSync(path, raw);
          cli = cliBench(path);
        }
        const cliC = cli ? raw.length / (cli.compressMBps * 1e6) * 1e3 : undefined;
        const cliD = cli ? raw.length / (cli.decompressMBps * 1e6) * 1e3 : undefined;
        rows.push(
          [
            chunks,
            encoding,
            raw.length,
            file.length,
            (file.length / raw.length).toFixed(3),
            fmt(encodeMs),
            cliC === undefined ? 'n/a' : fmt(cliC),
            cliC === undefined ? 'n/a' : `${(encodeMs / cliC).toFixed(2)}x`,
            fmt(decodeMs),
            cliD === undefined ? 'n/a' : fmt(cliD),
            cliD === undefined ? 'n/a' : `${(decodeMs / cliD).toFixed(2)}x`,
          ].join(' | ').replace(/^/, '| ').replace(/$/, ' |'),
        );
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  process.stdout.write(
    `\nratio = compressed / uncompressed safetensors of the same encoding (f16's uncompressed file is half the F32 one).\n` +
      `ms = median per file; our columns are the full codec path in memory, the CLI columns zstd alone at level 3.\n` +
      (hasCli ? '' : 'zstd CLI not found: CLI columns skipped.\n'),
  );
}
