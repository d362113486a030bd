import { describe, expect, it } from 'vitest';
import { literalPrefix, matchGlob, staticPrefix, type GlobDialect } from './glob.ts';

describe('globs', () => {
  it('go dialect is path.Match: * stays in one segment, ** is no different', () => {
    expect(matchGlob('charts/*', 'charts/web', 'go')).toBe(true);
    expect(matchGlob('charts/*', 'charts/web/templates', 'go')).toBe(false);
    expect(matchGlob('charts/**', 'charts/web/templates', 'go')).toBe(false);
    expect(matchGlob('apps/*/helm', 'apps/x/helm', 'go')).toBe(true);
    expect(matchGlob('charts/[a-c]*', 'charts/blog', 'go')).toBe(true);
    expect(matchGlob('charts/[^a-c]*', 'charts/blog', 'go')).toBe(false);
    expect(matchGlob('charts/w?b', 'charts/web', 'go')).toBe(true);
    expect(matchGlob('charts/{a,b}', 'charts/a', 'go')).toBe(false);
  });

  it('doublestar dialect spans directories with ** and alternates with braces', () => {
    expect(matchGlob('charts/**', 'charts', 'doublestar')).toBe(true);
    expect(matchGlob('charts/**', 'charts/a/b', 'doublestar')).toBe(true);
    expect(matchGlob('**/Chart.yaml', 'Chart.yaml', 'doublestar')).toBe(true);
    expect(matchGlob('**/Chart.yaml', 'a/b/Chart.yaml', 'doublestar')).toBe(true);
    expect(matchGlob('apps/**/helm', 'apps/helm', 'doublestar')).toBe(true);
    expect(matchGlob('apps/**/helm', 'apps/x/y/helm', 'doublestar')).toBe(true);
    expect(matchGlob('apps/**/helm', 'apps/x/y/helmx', 'doublestar')).toBe(false);
    expect(matchGlob('charts/{web,api}', 'charts/api', 'doublestar')).toBe(true);
    expect(matchGlob('charts/*', 'charts/a/b', 'doublestar')).toBe(false);
    expect(matchGlob('charts/[!a]*', 'charts/api', 'doublestar')).toBe(false);
  });

  it('pathspec dialect lets * cross directories, as git ls-files does', () => {
    expect(matchGlob('config/*.yaml', 'config/a/b.yaml', 'pathspec')).toBe(true);
    expect(matchGlob('config/*.yaml', 'other/b.yaml', 'pathspec')).toBe(false);
  });

  it('names the text every match starts with', () => {
    expect(literalPrefix('charts/g00-*')).toBe('charts/g00-');
    expect(literalPrefix('charts/**')).toBe('charts');
    expect(literalPrefix('charts/web')).toBe('charts/web');
    expect(literalPrefix('*/x')).toBe('');
    const cases: [string, string, GlobDialect][] = [
      ['charts/**', 'charts', 'doublestar'],
      ['apps/**/helm', 'apps/helm', 'doublestar'],
      ['charts/{web,api}', 'charts/api', 'doublestar'],
      ['charts/w?b', 'charts/web', 'go'],
      ['config/*.yaml', 'config/a/b.yaml', 'pathspec'],
      ['apps/[!x]*', 'apps/y/z', 'argocd'],
    ];
    for (const [pattern, path, dialect] of cases) {
      expect(matchGlob(pattern, path, dialect)).toBe(true);
      expect(path.startsWith(literalPrefix(pattern))).toBe(true);
    }
  });

  it('finds the fixed directory a walk starts from', () => {
    expect(staticPrefix('charts/*')).toBe('charts');
    expect(staticPrefix('a/b/*/c')).toBe('a/b');
    expect(staticPrefix('*/x')).toBe('');
    expect(staticPrefix('charts/web')).toBe('charts');
  });
});
