import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProvider, type ProviderOptions } from '../../src/embed/factory.js';
import type { EmbeddingProvider } from '../../src/embed/types.js';
import {
  AuthError,
  ExitCode,
  InterruptedError,
  ProviderUnreachableError,
  UsageError,
  exitCodeOf,
} from '../../src/errors.js';
import { fakeEmbedding, refusedUrl, startFakeOpenAI, type Fault, type FakeOpenAI } from '../helpers/fake-openai-server.js';

const KEY = 'sk-test-0123456789abcdefSECRET';
const DIMS = 8;

let server: FakeOpenAI;

beforeEach(async () => {
  server = await startFakeOpenAI({ apiKey: KEY, echoKeyInErrors: true, maxInputs: 2048, maxTokens: 300_000 });
});

afterEach(async () => {
  await server.close();
});

/** text-embedding-3-large shortened to 8 dims: the real price, tiny replies. */
function provider(overrides: Partial<ProviderOptions> = {}): Promise<EmbeddingProvider> {
  return createProvider({
    embedding: 'text-embedding-3-large',
    dimensions: DIMS,
    baseUrl: server.baseUrl,
    apiKey: KEY,
    timeoutMs: 2_000,
    maxRetries: 3,
    retry: { baseDelayMs: 5, maxDelayMs: 20 },
    ...overrides,
  });
}

function expectFake(vectors: Float32Array[], texts: string[]): void {
  expect(vectors).toHaveLength(texts.length);
  texts.forEach((t, i) => {
    const want = fakeEmbedding(t, DIMS);
    const got = vectors[i] as Float32Array;
    expect(got.length).toBe(DIMS);
    for (let j = 0; j < DIMS; j++) expect(got[j]).toBeCloseTo(want[j] as number, 6);
  });
}

/** The error `p` rejects with, checked to say nothing of the key, however it is printed. */
async function failure(p: Promise<unknown>): Promise<Error> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
  expect(err.message).not.toContain(KEY);
  expect(inspect(err, { depth: 10 })).not.toContain(KEY);
  return err;
}

describe('openai provider against a fake server', () => {
  it('embeds in order, names the shortened model, and accounts tokens and cost', async () => {
    const p = await provider();
    expect(p.model).toBe('text-embedding-3-large@8');
    expect(p.dims).toBe(DIMS);
    const texts = ['alpha', 'beta gamma', 'δέλτα', 'const x = 1;'];
    const result = await p.embed(texts);
    expectFake(result.vectors, texts);
    const req = server.requests[0];
    expect(req?.model).toBe('text-embedding-3-large');
    expect(req?.dimensions).toBe(DIMS);
    expect(req?.authorization).toBe(`Bearer ${KEY}`);
    const billed = server.requests.reduce((s, r) => s + r.tokens, 0);
    expect(result.tokens).toBe(billed);
    expect(result.tokens).toBe(texts.reduce((s, t) => s + p.countTokens(t), 0));
    expect(result.costUsd).toBeCloseTo((billed * 0.13) / 1e6, 12);
    expect(result.truncated).toBe(0);
  });

  it('decodes base64 replies', async () => {
    const p = await provider({ encodingFormat: 'base64' });
    const texts = ['one', 'two'];
    expectFake((await p.embed(texts)).vectors, texts);
    expect(server.requests[0]?.encodingFormat).toBe('base64');
  });

  it('gives nothing for nothing, without a request', async () => {
    const p = await provider();
    expect(await p.embed([])).toEqual({ vectors: [], tokens: 0, costUsd: 0, truncated: 0 });
    expect(server.requests).toHaveLength(0);
  });

  it('sends an empty input as a space instead of failing', async () => {
    const p = await provider();
    const { vectors } = await p.embed(['', 'x']);
    expectFake(vectors, [' ', 'x']);
  });

  it('truncates an input over the token limit instead of sending it to fail', async () => {
    await server.close();
    server = await startFakeOpenAI({ apiKey: KEY, maxInputTokens: 8191 });
    const p = await provider();
    const long = 'token '.repeat(9000);
    const result = await p.embed([long, 'short']);
    expect(result.truncated).toBe(1);
    expect(result.vectors).toHaveLength(2);
    expect(server.requests[0]?.status).toBe(200);
    expect(server.requests[0]?.tokens).toBeLessThanOrEqual(8191 + 1);
  });

  describe('batching', () => {
    it('splits at 2,048 inputs per request', async () => {
      const p = await provider({ concurrency: 1 });
      const texts = Array.from({ length: 5000 }, (_, i) => `input ${i}`);
      const { vectors } = await p.embed(texts);
      expect(server.requests.map((r) => r.inputs)).toEqual([2048, 2048, 904]);
      expect(server.requests.every((r) => r.status === 200)).toBe(true);
      expectFake([vectors[0] as Float32Array, vectors[4999] as Float32Array], ['input 0', 'input 4999']);
    });

    it('splits at 300,000 tokens per request', async () => {
      const p = await provider({ concurrency: 1 });
      const big = (i: number): string => `${i} ` + 'word '.repeat(7990);
      const texts = Array.from({ length: 80 }, (_, i) => big(i));
      const { vectors, tokens } = await p.embed(texts);
      expect(vectors).toHaveLength(80);
      expect(server.requests.length).toBe(3);
      for (const r of server.requests) {
        expect(r.status).toBe(200);
        expect(r.tokens).toBeLessThanOrEqual(300_000);
      }
      expect(server.requests.reduce((s, r) => s + r.inputs, 0)).toBe(80);
      expect(tokens).toBe(server.requests.reduce((s, r) => s + r.tokens, 0));
    });

    it('keeps at most `concurrency` requests in flight and preserves order', async () => {
      server.setDelay(30);
      const p = await provider({ concurrency: 3, batchLimits: { maxInputs: 1 } });
      const texts = Array.from({ length: 12 }, (_, i) => `text ${i}`);
      const { vectors } = await p.embed(texts);
      expect(server.requests).toHaveLength(12);
      expect(server.maxInFlight).toBe(3);
      expectFake(vectors, texts);
    });

    it('preserves order when later batches finish first', async () => {
      server.setFaults([{ slow: 80 }, { slow: 40 }, 'ok']);
      const p = await provider({ concurrency: 3, batchLimits: { maxInputs: 2 } });
      const texts = ['a', 'b', 'c', 'd', 'e', 'f'];
      expectFake((await p.embed(texts)).vectors, texts);
    });

    it('reports each finished batch through onProgress', async () => {
      const p = await provider({ concurrency: 1 });
      const texts = Array.from({ length: 3000 }, (_, i) => `t${i}`);
      const seen: [number, number, number][] = [];
      await p.embed(texts, { onProgress: (d) => seen.push([d.start, d.end, d.vectors.length]) });
      expect(seen).toEqual([
        [0, 2048, 2048],
        [2048, 3000, 952],
      ]);
    });
  });

  describe('retries', () => {
    it('honours retry-after-ms on 429', async () => {
      server.setFaults([{ status: 429, retryAfterMs: 150 }]);
      const p = await provider();
      expectFake((await p.embed(['a'])).vectors, ['a']);
      const [first, second] = server.requests;
      expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
      expect((second?.at ?? 0) - (first?.doneAt ?? 0)).toBeGreaterThanOrEqual(140);
    });

    it('honours Retry-After in seconds', async () => {
      server.setFaults([{ status: 429, retryAfter: 1 }]);
      const p = await provider();
      await p.embed(['a']);
      const [first, second] = server.requests;
      expect((second?.at ?? 0) - (first?.doneAt ?? 0)).toBeGreaterThanOrEqual(980);
    });

    it.each<[string, Fault]>([
      ['500', { status: 500 }],
      ['503', { status: 503 }],
      ['a dropped connection', 'close'],
      ['malformed JSON', 'malformed-json'],
      ['too few vectors', 'wrong-count'],
      ['vectors of the wrong size', 'wrong-dims'],
      ['a NaN', 'nan'],
      ['a repeated index', 'duplicate-index'],
      ['a reply slower than the timeout', { slow: 400 }],
    ])('recovers from %s', async (_name, fault) => {
      server.setFaults([fault, fault]);
      const p = await provider({ timeoutMs: 200 });
      const texts = ['first', 'second', 'third'];
      expectFake((await p.embed(texts)).vectors, texts);
      expect(server.requests).toHaveLength(3);
    });

    it('rejects a NaN sent in base64 too', async () => {
      server.setFaults(['nan']);
      const p = await provider({ encodingFormat: 'base64' });
      expectFake((await p.embed(['a', 'b'])).vectors, ['a', 'b']);
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('failures end in the documented exit code', () => {
    it.each<[string, Fault, RegExp]>([
      ['500', { status: 500 }, /failed after 4 attempts: 500/],
      ['429', { status: 429, retryAfterMs: 1 }, /failed after 4 attempts: 429/],
      ['malformed JSON', 'malformed-json', /unreadable reply/],
      ['too few vectors', 'wrong-count', /invalid reply: reply has 1 vectors for 2 inputs/],
      ['wrong size', 'wrong-dims', /invalid reply: vector has 7 dimensions, expected 8/],
      ['NaN', 'nan', /unreadable reply/],
      ['slow replies', { slow: 300 }, /no reply within 100 ms/],
    ])('persistent %s → exit 5 after bounded retries, no vectors', async (_name, fault, message) => {
      server.setDefaultFault(fault);
      const p = await provider({ timeoutMs: 100 });
      const progress: number[] = [];
      const err = await failure(p.embed(['a', 'b'], { onProgress: (d) => progress.push(d.end) }));
      expect(err).toBeInstanceOf(ProviderUnreachableError);
      expect(exitCodeOf(err)).toBe(ExitCode.unreachable);
      expect(err.message).toMatch(message);
      expect(err.message).toContain(server.baseUrl);
      expect(progress).toEqual([]);
      expect(server.requests.length).toBe(4);
    });

    it('connection refused → exit 5 naming the error', async () => {
      const p = await createProvider({
        embedding: 'text-embedding-3-small',
        baseUrl: await refusedUrl(),
        apiKey: KEY,
        maxRetries: 2,
        retry: { baseDelayMs: 5 },
      });
      const err = await failure(p.embed(['a']));
      expect(err).toBeInstanceOf(ProviderUnreachableError);
      expect(err.message).toMatch(/failed after 3 attempts: .*ECONNREFUSED/);
    });

    it.each([401, 403])('%i → exit 4 at once, saying how to set the key, key never shown', async (status) => {
      server.setDefaultFault({ status });
      const p = await provider();
      const err = await failure(p.embed(['a']));
      expect(err).toBeInstanceOf(AuthError);
      expect(exitCodeOf(err)).toBe(ExitCode.auth);
      expect(err.message).toContain('OPENAI_API_KEY');
      expect(err.message).toContain('gitctx config set --user api_keys.openai');
      expect(err.message.split('\n')).toHaveLength(1);
      expect(server.requests).toHaveLength(1);
    });

    it('a wrong key → exit 4 even when the server echoes the key in its message', async () => {
      const p = await provider({ apiKey: 'sk-wrong-key-9876543210' });
      const err = await failure(p.embed(['a']));
      expect(err).toBeInstanceOf(AuthError);
      expect(err.message).not.toContain('sk-wrong-key-9876543210');
      expect(server.requests).toHaveLength(1);
    });

    it.each([400, 404, 422])('%i → exit 2 at once with the server message, key scrubbed', async (status) => {
      server.setDefaultFault({ status });
      const p = await provider();
      const err = await failure(p.embed(['a']));
      expect(err).toBeInstanceOf(UsageError);
      expect(err.message).toContain(`${status}`);
      expect(err.message).toContain('sk-...RET');
      expect(server.requests).toHaveLength(1);
    });

    it('retries give up within the time limit even when the server asks for a long wait', async () => {
      server.setDefaultFault({ status: 429, retryAfter: 60 });
      const p = await provider({ retry: { baseDelayMs: 5, maxElapsedMs: 500 } });
      const t0 = Date.now();
      const err = await failure(p.embed(['a']));
      expect(err).toBeInstanceOf(ProviderUnreachableError);
      expect(err.message).toContain('retry time limit');
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(server.requests).toHaveLength(1);
    });

    it('one failing batch fails the call and stops the rest', async () => {
      server.setFaults(['ok', { status: 400 }]);
      const p = await provider({ concurrency: 1 });
      const texts = Array.from({ length: 5000 }, (_, i) => `x${i}`);
      const done: number[] = [];
      const err = await failure(p.embed(texts, { onProgress: (d) => done.push(d.end) }));
      expect(err).toBeInstanceOf(UsageError);
      expect(done).toEqual([2048]);
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('interruption', () => {
    it('an abort stops new requests and rejects with exit 130', async () => {
      server.setDelay(100);
      const p = await provider({ concurrency: 1 });
      const controller = new AbortController();
      const texts = Array.from({ length: 5000 }, (_, i) => `x${i}`);
      const pending = p.embed(texts, { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      const err = await failure(pending);
      expect(err).toBeInstanceOf(InterruptedError);
      expect(exitCodeOf(err)).toBe(ExitCode.interrupted);
      await new Promise((r) => setTimeout(r, 250));
      expect(server.requests).toHaveLength(1);
    });

    it('an abort during a retry wait ends the wait', async () => {
      server.setDefaultFault({ status: 429, retryAfter: 30 });
      const p = await provider();
      const controller = new AbortController();
      const pending = p.embed(['a'], { signal: controller.signal });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      controller.abort();
      await expect(pending).rejects.toBeInstanceOf(InterruptedError);
      expect(Date.now() - t0).toBeLessThan(1_000);
    });
  });
});
