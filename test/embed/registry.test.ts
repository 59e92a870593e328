import { describe, expect, it } from 'vitest';
import { LOCAL_MODELS } from '../../src/embed/names.js';
import { LOCAL_MODEL_BUILDERS } from '../../src/embed/providers/local.js';
import { knownModel, PROVIDERS, providerEntryFor } from '../../src/embed/registry.js';
import { KNOWN_OPENAI_MODELS } from '../../src/embed/providers/openai.js';

describe('the provider registry', () => {
  it('lists each kind once, the catch-all last', () => {
    const kinds = PROVIDERS.map((p) => p.kind);
    expect(kinds).toEqual(['local', 'openai', 'onnx', 'openai-compatible']);
    expect(PROVIDERS.at(-1)?.serves('anything-a-server-serves')).toBe(true);
    expect(PROVIDERS.slice(0, -1).some((p) => p.serves('anything-a-server-serves'))).toBe(false);
  });

  it.each([
    ['local', 'local'],
    ['local-v1', 'local'],
    ['text-embedding-3-large', 'openai'],
    ['text-embedding-3-small', 'openai'],
    ['text-embedding-ada-002', 'openai'],
    ['nomic-embed-text', 'openai-compatible'],
    ['bge-m3', 'openai-compatible'],
    ['bge-small-en-v1.5', 'onnx'],
    ['jina-code-v2', 'onnx'],
    ['hf:org/model', 'onnx'],
    ['onnx', 'onnx'],
    // Names that are properties of every object are still just model names.
    ['constructor', 'openai-compatible'],
    ['toString', 'openai-compatible'],
  ])('%s is served by %s', (name, kind) => {
    expect(providerEntryFor(name).kind).toBe(kind);
  });

  it('serves every local model, each with its parameters', () => {
    for (const name of LOCAL_MODELS) {
      expect(providerEntryFor(name).kind).toBe('local');
      expect(knownModel(name)?.dims).toBe(LOCAL_MODEL_BUILDERS[name].dims);
    }
  });

  it('knows sizes and prices without asking anyone, for dry runs', () => {
    expect(knownModel(' local ')).toEqual({ dims: 512, usdPerMillionTokens: 0, maxInputTokens: 8192, shortenable: false });
    for (const [name, facts] of Object.entries(KNOWN_OPENAI_MODELS)) expect(knownModel(name)).toEqual(facts);
    expect(knownModel('nomic-embed-text')).toBeUndefined();
    expect(knownModel('')).toBeUndefined();
  });
});
