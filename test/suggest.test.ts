// "Did you mean": near enough to be a typo, or nothing.
import { describe, expect, it } from 'vitest';
import { closest, editDistance } from '../src/suggest.js';
import { catalogueNames } from '../src/scenario/load.js';

describe('closest', () => {
  it('finds the scenario a typo meant', () => {
    expect(closest('weak_dh', catalogueNames())).toBe('weak-dh');
    expect(closest('expird-cert', catalogueNames())).toBe('expired-cert');
    expect(closest('Greylist', catalogueNames())).toBe('greylist');
    expect(closest('greting', ['greeting', 'ehlo', 'size'])).toBe('greeting');
  });

  it('suggests nothing for a word that is not near any', () => {
    expect(closest('no-such-thing', catalogueNames())).toBeUndefined();
    expect(closest('frobnicate', ['list', 'show', 'explain', 'serve', 'matrix', 'certs'])).toBeUndefined();
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('lsit', 'list')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
  });
});
