/**
 * The vector size a dry run plans with, for a model the table does not know and `model.dimensions`
 * does not give: learnt from what is on disk (the index built with that model, else the cache's
 * files for it), never from its server, because a dry run sends nothing.
 */
import { cachedDims } from '../cache-maintenance/index.js';
import type { Settings } from '../config/index.js';
import { knownModel } from '../embed/index.js';
import { readIndexMeta } from '../store/meta.js';
import type { Workspace } from '../workspace/index.js';

/** Undefined when the size is known anyway, or when nothing on disk was made with the model. */
export async function dryRunDims(workspace: Workspace, settings: Settings): Promise<number | undefined> {
  const model = settings.model.embedding.trim();
  if (settings.model.dimensions !== undefined || knownModel(model) !== undefined) return undefined;
  const meta = await readIndexMeta(workspace.dbDir);
  if (meta?.model === model) return meta.dims;
  return cachedDims(workspace.embeddingsDir, model);
}
