import { describe, expect, it } from 'vitest';
import { stem } from '../../src/embed/stem.js';

describe('stem', () => {
  it.each([
    [['validate', 'validates', 'validated', 'validating', 'validation', 'validator', 'validators']],
    [['parse', 'parses', 'parsed', 'parsing', 'parser']],
    [['serialize', 'serializer', 'serialization']],
    [['coerce', 'coerced', 'coercion']],
    [['entry', 'entries']],
    [['error', 'errors']],
    [['run', 'running']],
  ])('%j share one stem', (family) => {
    const stems = new Set(family.map(stem));
    expect(stems.size).toBe(1);
  });

  it('leaves short words and ss/us/is endings alone', () => {
    expect(stem('ok')).toBe('ok');
    expect(stem('class')).toBe('class');
    expect(stem('status')).toBe('status');
    expect(stem('analysis')).toBe('analysis');
  });
});
