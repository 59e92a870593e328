/**
 * The one way gitctx connects to a LanceDB database, local or on object storage. A remote
 * database's failures arrive as native errors whose only detail is their text (an HTTP
 * status, a refused connection), so they are told apart here, once: credentials refused
 * is exit 4, storage unreachable is exit 5, and every message is scrubbed of credentials.
 */
import * as lancedb from '@lancedb/lancedb';
import type { Connection } from '@lancedb/lancedb';
import { AuthError, GitctxError, ProviderUnreachableError } from '../errors.js';
import { redactSecrets } from '../embed/mask.js';
import { isRemote, remoteMessage } from './location.js';
import type { IndexLocation, RemoteIndex } from './location.js';

/**
 * LanceDB's default caches (6 GB for indexes, 1 GB for metadata) are sized for
 * servers; one repository's index needs a small fraction of that.
 */
const INDEX_CACHE_BYTES = 64n * 1024n * 1024n;
const METADATA_CACHE_BYTES = 32n * 1024n * 1024n;

export async function connectTo(location: IndexLocation): Promise<Connection> {
  const session = new lancedb.Session(INDEX_CACHE_BYTES, METADATA_CACHE_BYTES);
  if (!isRemote(location)) return lancedb.connect(location, {}, session);
  return remoteCall(location, 'connecting to', () => lancedb.connect(location.uri, { storageOptions: { ...location.storageOptions } }, session));
}

const REFUSED_CREDENTIALS = /\b(?:401|403)\b|Forbidden|AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|ExpiredToken|Unauthorized/i;
const UNREACHABLE = /Connection refused|connection reset|dns error|timed out|TimedOut|ConnectError|NoSuchBucket/i;

/** The typed error for a failed call to object storage; anything unrecognised keeps exit 1, its text scrubbed. */
export function remoteError(location: RemoteIndex, doing: string, err: unknown): Error {
  if (err instanceof GitctxError) return err;
  // Told apart on the whole native text (the cause sits deep in it); shown as one bounded line.
  const full = redactSecrets(err instanceof Error ? err.message : String(err), location.secrets);
  const what = `${doing} the index at ${location.uri}`;
  const refused = REFUSED_CREDENTIALS.exec(full);
  if (refused !== null && location.anonymous === true) {
    return new AuthError(
      `${what}: access refused (${refused[0]}) to a request sent without credentials: yours go only to an endpoint you set, and this one comes from the repository's .gitctx/config.yml; set it yourself with \`gitctx config set --user index.storage_options <name=value,...>\` (or GITCTX_INDEX__STORAGE_OPTIONS)`,
    );
  }
  if (refused !== null) {
    return new AuthError(
      `${what}: credentials refused (${refused[0]}); they come from AWS_*, GOOGLE_* or AZURE_* variables, or index.storage_options in your user file`,
    );
  }
  const unreachable = UNREACHABLE.exec(full);
  if (unreachable !== null) return new ProviderUnreachableError(`${what}: object storage unreachable (${unreachable[0]}); check aws_endpoint and the network`);
  // No `cause`: it would carry the unscrubbed text to anyone who prints the chain.
  return new Error(`${what}: ${remoteMessage(location, err)}`);
}

/** Runs one call to a remote database, its failure turned into remoteError. */
export async function remoteCall<T>(location: RemoteIndex, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw remoteError(location, doing, err);
  }
}
