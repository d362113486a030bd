import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { matchGlob, staticPrefix, type GlobDialect } from './glob.ts';
import { RepoFiles } from './repo-files.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Names that sort around each other (`a` < `a-b` < `a.b` < `a/…` < `ab`) and nest. */
function tree(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'repo-files-'));
  dirs.push(root);
  for (const dir of ['a', 'a-b', 'a.b', 'ab', 'b', 'a/b', 'a/b/c', 'a-b/c', 'apps/x', 'apps/x-1', 'apps/y/helm', 'apps/z/w/helm']) {
    mkdirSync(path.join(root, dir), { recursive: true });
    writeFileSync(path.join(root, dir, 'f.yaml'), '');
  }
  return root;
}

describe('RepoFiles.glob', () => {
  it('finds what matching every path below its fixed directories finds, sorted, with globs sharing one walk', async () => {
    const root = tree();
    const files = new RepoFiles(root);
    const all = { dir: await new RepoFiles(root).walk('', 'dir'), file: await new RepoFiles(root).walk('', 'file') };
    const cases: [string, GlobDialect, 'dir' | 'file'][] = [
      ['a*', 'go', 'dir'],
      ['a-*', 'go', 'dir'],
      ['a', 'go', 'dir'],
      ['apps/x*', 'go', 'dir'],
      ['apps/*', 'doublestar', 'dir'],
      ['apps/**/helm', 'doublestar', 'dir'],
      ['**', 'doublestar', 'dir'],
      ['a/**', 'doublestar', 'dir'],
      ['{a,b}/*', 'doublestar', 'dir'],
      ['a*/f.yaml', 'pathspec', 'file'],
      ['apps/*/f.yaml', 'go', 'file'],
    ];
    for (const [pattern, dialect, kind] of cases) {
      const prefix = staticPrefix(pattern);
      const below = all[kind].filter((p) => prefix === '' || p.startsWith(`${prefix}/`));
      const expected = below.filter((p) => matchGlob(pattern, p, dialect)).sort();
      expect({ pattern, found: await files.glob(pattern, dialect, kind) }).toEqual({ pattern, found: expected });
    }
  });
});
