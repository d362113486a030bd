import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normalizeLayout } from '../workspace/layout.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { gitRemoteURLs, normalizeRepoURL } from '../workspace/git-remotes.ts';
import { openWorkspace, resolveFresh } from './workspace.ts';
import { template } from '../commands/template.ts';

// Shapes of real repositories the example does not have, resolved with real helm for the app-of-apps renders.
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function repo(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'homelab-shapes-'));
  roots.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const chart = (name: string) => `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n`;
const application = (name: string, repoURL: string, chartPath: string, extra = '') =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\nspec:\n  project: default\n` +
  `  source:\n    repoURL: ${repoURL}\n    path: ${chartPath}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${name}\n${extra}`;
const resolveAt = async (root: string) => (await resolveFresh(normalizeLayout(root), new RepoFiles(root))).resolution;
const REPO = 'https://git.example.invalid/me/homelab.git';

describe('a root Application that its own app-of-apps chart renders', () => {
  const files = (renderedExtra: string) => ({
    'charts/apps/Chart.yaml': chart('apps'),
    'charts/apps/templates/apps.yaml': `${application('root', REPO, 'charts/apps', renderedExtra)}---\n${application('web', REPO, 'charts/web')}`,
    'charts/web/Chart.yaml': chart('web'),
    'clusters/home/root.yaml': application('root', REPO, 'charts/apps'),
  });

  it('is one object: the chart deploys itself and its children, nothing is defined twice', async () => {
    const res = await resolveAt(repo(files('')));
    expect(res.findings).toEqual([]);
    expect(res.releases.map((r) => `${r.name}:${r.chart}:${r.origin}`)).toEqual(['root:apps:application', 'web:web:app-of-apps']);
    expect(res.warnings).toEqual([]);
  });

  it('says so when the rendered copy differs from the one applied by hand', async () => {
    const res = await resolveAt(repo(files('  syncPolicy:\n    automated: {}\n')));
    expect(res.findings).toEqual([]);
    expect(res.warnings).toContain(
      'clusters/home/root.yaml: Application root differs from the copy its own chart renders; ArgoCD converges to the rendered one',
    );
  });
});

describe('sources in another git repository', () => {
  const files = {
    'charts/web/Chart.yaml': chart('web'),
    'clusters/home/web.yaml': application('web', REPO, 'charts/web'),
    // Another repository whose layout happens to match this one, and one whose path does not exist here.
    'clusters/home/shared.yaml': application('shared', 'git@git.example.invalid:team/platform.git', 'charts/web'),
    'clusters/home/tools.yaml': application('tools', 'https://git.example.invalid/team/tools', 'deploy/tools'),
  };
  const git = (root: string, ...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });

  it('are recorded, never read as local paths, once the checkout has a remote the Applications name', async () => {
    const root = repo(files);
    git(root, 'init', '--quiet');
    git(root, 'remote', 'add', 'origin', 'ssh://git@git.example.invalid/me/homelab');
    const res = await resolveAt(root);
    expect(res.findings).toEqual([]);
    expect(res.releases.map((r) => r.application)).toEqual(['web']);
    expect(res.warnings).toEqual([
      'clusters/home/shared.yaml: Application shared: source git@git.example.invalid:team/platform.git is another repository (not a remote of this checkout): its charts/web is not rendered',
      'clusters/home/tools.yaml: Application tools: source https://git.example.invalid/team/tools is another repository (not a remote of this checkout): its deploy/tools is not rendered',
    ]);
  });

  it('are read as this repository when the checkout has no remote (nothing tells them apart)', async () => {
    const res = await resolveAt(repo(files));
    expect(res.releases.map((r) => r.application)).toEqual(['shared', 'web']);
    expect(res.findings.map((f) => f.message)).toEqual([
      expect.stringMatching(/^clusters\/home\/tools\.yaml: Application tools: source path "deploy\/tools" is not a chart/),
    ]);
  });
});

describe('repository URLs', () => {
  it('spell one repository one way, as ArgoCD compares them', () => {
    const spellings = [
      'https://git.example.invalid/Me/homelab.git',
      'https://user@git.example.invalid/Me/homelab',
      'ssh://git@git.example.invalid/Me/homelab.git',
      'git@git.example.invalid:Me/homelab.git',
      'https://GIT.example.invalid/Me/homelab/',
    ];
    expect(new Set(spellings.map(normalizeRepoURL))).toEqual(new Set(['git.example.invalid/Me/homelab']));
  });

  it('are read from the checkout, also from a linked worktree', () => {
    const root = repo({ 'README.md': 'x\n' });
    const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore' });
    git('init', '--quiet');
    git('-c', 'user.email=t@example.invalid', '-c', 'user.name=T', 'commit', '--quiet', '--allow-empty', '-m', 'x');
    git('remote', 'add', 'origin', 'https://git.example.invalid/me/homelab.git');
    git('remote', 'add', 'mirror', 'git@mirror.example.invalid:me/homelab');
    const worktree = path.join(root, '..', `${path.basename(root)}-wt`);
    roots.push(worktree);
    git('worktree', 'add', '--quiet', '--detach', worktree);
    expect(gitRemoteURLs(root)).toEqual(['git.example.invalid/me/homelab', 'mirror.example.invalid/me/homelab']);
    expect(gitRemoteURLs(worktree)).toEqual(gitRemoteURLs(root));
    expect(gitRemoteURLs(tmpdir())).toEqual([]);
  });
});

describe('releases sharing a name', () => {
  it('write different output files: per cluster, and per namespace when one cluster installs the name twice', async () => {
    const web = (name: string, namespace: string) =>
      application(name, REPO, 'charts/web')
        .replace(`namespace: ${name}\n`, `namespace: ${namespace}\n`)
        .replace('path: charts/web', 'path: charts/web\n    helm:\n      releaseName: web');
    const root = repo({
      'charts/web/Chart.yaml': chart('web'),
      'charts/web/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n  namespace: {{ .Release.Namespace }}\n',
      'clusters/home/blog.yaml': web('blog', 'blog'),
      'clusters/home/docs.yaml': web('docs', 'docs'),
      'clusters/lab/web.yaml': web('web', 'web'),
    });
    const ws = await openWorkspace(root);
    const printed: string[] = [];
    await template(ws, { target: 'web', keyless: true, outputDir: 'out' }, (line) => printed.push(line));
    expect(printed.join('').trim().split('\n').sort()).toEqual(['out/home/blog/web.yaml', 'out/home/docs/web.yaml', 'out/lab/web.yaml']);
    expect(readdirSync(path.join(root, 'out/home/docs'))).toEqual(['web.yaml']);
    expect(readFileSync(path.join(root, 'out/home/docs/web.yaml'), 'utf8')).toContain('namespace: docs');
  });
});
