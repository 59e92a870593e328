/**
 * ONNX models in process: chunks per second for the tiny generated model (test/helpers/tiny-onnx.ts,
 * which measures the pipeline around the model: tokenizer, batching, worker threads, pooling) and
 * for each preset whose weights are already on this machine, next to local-v2 measured in the same
 * run on the same chunks. Nothing is downloaded: a preset without its files is skipped in one line.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { userConfigDir } from '../src/config/load.js';
import { createLocalV2Provider } from '../src/embed/local-v2.js';
import { createOnnxProvider, defaultThreads } from '../src/embed/onnx/provider.js';
import { ONNX_PRESETS } from '../src/embed/onnx/presets.js';
import type { OnnxPreset } from '../src/embed/onnx/presets.js';
import type { EmbeddingProvider } from '../src/embed/types.js';
import { writeTinyModelDir } from '../test/helpers/tiny-onnx.js';
import { projectRoot } from './eval/harness.js';

const out = (s: string): void => {
  process.stdout.write(s + '\n');
};

/** gitctx's own sources cut into 40-line chunks (about 400 tokens of code each). */
function sourceChunks(limit: number): string[] {
  const chunks: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) {
        const lines = readFileSync(path, 'utf8').split('\n');
        for (let i = 0; i < lines.length; i += 40) chunks.push(lines.slice(i, i + 40).join('\n'));
      }
    }
  };
  walk(join(projectRoot(), 'src'));
  return chunks.filter((c) => c.trim().length > 200).slice(0, limit);
}

async function chunksPerSecond(provider: EmbeddingProvider, chunks: readonly string[]): Promise<number> {
  await provider.embed(chunks.slice(0, 8)); // load the model (and start workers) outside the timing
  const t0 = performance.now();
  await provider.embed(chunks);
  return chunks.length / ((performance.now() - t0) / 1000);
}

/** A preset's files already on disk: the downloader's copy (`models/<org>--<name>/<commit>/`), or a directory named after the preset. */
function presentDir(modelsDir: string, preset: OnnxPreset): string | undefined {
  const candidates = [join(modelsDir, preset.repo.replace('/', '--'), preset.revision), join(modelsDir, preset.name)];
  return candidates.find((dir) => existsSync(join(dir, preset.onnxFile)) && existsSync(join(dir, 'tokenizer.json')) && statSync(dir).isDirectory());
}

export default async function onnxBench(): Promise<void> {
  const chunks = sourceChunks(Number(process.env.GITCTX_BENCH_ONNX_CHUNKS ?? 1000));
  const threads = defaultThreads();
  out(`${chunks.length} chunks of gitctx's own sources (40 lines each); worker threads: ${threads} (min(cores, 4))\n`);
  const rows: Array<[string, number]> = [];
  const baseline = await chunksPerSecond(createLocalV2Provider(), chunks);
  rows.push(['local-v2 (baseline)', baseline]);

  // The lookup alone measures gitctx's part (tokenizer, batching, pooling); with six 384×384 layers
  // the model does about a tenth of MiniLM's arithmetic per token, so threads have work to share.
  for (const [label, layers] of [['tiny ONNX model (lookup only)', 0], ['tiny ONNX model + 6 layers', 6]] as const) {
    const tiny = writeTinyModelDir({ dims: 384, maxLength: 512, layers });
    try {
      for (const n of [...new Set([1, threads])]) {
        const provider = await createOnnxProvider('onnx', { modelPath: tiny.dir, threads: n });
        rows.push([`${label}, ${n} thread${n === 1 ? '' : 's'}`, await chunksPerSecond(provider, chunks)]);
        await provider.close();
      }
    } finally {
      tiny.cleanup();
    }
  }

  const modelsDir = join(userConfigDir(), 'models');
  const realChunks = chunks.slice(0, Number(process.env.GITCTX_BENCH_ONNX_REAL_CHUNKS ?? 200));
  for (const preset of ONNX_PRESETS) {
    const dir = presentDir(modelsDir, preset);
    if (dir === undefined) {
      out(`${preset.name}: skipped, its weights are not under ${modelsDir}`);
      continue;
    }
    const provider = await createOnnxProvider(preset.name, { modelPath: dir, threads });
    // Scaled to the same chunk count as the others.
    rows.push([`${preset.name} (${realChunks.length} chunks), ${threads} threads`, await chunksPerSecond(provider, realChunks)]);
    await provider.close();
  }

  out('\n| model | chunks/s | vs local-v2 |');
  out('|---|---:|---:|');
  for (const [name, rate] of rows) out(`| ${name} | ${rate.toFixed(0)} | ${(rate / baseline).toFixed(2)}× |`);
}
