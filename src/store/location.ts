/**
 * Where an index lives: `.gitctx/db` on this machine (a directory path), or a LanceDB URI on
 * object storage (`s3://`, `gs://`, `az://`) that a CI job writes and every clone reads. The
 * remote form carries the storage options LanceDB connects with, and the credentials among
 * them, which no message may show.
 */
import { redactSecrets } from '../embed/mask.js';

export interface RemoteIndex {
  /** `s3://bucket/prefix`: the LanceDB database the tables, meta and writer lock live in. */
  uri: string;
  /** Passed to LanceDB as they are (endpoint, region, credentials...). */
  storageOptions: Readonly<Record<string, string>>;
  /** Values to scrub from any message: credentials in the options or in the environment. */
  secrets: readonly string[];
}

/** A directory (`.gitctx/db`) or an index on object storage. */
export type IndexLocation = string | RemoteIndex;

export function isRemote(location: IndexLocation): location is RemoteIndex {
  return typeof location !== 'string';
}

/** The location as it may be shown. */
export function describeLocation(location: IndexLocation): string {
  return isRemote(location) ? location.uri : location;
}

/** A native error's text as it may be shown: credentials masked, one bounded line. */
export function remoteMessage(location: RemoteIndex, err: unknown): string {
  const text = redactSecrets(err instanceof Error ? err.message : String(err), location.secrets).replace(/\s+/g, ' ').trim();
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
