/**
 * Settings resolved from plain objects, one per layer, for tests that ask what the settings
 * decide (endpoints, approvals, storage) without writing any file.
 */
import { resolveSettings } from '../../src/config/index.js';
import type { ResolvedSettings, SettingsLayer } from '../../src/config/index.js';

export type Layers = Partial<Record<SettingsLayer['source'], Record<string, unknown>>>;

export function resolvedLayers(layers: Layers): ResolvedSettings {
  const order = ['repo', 'user', 'env', 'flag'] as const;
  return resolveSettings(
    order
      .filter((source) => layers[source] !== undefined)
      .map((source) => ({ source, origin: source, values: new Map(Object.entries(layers[source]!)) })),
  );
}
