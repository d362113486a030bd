import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAffected, type NxAffected } from './affected.ts';

// The refinement on top of Nx, with Nx replaced by a recorder: which files Nx is asked about, and what is
// added from the release definitions of both commits (here an app-of-apps tree, resolved with real helm).
const fixture = path.resolve(import.meta.dirname, '../../../../test/fixtures/resolution/app-of-apps');
let root: string;
const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim();

beforeAll(() => {
  root = mkdtempSync(path.join(tmpdir(), 'homelab-affected-core-'));
  cpSync(fixture, root, { recursive: true });
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 't@example.invalid');
  git('config', 'user.name', 'T');
  git('add', '--all');
  git('commit', '--quiet', '-m', 'base');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function recorder(answer: string[]): { nx: NxAffected; asked: string[][] } {
  const asked: string[][] = [];
  return { asked, nx: async (_root, files) => (asked.push(files), answer) };
}

describe('computeAffected beyond Nx', () => {
  it('finds the child charts whose Application an app-of-apps change redefines (base rendered in a worktree)', async () => {
    const base = git('rev-parse', 'HEAD');
    const file = path.join(root, 'clusters/home/values/apps.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('namespace: web', 'namespace: frontend'));
    git('commit', '--quiet', '-am', 'web moves to namespace frontend');
    // Nx sees only root's value file change: the apps chart's tasks.
    const { nx, asked } = recorder(['apps']);
    const result = await computeAffected(root, { base, nx });
    expect(asked).toEqual([['clusters/home/values/apps.yaml']]);
    expect(result.projects).toEqual(['apps', 'web']);
    expect(result.reasons.web).toEqual(['release home/web is defined differently']);
    expect(result.releases.base.map((r) => `${r.name}:${r.chart}`).sort()).toEqual(['root:apps', 'web:web']);
  });

  it('returns nothing, and asks Nx nothing, when the branch changes no file', async () => {
    git('checkout', '--quiet', '-b', 'empty');
    git('commit', '--quiet', '--allow-empty', '-m', 'nothing');
    const { nx, asked } = recorder(['apps']);
    const result = await computeAffected(root, { base: 'main', nx });
    expect(result.files).toEqual([]);
    expect(result.projects).toEqual([]);
    expect(asked).toEqual([]);
  });
});
