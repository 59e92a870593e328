import { describe, expect, it } from 'vitest';
import { maskSecret, redactSecrets } from '../../src/embed/mask.js';

describe('maskSecret', () => {
  it('shows the first and last three characters', () => {
    expect(maskSecret('sk-proj-abcdefghijklmnop')).toBe('sk-...nop');
  });

  it('hides short values entirely', () => {
    expect(maskSecret('short')).toBe('***');
    expect(maskSecret('')).toBe('***');
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence', () => {
    const key = 'sk-secret-1234567890';
    expect(redactSecrets(`bad key ${key}; again ${key}`, [key])).toBe('bad key sk-...890; again sk-...890');
  });

  it('ignores undefined and placeholder-short secrets', () => {
    expect(redactSecrets('no-key here', [undefined, 'no'])).toBe('no-key here');
  });
});
