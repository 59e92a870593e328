/**
 * ONNX text encoders run in process (onnx/): the presets (`jina-code-v2`, `bge-small-en-v1.5`,
 * `all-minilm-l6-v2`), `hf:<org>/<name>[@revision]` for any hub repository with ONNX weights,
 * and `onnx` for the model in the `model.path` directory. Free, no key; the weights come from
 * the hub on first use (or from model.path, offline). The implementation, and ONNX Runtime with
 * it, is imported only when one of these models is chosen.
 */
import { UsageError } from '../../errors.js';
import { isOnnxModelName, presetNamed } from '../onnx/presets.js';
import type { KnownModel, ProviderEntry } from '../registry.js';

export const onnxProvider: ProviderEntry = {
  kind: 'onnx',
  serves: (name) => isOnnxModelName(name),
  known(name): KnownModel | undefined {
    const preset = presetNamed(name);
    if (preset === undefined) return undefined;
    // The limit in the model's own tokens, less room for its [CLS]/[SEP]-style markers.
    return { dims: preset.dims, usdPerMillionTokens: 0, maxInputTokens: preset.maxTokens - 2, shortenable: false };
  },
  async create(name, options) {
    const preset = presetNamed(name);
    if (options.dimensions !== undefined && (preset === undefined || options.dimensions !== preset.dims)) {
      throw new UsageError(`${name} has a fixed size; model.dimensions only applies to API models`);
    }
    const { createOnnxProvider } = await import('../onnx/provider.js');
    return createOnnxProvider(name, {
      ...(options.modelPath !== undefined ? { modelPath: options.modelPath } : {}),
      ...(options.modelsDir !== undefined ? { modelsDir: options.modelsDir } : {}),
      // A dry run plans without the weights; a size the files do not state is then what the caller
      // learnt from the index or the cache, or 1: with nothing cached for the model, any size plans alike.
      ...(options.dryRun !== undefined ? { withoutWeights: true, plannedDims: options.dryRun.dims ?? 1 } : {}),
      ...(options.hubUrl !== undefined ? { hubUrl: options.hubUrl } : {}),
      ...(options.hubToken !== undefined ? { hubToken: options.hubToken } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
      ...(options.onModelDownload !== undefined ? { onProgress: options.onModelDownload } : {}),
      ...(options.onnxThreads !== undefined ? { threads: options.onnxThreads } : {}),
    });
  },
};
