import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RepoFiles } from '../../workspace/repo-files.ts';
import { argocdAppsObjects, directoryManifestFiles, kustomizationInputs, rootKind, rootObjects } from './roots.ts';

const APP = (name: string, p: string) =>
  `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\nspec:\n  source:\n    path: ${p}\n  destination:\n    namespace: x\n`;

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function repo(files: Record<string, string>): RepoFiles {
  const root = mkdtempSync(path.join(tmpdir(), 'roots-'));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return new RepoFiles(root);
}

const noBuild = {
  chart: () => Promise.reject(new Error('no helm here')),
  kustomization: () => Promise.reject(new Error('no kustomize here')),
};

describe('argocd-apps values', () => {
  it('renders the map form (chart 2.x) as its templates do: key as name, namespace only when given, null entries skipped', () => {
    const objects = argocdAppsObjects(
      {
        applications: {
          web: {
            namespace: 'argocd',
            project: 'default',
            additionalAnnotations: { 'argocd.argoproj.io/sync-wave': -5 },
            source: { path: 'apps/web' },
            destination: { namespace: 'web' },
          },
          off: null,
        },
        applicationsets: { apps: { goTemplate: true, generators: [{ list: { elements: [] } }], template: { metadata: { name: 'x' }, spec: {} } } },
      },
      'values.yaml',
    );
    expect(objects.map((o) => o.doc)).toEqual([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'web', namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '-5' } },
        spec: { project: 'default', source: { path: 'apps/web' }, destination: { namespace: 'web' } },
      },
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'ApplicationSet',
        metadata: { name: 'apps' },
        spec: { goTemplate: true, generators: [{ list: { elements: [] } }], template: { metadata: { name: 'x' }, spec: {} } },
      },
    ]);
  });

  it('renders the list form (chart 1.x) with each entry naming itself, and refuses an entry without a name', () => {
    const [app] = argocdAppsObjects({ applications: [{ name: 'root', project: 'p', source: { path: 'x' }, destination: {} }] }, 'v.yaml');
    expect(app.doc.metadata).toEqual({ name: 'root' });
    expect(() => argocdAppsObjects({ applications: [{ project: 'p' }] }, 'v.yaml')).toThrow(
      'v.yaml: applications entry (no name) is not an object with a name',
    );
  });
});

describe('roots', () => {
  it('tells the kinds apart and names a path that is none of them', async () => {
    const files = repo({
      'boot/root.yaml': APP('root', 'apps'),
      'boot/values.yaml': 'applications:\n  a: {project: p, source: {path: x}, destination: {}}\n',
      'boot/argocd.yaml': 'server:\n  insecure: true\n',
      'chart/Chart.yaml': 'apiVersion: v2\nname: c\nversion: 1.0.0\n',
      'kust/kustomization.yaml': 'resources: [a.yaml]\n',
    });
    expect(await rootKind('boot/root.yaml', files)).toBe('manifests');
    expect(await rootKind('boot/values.yaml', files)).toBe('argocd-apps-values');
    expect(await rootKind('chart', files)).toBe('chart');
    expect(await rootKind('kust', files)).toBe('kustomization');
    await expect(rootKind('boot/argocd.yaml', files)).rejects.toThrow('root boot/argocd.yaml holds no ArgoCD Application or ApplicationSet');
    await expect(rootKind('boot/nope.yaml', files)).rejects.toThrow('root boot/nope.yaml does not exist');
  });

  it('an umbrella chart with argocd-apps as a dependency is read from its values, without building the dependencies', async () => {
    const chart = (deps: string) =>
      `apiVersion: v2\nname: argocd\nversion: 0.0.0\ndependencies:\n  - name: argo-cd\n    version: 7.5.2\n    repository: https://argoproj.github.io/argo-helm\n${deps}`;
    const appsDep = '  - name: argocd-apps\n    version: 2.0.0\n    repository: https://argoproj.github.io/argo-helm\n';
    const appset =
      'applicationsets:\n    root:\n      generators: [{git: {repoURL: &url https://git.example.invalid/lab, directories: [{path: apps/*}]}}]\n      template: {metadata: {name: x}, spec: {source: {repoURL: *url}}}\n';
    const files = repo({
      'plain/Chart.yaml': chart(appsDep),
      'plain/values.yaml': `argo-cd:\n  server: {insecure: true}\nargocd-apps:\n  ${appset}`,
      'aliased/Chart.yaml': chart(`${appsDep}    alias: apps\n    condition: apps.enabled,argocd-apps.enabled\n`),
      'aliased/values.yaml': `argocd-apps:\n  applications: {ignored: {source: {path: x}}}\napps:\n  enabled: true\n  ${appset}`,
      'off/Chart.yaml': chart(`${appsDep}    condition: argocd-apps.enabled\n`),
      'off/values.yaml': `argocd-apps:\n  enabled: false\n  ${appset}`,
      'own/Chart.yaml': chart(appsDep),
      'own/values.yaml': `argocd-apps:\n  ${appset}`,
      'own/templates/self.yaml': APP('own', 'own'),
      'none/Chart.yaml': chart(''),
      'none/values.yaml': `argocd-apps:\n  ${appset}`,
      'extra/Chart.yaml': chart(appsDep),
      'extra/values.yaml': `argo-cd:\n  extraObjects:\n    - apiVersion: argoproj.io/v1alpha1\n      kind: Application\n      metadata: {name: extra}\nargocd-apps:\n  ${appset}`,
    });
    expect(await rootKind('plain', files)).toBe('argocd-apps-chart');
    const objects = await rootObjects('plain', files, noBuild);
    expect(objects.map((o) => [o.kind, o.file, (o.doc.metadata as { name: string }).name])).toEqual([['ApplicationSet', 'plain/values.yaml', 'root']]);
    // The alias is the key Helm hands the dependency; its condition's first boolean path decides.
    expect(await rootKind('aliased', files)).toBe('argocd-apps-chart');
    expect((await rootObjects('aliased', files, noBuild)).map((o) => o.kind)).toEqual(['ApplicationSet']);
    // Switched off, with Argo objects in its own templates or in other values (argo-cd's extraObjects), or with no
    // argocd-apps dependency: a chart, rendered whole.
    for (const dir of ['off', 'own', 'extra', 'none']) expect(await rootKind(dir, files), dir).toBe('chart');
  });

  it('an app-of-apps chart rendering an Application of itself starts from that Application', async () => {
    const files = repo({ 'gitops/apps/Chart.yaml': 'apiVersion: v2\nname: apps\nversion: 1.0.0\n' });
    const rendered = `${APP('apps', 'gitops/apps/')}---\n${APP('web', 'charts/web')}`;
    const objects = await rootObjects('gitops/apps', files, { ...noBuild, chart: async () => rendered });
    expect(objects.map((o) => (o.doc.metadata as { name: string }).name)).toEqual(['apps']);
    const other = await rootObjects('gitops/apps', files, { ...noBuild, chart: async () => APP('web', 'charts/web') });
    expect(other.map((o) => (o.doc.metadata as { name: string }).name)).toEqual(['web']);
  });

  it('a kustomization build reads its own files and its local resources, recursively (the cache inputs of a kustomization root)', async () => {
    const files = repo({
      'clusters/prod/boot/kustomization.yaml': 'resources:\n  - ../../../base/appsets\n  - extra.yaml\n  - https://example.invalid/remote.yaml\n',
      'clusters/prod/boot/extra.yaml': APP('extra', 'x'),
      'base/appsets/kustomization.yaml': 'resources: [apps.yaml]\ncomponents: [../../components/labels]\n',
      'base/appsets/apps.yaml': APP('apps', 'x'),
      'components/labels/kustomization.yaml': 'kind: Component\n',
      'base/unrelated.yaml': APP('no', 'x'),
    });
    expect((await kustomizationInputs('clusters/prod/boot', files)).sort()).toEqual([
      'base/appsets/apps.yaml',
      'base/appsets/kustomization.yaml',
      'clusters/prod/boot/extra.yaml',
      'clusters/prod/boot/kustomization.yaml',
      'components/labels/kustomization.yaml',
    ]);
  });

  it('a directory source applies what ArgoCD reads: recurse, then exclude and include against the relative path', async () => {
    const files = repo({
      'apps/a.yaml': APP('a', 'x'),
      'apps/b.skip.yaml': APP('b', 'x'),
      'apps/parked/c.yaml': APP('c', 'x'),
      'apps/media/d.yml': APP('d', 'x'),
      'apps/media/e.yaml.off': APP('e', 'x'),
      'apps/media/notes.yaml': 'just: values\n',
    });
    expect(await directoryManifestFiles('apps', {}, files)).toEqual(['apps/a.yaml', 'apps/b.skip.yaml']);
    expect(await directoryManifestFiles('apps', { recurse: true, exclude: '{parked/*,*.skip.yaml}' }, files)).toEqual(['apps/a.yaml', 'apps/media/d.yml']);
    expect(await directoryManifestFiles('apps', { recurse: true, include: 'media/*' }, files)).toEqual(['apps/media/d.yml']);
  });
});
