import { describe, expect, it } from 'vitest';
import { displayUrl, maskSecret, redactSecrets, urlSecrets } from '../../src/embed/mask.js';

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

describe('URLs in messages', () => {
  it('drop credentials and query strings', () => {
    expect(displayUrl('https://user:tok3n-secret@proxy.example/v1?api-key=abcdef123456')).toBe('https://proxy.example/v1');
    expect(urlSecrets('https://user:tok3n-secret@proxy.example/v1?api-key=abcdef123456')).toEqual(['tok3n-secret', 'abcdef123456']);
    expect(displayUrl('not a url')).toBe('(an invalid URL)');
  });
});
