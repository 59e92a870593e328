/**
 * The embedding providers gitctx knows, as one table: each entry says which model names it
 * serves, what it knows about them without asking anyone (size and price, for dry runs), and
 * how to build the provider from the resolved model settings. `createProvider` (factory.ts)
 * asks the entries in order; the first that serves a name builds it.
 *
 * A new provider is one module in providers/ exporting a `ProviderEntry`, its test, and one
 * line in PROVIDERS below. Entries load their implementation only when `create` runs, so
 * listing a provider here costs nothing to the commands that do not use it.
 */
import { localProvider } from './providers/local.js';
import { onnxProvider } from './providers/onnx.js';
import { openAICompatibleProvider } from './providers/openai-compatible.js';
import { openAIProvider } from './providers/openai.js';
import type { ProviderOptions } from './factory.js';
import type { EmbeddingProvider } from './types.js';

/** What is known about a model without asking its server. */
export interface KnownModel {
  dims: number;
  usdPerMillionTokens: number;
  maxInputTokens: number;
  /** Accepts the `dimensions` parameter. */
  shortenable: boolean;
}

export interface ProviderEntry {
  /** Names the provider in tests and messages: `local`, `openai`, `openai-compatible`. */
  readonly kind: string;
  /** Whether this provider takes the model name (trimmed, never empty). */
  serves(name: string): boolean;
  /**
   * Size, price and input limit known without asking anyone (a dry run plans with these);
   * undefined when only the model's server knows.
   */
  known(name: string): KnownModel | undefined;
  /**
   * Builds the provider for `name` (trimmed, served by this entry). `options.dimensions`, when
   * given, is already a whole number in range. Under `options.dryRun` nothing may be sent
   * (createProvider also makes a network provider's `embed` refuse).
   */
  create(name: string, options: ProviderOptions): Promise<EmbeddingProvider>;
}

/** In the order asked: the catch-all (any name a compatible server serves) comes last. */
export const PROVIDERS: readonly ProviderEntry[] = Object.freeze([localProvider, openAIProvider, onnxProvider, openAICompatibleProvider]);

/** The entry that builds `name` (trimmed, not empty). */
export function providerEntryFor(name: string): ProviderEntry {
  const entry = PROVIDERS.find((candidate) => candidate.serves(name));
  // The last entry serves every name, so this is a broken table, not a user's mistake.
  if (entry === undefined) throw new Error(`no embedding provider serves ${JSON.stringify(name)}; this is a bug in gitctx`);
  return entry;
}

/** What the registry knows about `name` without asking anyone; undefined for a model only its server can size. */
export function knownModel(name: string): KnownModel | undefined {
  const trimmed = name.trim();
  return trimmed === '' ? undefined : providerEntryFor(trimmed).known(trimmed);
}
