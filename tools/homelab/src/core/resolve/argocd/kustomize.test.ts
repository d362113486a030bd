import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeLayout } from '../../workspace/layout.ts';
import { resolveReleases } from '../releases.ts';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'kustomize-'));
  roots.push(root);
  const all = {
    'charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
    'charts/web/values.yaml': 'a: 1\n',
    'clusters/home/cluster.yaml': 'kubeContext: home\nkubeVersion: "1.33.0"\n',
    ...files,
  };
  for (const [file, text] of Object.entries(all)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const APP =
  'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: https://example.invalid/r.git\n    path: k\n  destination:\n    namespace: web\n';

describe('resolveReleases with a kustomization source', () => {
  it('makes one kustomize release for the Application; the charts its helmCharts inflate get no release of their own', async () => {
    const root = workspace({
      'clusters/home/cluster.yaml': 'kubeContext: home\nkubeVersion: "1.33.0"\nkustomizeBuildOptions: --enable-helm\n',
      'clusters/home/web.yaml': APP.replace('    path: k\n', '    path: k\n    kustomize:\n      namePrefix: home-\n'),
      'k/kustomization.yaml': 'namespace: web\nresources: [../base]\nhelmGlobals: {chartHome: ../charts}\nhelmCharts:\n  - {name: web, releaseName: w}\n',
      'base/kustomization.yaml': 'resources: [cm.yaml]\n',
      'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
    });
    const resolution = await resolveReleases(normalizeLayout(root));
    expect(resolution.findings).toEqual([]);
    expect(resolution.releases.map((r) => [r.name, r.chart, r.chartDir, r.namespace, r.kubeVersion, r.definedIn, r.source])).toEqual([
      [
        'web',
        'k',
        'k',
        'web',
        '1.33.0',
        ['clusters/home/web.yaml'],
        {
          kind: 'kustomize',
          path: 'k',
          options: { namePrefix: 'home-' },
          buildOptions: '--enable-helm',
          repoURL: 'https://example.invalid/r.git',
          targetRevision: '',
          reads: ['base', 'charts/web'],
          pulls: [],
        },
      ],
    ]);
  });

  it('names a missing chart; a chart kustomize would pull is recorded where kustomize looks for it first', async () => {
    const missing = workspace({ 'clusters/home/web.yaml': APP, 'k/kustomization.yaml': 'helmCharts:\n  - {name: web, releaseName: w}\n' });
    expect((await resolveReleases(normalizeLayout(missing))).findings[0].message).toBe('k/kustomization.yaml: helmCharts[0]: no chart at k/charts/web');
    const pulled = workspace({
      'clusters/home/web.yaml': APP,
      'k/kustomization.yaml': [
        'helmCharts:',
        '  - {name: podinfo, repo: https://charts.example.invalid, version: 6.0.0, releaseName: p}',
        '  - {name: redis, repo: oci://registry.example.invalid/charts, releaseName: r}',
        '  - {name: vendored, repo: https://charts.example.invalid, version: 1.0.0, releaseName: v}',
        '',
      ].join('\n'),
      'k/charts/vendored-1.0.0/vendored/Chart.yaml': 'apiVersion: v2\nname: vendored\nversion: 1.0.0\n',
    });
    const resolution = await resolveReleases(normalizeLayout(pulled));
    expect(resolution.findings).toEqual([]);
    const source = resolution.releases[0].source;
    expect(source?.kind === 'kustomize' && [source.reads, source.pulls]).toEqual([
      ['k/charts/vendored-1.0.0/vendored'],
      [
        { dir: 'k/charts/podinfo-6.0.0/podinfo', repoURL: 'https://charts.example.invalid', chart: 'podinfo', version: '6.0.0' },
        { dir: 'k/charts/redis', repoURL: 'oci://registry.example.invalid/charts', chart: 'redis', version: '' },
      ],
    ]);
  });
});

describe('resolveReleases with a directory source', () => {
  it('makes a directory release whose project is named after its Application, or after its path when a chart has that name', async () => {
    const app = (name: string, path: string, extra = '') =>
      `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  source:\n    repoURL: https://example.invalid/r.git\n    path: ${path}\n${extra}  destination:\n    namespace: ${name}\n`;
    const root = workspace({
      'clusters/home/a.yaml': app('plain', 'manifests/plain', '    directory:\n      recurse: true\n      exclude: "*.skip.yaml"\n'),
      'clusters/home/b.yaml': app('web', 'manifests/web'),
      'manifests/plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
      'manifests/web/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
    });
    const resolution = await resolveReleases(normalizeLayout(root));
    expect(resolution.releases.filter((r) => r.source).map((r) => [r.name, r.chart, r.chartDir, r.source])).toEqual([
      ['web', 'manifests-web', 'manifests/web', { kind: 'directory', path: 'manifests/web', recurse: false, include: '', exclude: '' }],
      ['plain', 'plain', 'manifests/plain', { kind: 'directory', path: 'manifests/plain', recurse: true, include: '', exclude: '*.skip.yaml' }],
    ]);
  });
});
