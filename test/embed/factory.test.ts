import { afterEach, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/embed/factory.js';
import { AuthError, ExitCode, ProviderUnreachableError, UsageError, exitCodeOf } from '../../src/errors.js';
import { refusedUrl, startFakeOpenAI, type FakeOpenAI } from '../helpers/fake-openai-server.js';

let server: FakeOpenAI | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('createProvider', () => {
  it.each(['local', 'local-v2', ' local '])('%j gives local-v2, the default, with no key and no network', async (embedding) => {
    const p = await createProvider({ embedding });
    expect(p.model).toBe('local-v2');
    expect(p.dims).toBe(1024);
  });

  it('still gives local-v1 by name', async () => {
    const p = await createProvider({ embedding: 'local-v1' });
    expect(p.model).toBe('local-v1');
    expect(p.dims).toBe(512);
  });

  it('refuses model.dimensions for the local model unless it is its size', async () => {
    await expect(createProvider({ embedding: 'local', dimensions: 256 })).rejects.toBeInstanceOf(UsageError);
    expect((await createProvider({ embedding: 'local', dimensions: 1024 })).dims).toBe(1024);
    expect((await createProvider({ embedding: 'local-v1', dimensions: 512 })).dims).toBe(512);
  });

  it.each([
    ['text-embedding-3-large', 3072, 0.13],
    ['text-embedding-3-small', 1536, 0.02],
  ])('%s: %i dims at $%f per million tokens', async (embedding, dims, price) => {
    const p = await createProvider({ embedding, apiKey: 'sk-test-key-123456' });
    expect(p.model).toBe(embedding);
    expect(p.dims).toBe(dims);
    expect(p.usdPerMillionTokens).toBe(price);
    expect(p.maxInputTokens).toBe(8191);
    expect(p.countTokens('hello world')).toBe(2);
  });

  it('names shortened vectors apart from full ones', async () => {
    const p = await createProvider({ embedding: 'text-embedding-3-large', dimensions: 256, apiKey: 'sk-test-key-123456' });
    expect(p.model).toBe('text-embedding-3-large@256');
    expect(p.dims).toBe(256);
    const full = await createProvider({ embedding: 'text-embedding-3-large', dimensions: 3072, apiKey: 'sk-test-key-123456' });
    expect(full.model).toBe('text-embedding-3-large');
  });

  it.each([0, -1, 1.5, 4000])('rejects model.dimensions %d for text-embedding-3-large', async (dimensions) => {
    const err = await createProvider({ embedding: 'text-embedding-3-large', dimensions, apiKey: 'sk-x-123456' }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(exitCodeOf(err)).toBe(ExitCode.usage);
  });

  it('a missing key for OpenAI → exit 4 with a one-line hint', async () => {
    for (const apiKey of [undefined, '', '  ']) {
      const err = await createProvider({ embedding: 'text-embedding-3-small', apiKey }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AuthError);
      expect(exitCodeOf(err)).toBe(ExitCode.auth);
      expect((err as Error).message).toBe(
        'OpenAI API key missing: set OPENAI_API_KEY or run `gitctx config set --user api_keys.openai sk-...`',
      );
    }
  });

  it('rejects a base URL that is not http(s)', async () => {
    await expect(createProvider({ embedding: 'm', baseUrl: 'ftp://x', dimensions: 4 })).rejects.toBeInstanceOf(UsageError);
    await expect(createProvider({ embedding: 'm', baseUrl: 'not a url', dimensions: 4 })).rejects.toBeInstanceOf(UsageError);
  });

  it('an unknown model on a compatible server: size learned from one probe, price 0, no key needed', async () => {
    server = await startFakeOpenAI({ dims: 24 });
    const p = await createProvider({ embedding: 'nomic-embed-text', baseUrl: `${server.baseUrl}/` });
    expect(p.model).toBe('nomic-embed-text');
    expect(p.dims).toBe(24);
    expect(p.usdPerMillionTokens).toBe(0);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.authorization).toBe('Bearer no-key');
    const r = await p.embed(['a', 'b']);
    expect(r.vectors.map((v) => v.length)).toEqual([24, 24]);
    expect(r.costUsd).toBe(0);
  });

  it('an unknown model with model.dimensions: no probe, dimensions sent, name carries the size', async () => {
    server = await startFakeOpenAI({ dims: 24 });
    const p = await createProvider({ embedding: 'bge-m3', baseUrl: server.baseUrl, dimensions: 12 });
    expect(p.model).toBe('bge-m3@12');
    expect(server.requests).toHaveLength(0);
    await p.embed(['a']);
    expect(server.requests[0]?.dimensions).toBe(12);
  });

  it('a keyless server that wants a key → exit 4 saying a key is needed', async () => {
    server = await startFakeOpenAI({ apiKey: 'sk-needed-123456' });
    const err = await createProvider({ embedding: 'nomic-embed-text', baseUrl: server.baseUrl }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as Error).message).toMatch(/needs an API key \(401\): set OPENAI_API_KEY/);
  });

  it('an unreachable server while probing → exit 5', async () => {
    const err = await createProvider({
      embedding: 'nomic-embed-text',
      baseUrl: await refusedUrl(),
      maxRetries: 1,
      retry: { baseDelayMs: 1 },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderUnreachableError);
    expect(exitCodeOf(err)).toBe(ExitCode.unreachable);
  });
});
