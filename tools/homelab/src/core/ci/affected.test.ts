import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAffected, type NxAffected } from './affected.ts';

// The refinement on top of Nx, with Nx replaced by a recorder: which files Nx is asked about, and what is
// added from the release definitions of both commits (here an app-of-apps tree, resolved with real helm).
const fixture = path.resolve(import.meta.dirname, '../../../../../test/fixtures/resolution/app-of-apps');
let root: string;
const git = (...args: string[]) =>
  execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();

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

describe('computeAffected with a broken Application', () => {
  it('selects the chart it deploys, with the finding as the reason, and still answers for the rest', async () => {
    git('checkout', '--quiet', '-b', 'broken', 'main');
    const app =
      'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: api-extra\n  namespace: argocd\n' +
      '  annotations:\n    argocd.argoproj.io/sync-wave: soon\nspec:\n  project: default\n  source:\n    repoURL: https://git.example.invalid/homelab.git\n' +
      '    path: charts/api\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: api-extra\n';
    writeFileSync(path.join(root, 'clusters/home/api-extra.yaml'), app);
    git('add', '--all');
    git('commit', '--quiet', '-m', 'a second api Application with a broken wave');
    const { nx } = recorder([]);
    const result = await computeAffected(root, { base: 'main', nx });
    expect(result.projects).toEqual(['api']);
    expect(result.reasons.api).toEqual([
      expect.stringMatching(/^head: could not be resolved \(clusters\/home\/api-extra\.yaml: Application api-extra: annotation/),
    ]);
    git('checkout', '--quiet', 'main');
  });
});

describe('computeAffected on a secrets.yaml change', () => {
  let ws: string;
  const run = (...args: string[]) =>
    execFileSync('git', args, { cwd: ws, stdio: ['ignore', 'pipe', 'pipe'] })
      .toString()
      .trim();
  const app = (name: string) =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  source:\n    repoURL: https://git.example.com/h.git\n    path: charts/${name}\n    helm:\n      valueFiles:\n        - secrets://../../secrets.yaml\n  destination:\n    namespace: ${name}\n`;
  const sops = (token: string) =>
    `a:\n  token: ENC[AES256_GCM,data:${token},iv:AAAA,tag:BBBB,type:str]\nb_unread: ENC[AES256_GCM,data:CCCC,iv:AAAA,tag:BBBB,type:str]\nsops:\n  age:\n    - recipient: age1example\n      enc: stanza\n  lastmodified: "2026-01-01T00:00:00Z"\n  mac: ENC[AES256_GCM,data:${token},iv:AAAA,tag:BBBB,type:str]\n`;

  beforeAll(() => {
    ws = mkdtempSync(path.join(tmpdir(), 'homelab-affected-secrets-'));
    const files: Record<string, string> = {
      'clusters/home/cluster.yaml': 'kubeContext: home\n',
      'clusters/home/apps/a.yaml': app('a'),
      'clusters/home/apps/b.yaml': app('b'),
      'charts/a/Chart.yaml': 'apiVersion: v2\nname: a\nversion: 0.1.0\n',
      'charts/a/templates/s.yaml': 'token: {{ .Values.a.token }}\n',
      'charts/b/Chart.yaml': 'apiVersion: v2\nname: b\nversion: 0.1.0\n',
      'charts/b/templates/s.yaml': 'name: {{ .Release.Name }}\n',
      'secrets.yaml': sops('T1'),
    };
    for (const [file, text] of Object.entries(files)) {
      execFileSync('mkdir', ['-p', path.dirname(path.join(ws, file))]);
      writeFileSync(path.join(ws, file), text);
    }
    run('init', '--quiet', '--initial-branch=main');
    run('config', 'user.email', 't@example.invalid');
    run('config', 'user.name', 'T');
    run('add', '--all');
    run('commit', '--quiet', '-m', 'base');
    writeFileSync(path.join(ws, 'secrets.yaml'), sops('T2'));
    run('commit', '--quiet', '-am', 'new token for a');
  });
  afterAll(() => rmSync(ws, { recursive: true, force: true }));

  it('keeps the readers of the changed key and the non-chart projects Nx selects, skips the other consumers', async () => {
    // Nx: every task listing secrets.yaml (both charts, and a workspace-wide check).
    const asked: string[][] = [];
    const nx: NxAffected = async (_root, files) => (asked.push(files), files.includes('secrets.yaml') ? ['a', 'b', 'workspace'] : []);
    const result = await computeAffected(ws, { base: 'HEAD~1', nx });
    expect(asked).toEqual([['secrets.yaml']]);
    expect(result.projects).toEqual(['a', 'workspace']);
    expect(result.reasons.a).toEqual(['secrets: secrets.yaml key a.token changed and its templates read it']);
    expect(result.skipped).toEqual([{ project: 'b', why: 'reads none of the changed keys of secrets.yaml' }]);
    expect(result.secretChanges[0].change.paths).toEqual([['a', 'token']]);
  });
});
