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
  /**
   * Requests go unsigned, with none of the user's credentials: the endpoint was named by the
   * repository's committed file, not by the user.
   */
  anonymous?: true;
  /** Set for the run that writes it: the writer lease, confirmed before each step a lapsed writer must not take. */
  writer?: WriterLease;
}

/**
 * The writer lease of a shared index, as the writes see it. Object storage has no fencing: a
 * writer stopped past the stale time (a suspended laptop, a frozen CI runner) wakes up with
 * its lease taken over and must find that out before it commits over the new holder's index.
 */
export interface WriterLease {
  /** Asks the storage (one listing); IndexLockedError (exit 9) when another run has taken the lease over. */
  confirm(): Promise<void>;
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

/**
 * Confirms the writer lease of a shared index before a write (a local index has its lock file).
 * A write that starts just before a takeover still lands: object storage offers no fencing, so
 * this narrows the window to one batch rather than closing it.
 */
export async function confirmWriter(location: IndexLocation): Promise<void> {
  if (isRemote(location)) await location.writer?.confirm();
}
