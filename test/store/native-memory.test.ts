import { describe, expect, it } from 'vitest';
import { boundWriterMemory } from '../../src/store/native-memory.js';

describe('boundWriterMemory', () => {
  it('bounds the compaction scan and the full-text index build where the environment says nothing', () => {
    const env: NodeJS.ProcessEnv = {};
    boundWriterMemory(env);
    expect(env).toMatchObject({
      LANCE_DEFAULT_FRAGMENT_READAHEAD: '1',
      LANCE_DEFAULT_BATCH_SIZE: '1024',
      LANCE_FTS_PARTITION_SIZE: '64',
      LANCE_FTS_NUM_SHARDS: '2',
    });
    expect(Number(env.LANCE_DEFAULT_IO_BUFFER_SIZE)).toBeGreaterThanOrEqual(32 * 1024 * 1024);
  });

  it("leaves a value the user set alone, and fills one set empty", () => {
    const env: NodeJS.ProcessEnv = { LANCE_FTS_PARTITION_SIZE: '512', LANCE_DEFAULT_BATCH_SIZE: '' };
    boundWriterMemory(env);
    expect(env.LANCE_FTS_PARTITION_SIZE).toBe('512');
    expect(env.LANCE_DEFAULT_BATCH_SIZE).toBe('1024');
  });
});
