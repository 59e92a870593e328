/**
 * Model files from a Hugging Face hub (or a mirror that speaks its file API), downloaded on
 * first use into `$GITCTX_HOME/models` and verified before anything reads them.
 *
 * Contract shared by the ONNX provider (which asks for files) and the downloader (which
 * fetches them). Implementation: in progress.
 */

export interface ModelFilesRequest {
  /** Hub base URL, `https://huggingface.co` by default, or a mirror. */
  hubUrl: string;
  /** `<org>/<name>` on the hub. */
  repo: string;
  /** A branch, tag or 40-hex commit; resolved to a commit before anything is downloaded. */
  revision: string;
  /** Paths inside the repository, e.g. `onnx/model.onnx`, `tokenizer.json`. */
  files: readonly string[];
  /** `$GITCTX_HOME/models`. */
  modelsDir: string;
  /** Bytes done and total of the whole request, for a progress line on stderr. */
  onProgress?: (done: number, total: number, file: string) => void;
  signal?: AbortSignal;
}

export interface ModelFiles {
  /** The directory holding every requested file under its repository path, verified. */
  dir: string;
  /** The 40-hex commit the revision resolved to (part of the cache's model name). */
  commit: string;
}

/**
 * Every requested file present and verified in a local directory, downloading what is missing.
 * Throws NetworkError (exit 5, naming the URL) when the hub cannot be reached, and never returns
 * a directory with a partial or unverified file.
 */
export async function ensureModelFiles(request: ModelFilesRequest): Promise<ModelFiles> {
  void request;
  throw new Error('hub downloads are not implemented yet');
}
