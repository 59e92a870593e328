import type { BlobContent, BlobSource } from './blob-reader.js';
import { MissingObjectError } from './errors.js';

/**
 * A BlobSource over a map, for tests of code that reads blobs: deterministic,
 * no git, and it records what was asked so a test can check reads were not repeated.
 */
export class MemoryBlobSource implements BlobSource {
  readonly requested: string[] = [];
  private readonly blobs: Map<string, Buffer>;
  private closed = false;

  constructor(blobs: Iterable<readonly [string, string | Uint8Array]> = []) {
    this.blobs = new Map([...blobs].map(([sha, content]) => [sha, Buffer.from(content)]));
  }

  set(sha: string, content: string | Uint8Array): void {
    this.blobs.set(sha, Buffer.from(content));
  }

  read(sha: string): Promise<Buffer> {
    if (this.closed) return Promise.reject(new Error('blob source closed'));
    this.requested.push(sha);
    const content = this.blobs.get(sha);
    return content === undefined ? Promise.reject(new MissingObjectError(sha)) : Promise.resolve(Buffer.from(content));
  }

  async *readMany(shas: Iterable<string>): AsyncGenerator<BlobContent, void, undefined> {
    for (const sha of shas) {
      if (this.closed) throw new Error('blob source closed');
      this.requested.push(sha);
      const content = this.blobs.get(sha);
      yield { sha, content: content === undefined ? null : Buffer.from(content) };
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
