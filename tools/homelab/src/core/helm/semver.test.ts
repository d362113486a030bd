import { describe, expect, it } from 'vitest';
import { parseRange, resolveRevision } from './semver.ts';

const published = ['2.0.0-rc.1', '1.10.0', '1.9.3', '1.2.0', '1.2', 'v1.1.0', '1.0.0', '0.3.1', '0.2.5', '0.2.3', 'not-semver'];

describe('targetRevision resolution (Masterminds semver, as ArgoCD and Helm resolve it)', () => {
  it.each([
    ['1.0.0', '1.0.0'], // a published string wins as is
    ['1.2', '1.2'],
    ['v1.0.0', '1.0.0'], // a version that is not published as written matches an equal one
    ['1.9', '1.9.3'], // a version without patch is a range: the highest 1.9.x
    ['^1.0.0', '1.10.0'],
    ['~1.2.0', '1.2.0'],
    ['~1', '1.10.0'],
    ['1.x', '1.10.0'],
    ['^0.2.3', '0.2.5'],
    ['^0.0', undefined],
    ['>=1.0.0, <1.5.0', '1.2.0'],
    ['>= 1.0.0 < 1.5.0', '1.2.0'],
    ['1.1.0 - 1.9.3', '1.9.3'],
    ['<1.0.0 || >=1.9.0 <1.10.0', '1.9.3'],
    ['*', '1.10.0'],
    ['', '1.10.0'], // no revision: the newest release
    ['>=2.0.0-0', '2.0.0-rc.1'], // a range with a prerelease admits prereleases
    ['>=1.10.1', undefined], // 2.0.0-rc.1 is a prerelease: excluded
    ['!=1.10.0, >=1.9.0', '1.9.3'],
    ['not-semver', 'not-semver'],
    ['main', undefined],
  ])('%s → %s', (revision, expected) => {
    expect(resolveRevision(revision, published)).toBe(expected);
  });

  it('refuses what is not a range', () => {
    expect(parseRange('>= 1 <')).toBeUndefined();
    expect(parseRange('^1.2 ||')).toBeDefined();
  });
});
