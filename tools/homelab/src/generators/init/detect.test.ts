import { createTree } from '@nx/devkit/testing';
import { describe, expect, it } from 'vitest';
import { TreeFiles } from '../tree-files.ts';
import { commonDir, detectLayout, syncedAsDirectory } from './detect.ts';

const CHART = 'apiVersion: v2\nname: x\nversion: 0.1.0\n';
const APP = (path: string) => `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\nspec:\n  source:\n    path: ${path}\n`;

function tree(files: Record<string, string>) {
  const t = createTree();
  for (const [file, text] of Object.entries(files)) t.write(file, text);
  return new TreeFiles(t);
}

describe('detectLayout', () => {
  it('finds charts (not their subcharts) and turns all-chart siblings into a glob', async () => {
    const layout = await detectLayout(
      tree({
        'charts/a/Chart.yaml': CHART,
        'charts/a/charts/sub/Chart.yaml': CHART,
        'charts/b/Chart.yaml': CHART,
        'clusters/home/apps/a.yaml': APP('charts/a'),
        'clusters/home/root.yaml': APP('clusters/home/apps'),
        'node_modules/pkg/Chart.yaml': CHART,
      }),
    );
    expect(layout.chartDirs).toEqual(['charts/a', 'charts/b']);
    expect(layout.chartGlobs).toEqual(['charts/*']);
    expect(layout.manifestFiles).toEqual(['clusters/home/apps/a.yaml', 'clusters/home/root.yaml']);
    expect(layout.clusterDirs).toEqual(['clusters/home']);
    expect(layout.clusterGlobs).toEqual(['clusters/*']);
  });

  it('merges group directories below a shared prefix, never top-level ones, and keeps a lone chart literal', async () => {
    const layout = await detectLayout(
      tree({
        'k8s/charts/media/a/Chart.yaml': CHART,
        'k8s/charts/infra/b/Chart.yaml': CHART,
        'apps/c/Chart.yaml': CHART,
        'charts/d/Chart.yaml': CHART,
        'gitops/home/apps/Chart.yaml': CHART,
        'gitops/home/apps/templates/apps.yaml': APP('apps/c'),
        'gitops/home/values/x.yaml': 'a: 1\n',
        'gitops/home/cluster.yaml': 'kubeContext: home\n',
        'gitops/home/root.yaml': APP('gitops/home/apps'),
      }),
    );
    expect(layout.chartGlobs).toEqual(['apps/*', 'charts/*', 'gitops/home/apps', 'k8s/charts/*/*']);
    // A chart's templates are not manifests; the cluster is the directory declaring itself.
    expect(layout.manifestFiles).toEqual(['gitops/home/root.yaml']);
    expect(layout.clusterGlobs).toEqual(['gitops/*']);
  });

  it('keeps a cluster directory literal when its siblings hold no manifests, and names manifests spread over the root', async () => {
    const one = await detectLayout(tree({ 'charts/a/Chart.yaml': CHART, 'deploy/argocd/a.yaml': APP('charts/a'), 'deploy/scripts/run.sh': 'true\n' }));
    expect(one.clusterGlobs).toEqual(['deploy/argocd']);
    // Not thrown here: --clusterGlobs or --root may make it moot (init throws it only when it needs the directory).
    const spread = await detectLayout(tree({ 'charts/a/Chart.yaml': CHART, 'a.yaml': APP('charts/a'), 'b/b.yaml': APP('charts/a') }));
    expect(spread.clusterGlobs).toEqual([]);
    expect(spread.clusterProblem?.message).toBe('ArgoCD manifests are spread over the repository root (a.yaml, b/b.yaml)');
  });

  it('finds the way in: a script applying the root, argocd-apps values of helmfile, an app-of-apps chart deploying itself', async () => {
    const layout = await detectLayout(
      tree({
        'bootstrap.sh': 'set -e\nhelm install cilium charts/cni\nkubectl apply -f "$ROOT/boot/root.yaml" # once\n',
        'boot/root.yaml': APP('charts/a'),
        'charts/a/Chart.yaml': CHART,
        'charts/cni/Chart.yaml': CHART,
        'charts/cni/templates/ds.yaml': 'kind: DaemonSet\n',
        'helmfile.yaml':
          'releases:\n  - name: apps\n    chart: argo/argocd-apps\n    values: [argo/apps.yaml]\n  - name: cd\n    chart: argo/argo-cd\n    values: [argo/cd.yaml]\n',
        'argo/apps.yaml': 'applications:\n  a: {project: default, source: {path: charts/a}, destination: {namespace: a}}\n',
        'argo/cd.yaml': 'server: {insecure: true}\n',
        'gitops/Chart.yaml': CHART,
        'gitops/values.yaml': 'apps:\n  self: {path: gitops}\n',
        'gitops/templates/apps.yaml': '{{- range .Values.apps }}\napiVersion: argoproj.io/v1alpha1\nkind: Application\n{{- end }}\n',
      }),
    );
    expect(layout.entryPoints).toEqual([
      { path: 'boot/root.yaml', reason: 'bootstrap.sh:3' },
      { path: 'argo/apps.yaml', reason: 'helmfile.yaml (argocd-apps release)' },
      { path: 'gitops', reason: 'app-of-apps chart deploying itself' },
    ]);
  });
});

describe('commonDir and syncedAsDirectory', () => {
  it('finds the deepest common directory', () => {
    expect(commonDir(['clusters/home/apps', 'clusters/home'])).toBe('clusters/home');
    expect(commonDir(['a/b', 'c'])).toBe('');
  });

  it('names the Application that would apply a file in the directory', () => {
    const recurse = { kind: 'Application', metadata: { name: 'root' }, spec: { source: { path: 'clusters', directory: { recurse: true } } } };
    const exact = { kind: 'Application', metadata: { name: 'home' }, spec: { source: { path: 'clusters/home/' } } };
    const chart = { kind: 'Application', metadata: { name: 'x' }, spec: { source: { chart: 'x', path: 'clusters/home' } } };
    expect(syncedAsDirectory('clusters/home', [recurse])).toBe('root');
    expect(syncedAsDirectory('clusters/home', [exact])).toBe('home');
    expect(
      syncedAsDirectory('clusters/home', [chart, { ...recurse, spec: { source: { path: 'clusters/home/apps', directory: { recurse: true } } } }]),
    ).toBeUndefined();
  });
});
