import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeLayout } from '../../workspace/layout.ts';
import { resolveReleases } from '../releases.ts';
import { RepoFiles } from '../../workspace/repo-files.ts';
import { helmInflations, readKustomization } from './kustomize.ts';

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

async function inflate(kustomization: string, extra: Record<string, string> = {}) {
  const root = workspace({ 'k/kustomization.yaml': kustomization, ...extra });
  const files = new RepoFiles(root);
  return helmInflations((await readKustomization('k', files))!, files);
}

const APP =
  'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\nspec:\n  source:\n    repoURL: https://example.invalid/r.git\n    path: k\n  destination:\n    namespace: web\n';

describe('helmInflations', () => {
  it('maps an entry to the helm template kustomize runs: chart home, value files relative to the kustomization, inline values last', async () => {
    const [web] = await inflate(
      'helmGlobals:\n  chartHome: ../charts\nhelmCharts:\n  - name: web\n    releaseName: w\n    namespace: web\n    additionalValuesFiles: [v/extra.yaml]\n    includeCRDs: true\n    skipTests: true\n    apiVersions: [x/v1]\n',
      { 'k/v/extra.yaml': 'b: 2\n' },
    );
    expect(web).toEqual({
      chartDir: 'charts/web',
      releaseName: 'w',
      namespace: 'web',
      valueFiles: [
        { raw: '../charts/web/values.yaml', path: 'charts/web/values.yaml', secret: false },
        { raw: 'v/extra.yaml', path: 'k/v/extra.yaml', secret: false },
      ],
      includeCRDs: true,
      skipTests: true,
      apiVersions: ['x/v1'],
      transforms: [],
    });
    const [inline] = await inflate(
      'helmGlobals: {chartHome: ../charts}\nhelmCharts:\n  - {name: web, releaseName: w, valuesInline: {a: 3}, valuesMerge: replace}\nnamespace: other\npatches: []\n',
    );
    expect(inline).toMatchObject({ valueFiles: [], valuesObject: { a: 3 }, namespace: '', includeCRDs: false, transforms: ['namespace', 'patches'] });
  });

  it('refuses what it cannot reproduce, in one line naming the entry', async () => {
    const refused = async (entry: string) =>
      (await inflate(`helmGlobals: {chartHome: ../charts}\nhelmCharts:\n  - ${entry}\n`).catch((e: Error) => e)) as Error;
    expect((await refused('{name: web}')).message).toBe('k/kustomization.yaml: helmCharts[0]: releaseName is missing: helm would generate a random one');
    expect((await refused('{name: web, releaseName: w, repo: https://charts.example.invalid}')).message).toContain(
      'chart web is pulled from https://charts.example.invalid, which is not modelled',
    );
    expect((await refused('{name: web, releaseName: w, valuesMerge: merge, valuesInline: {a: 2}}')).message).toContain('valuesMerge: merge');
    expect((await refused('{name: web, releaseName: w, valuesInline: {a: 2}, additionalValuesFiles: [x.yaml]}')).message).toContain(
      'valuesInline together with additionalValuesFiles',
    );
    expect((await refused('{name: web, releaseName: w, valuesFile: missing.yaml}')).message).toBe(
      'k/kustomization.yaml: helmCharts[0]: value file missing.yaml (k/missing.yaml) does not exist',
    );
    expect((await refused('{name: web, releaseName: w, skipHooks: true}')).message).toContain('skipHooks');
  });
});

describe('resolveReleases with a kustomization source', () => {
  it('makes one release per helmCharts entry, with the cluster kube version, and warns about what it does not apply', async () => {
    const root = workspace({
      'clusters/home/web.yaml': APP,
      'k/kustomization.yaml':
        'namespace: web\nhelmGlobals: {chartHome: ../charts}\nhelmCharts:\n  - {name: web, releaseName: w, namespace: web, kubeVersion: "1.20.0"}\n  - {name: web, releaseName: w2}\n',
    });
    const resolution = await resolveReleases(normalizeLayout(root));
    expect(resolution.releases.map((r) => [r.name, r.namespace, r.chartDir, r.kubeVersion, r.skipCrds, r.definedIn])).toEqual([
      ['w', 'web', 'charts/web', '1.33.0', true, ['clusters/home/web.yaml', 'k/kustomization.yaml']],
      ['w2', 'default', 'charts/web', '1.33.0', true, ['clusters/home/web.yaml', 'k/kustomization.yaml']],
    ]);
    expect(resolution.warnings).toEqual([
      'clusters/home/web.yaml: Application web: k/kustomization.yaml also has namespace, not applied: renders show the helm output kustomize inflates',
      'k/kustomization.yaml: helmCharts w2 has no namespace; rendering with "default" as helm does',
    ]);
  });

  it('names a missing chart, and a chart outside the chart globs', async () => {
    const kustomization = 'helmCharts:\n  - {name: web, releaseName: w}\n';
    const missing = workspace({ 'clusters/home/web.yaml': APP, 'k/kustomization.yaml': kustomization });
    expect((await resolveReleases(normalizeLayout(missing))).findings[0].message).toContain(
      'k/kustomization.yaml: helmCharts[0]: no chart at k/charts/web (charts/web)',
    );
    const outside = workspace({
      'clusters/home/web.yaml': APP,
      'k/kustomization.yaml': kustomization,
      'k/charts/web/Chart.yaml': 'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      'k/charts/web/values.yaml': '',
    });
    expect((await resolveReleases(normalizeLayout(outside))).findings[0].message).toContain(
      'k/kustomization.yaml: helmCharts chart k/charts/web is not a chart in the workspace (chart globs searched: charts/*)',
    );
  });
});
