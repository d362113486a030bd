import { execa } from 'execa';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { resolveHelm } from '../helm/helm.ts';
import { normalizeLayout } from '../workspace/layout.ts';
import { resolveReleases, type RenderChart, type Resolution } from './releases.ts';
import { selectReleases, type Workspace } from './workspace.ts';
import type { Release } from '../model/types.ts';
import { createRelease } from '../model/release.ts';

const FIXTURES = resolve(import.meta.dirname, '../../../../../test/fixtures/resolution');

const layoutOf = (name: string, charts?: string[]) => normalizeLayout(resolve(FIXTURES, name), { charts });

/** The renderer a caller passes: real `helm template`, value files in order, inline values on stdin. */
const helmTemplate: RenderChart = async (chartDir, releaseName, namespace, valueFiles, release) => {
  const args = ['template', releaseName, chartDir, '--namespace', namespace, ...valueFiles.flatMap((f) => ['-f', f])];
  const { bin } = await resolveHelm();
  const { stdout } = await execa(bin, release.values ? [...args, '-f', '-'] : args, { input: release.values ?? '' });
  return stdout;
};

const neverRender: RenderChart = async () => {
  throw new Error('helm must not run for a repository without app-of-apps charts');
};

/** The commands' own selection (chart, release or cluster/release name) over a resolution. */
const select = (res: Resolution, target: string): Release[] => selectReleases({ resolution: res, layout: normalizeLayout('.') } as Workspace, target);

function find(releases: Release[], cluster: string, name: string): Release {
  const release = releases.find((r) => r.cluster === cluster && r.name === name);
  if (!release) throw new Error(`no release ${cluster}/${name} in ${releases.map((r) => `${r.cluster}/${r.name}`).join(' ')}`);
  return release;
}

describe('resolveReleases on a two-cluster repository', () => {
  let res: Resolution;
  beforeAll(async () => {
    res = await resolveReleases(layoutOf('basic', ['charts/*', 'platform/*']), { renderChart: neverRender });
  });

  it('declares both clusters, with and without cluster.yaml', () => {
    expect(res.clusters).toEqual([
      {
        name: 'home',
        dir: 'clusters/home',
        kubeContext: 'home-admin',
        server: 'https://home.example.invalid:6443',
        kubeVersion: '1.31.0',
        apiVersions: ['monitoring.coreos.com/v1'],
      },
      { name: 'lab', dir: 'clusters/lab', kubeContext: '', apiVersions: [] },
    ]);
  });

  it('maps a plain Application field by field', () => {
    const web = find(res.releases, 'home', 'frontend');
    expect(web).toEqual({
      cluster: 'home',
      name: 'frontend',
      application: 'web',
      origin: 'application',
      definedIn: ['clusters/home/apps/web.yaml'],
      chart: 'web',
      chartDir: 'charts/web',
      namespace: 'web',
      project: 'homelab',
      valueFiles: [
        { raw: 'values.yaml', path: 'charts/web/values.yaml', secret: false },
        { raw: '../../clusters/home/values/web.yaml', path: 'clusters/home/values/web.yaml', secret: false },
        { raw: 'secrets://../../secrets.yaml', path: 'secrets.yaml', secret: true },
      ],
      parameters: [
        { name: 'image.tag', value: '1.2.3', forceString: true },
        { name: 'replicas', value: '2', forceString: false },
      ],
      fileParameters: [{ name: 'config', path: 'clusters/home/values/web.yaml' }],
      ignoreMissingValueFiles: false,
      skipCrds: true,
      skipSchemaValidation: false,
      skipTests: false,
      kubeVersion: '1.31.0',
      apiVersions: ['monitoring.coreos.com/v1'],
      wave: -1,
      syncPolicy: { automated: true, selfHeal: true, prune: true },
    });
  });

  it('reads every Application of a multi-document file and skips other kinds', () => {
    const fromDbFile = res.releases.filter((r) => r.definedIn.includes('clusters/home/apps/db.yaml'));
    expect(fromDbFile.map((r) => `${r.application}:${r.name}@${r.namespace}`).sort()).toEqual(['db-cache:cache@cache', 'db-main:main@db']);
  });

  it('lets one chart feed two Applications with their own settings', () => {
    const main = find(res.releases, 'home', 'main');
    const cache = find(res.releases, 'home', 'cache');
    expect([main.chart, cache.chart]).toEqual(['db', 'db']);
    expect(main.valuesObject).toEqual({ persistence: { size: '10Gi' } });
    expect(main.values).toBeUndefined();
    expect(main.valueFiles).toEqual([]);
    expect(main.wave).toBe(5);
    expect(main.project).toBe('default');
    expect(cache.values).toBe('mode: cache\n');
    // values-missing.yaml is dropped because ignoreMissingValueFiles is set
    expect(cache.valueFiles.map((v) => v.path)).toEqual(['charts/db/values.yaml']);
    expect(cache.ignoreMissingValueFiles).toBe(true);
    expect(cache.kubeVersion).toBe('1.30.0');
    expect(cache.apiVersions).toEqual(['example.com/v1']);
    expect([cache.skipSchemaValidation, cache.skipTests]).toEqual([true, true]);
    expect(cache.syncPolicy).toEqual({ automated: false, selfHeal: false, prune: false });
  });

  it('resolves $values value files of a multi-source Application against the repository root', () => {
    const api = find(res.releases, 'home', 'api');
    expect(api.chartDir).toBe('charts/api');
    expect(api.valueFiles).toEqual([
      { raw: 'values.yaml', path: 'charts/api/values.yaml', secret: false },
      { raw: '$values/clusters/home/values/api.yaml', path: 'clusters/home/values/api.yaml', secret: false },
    ]);
  });

  it('expands a fasttemplate git-directory ApplicationSet with an exclude', () => {
    const platform = res.releases.filter((r) => r.definedIn.includes('clusters/home/appsets/platform.yaml'));
    expect(platform.map((r) => [r.chartDir, r.application, r.name, r.namespace, r.project, r.wave, r.origin])).toEqual([
      ['platform/Cert_Manager', 'platform-cert-manager', 'cert-manager', 'cert-manager', 'platform', 1, 'applicationset'],
      ['platform/ingress', 'platform-ingress', 'ingress', 'ingress', 'platform', 1, 'applicationset'],
    ]);
    expect(platform[1].valueFiles.map((v) => v.path)).toEqual(['platform/ingress/values.yaml']);
  });

  it('expands a list-generator ApplicationSet', () => {
    const blog = res.releases.filter((r) => r.chart === 'blog');
    expect(blog.map((r) => [r.application, r.name, r.namespace, r.wave])).toEqual([
      ['blog', 'blog', 'blog', 2],
      ['blog-staging', 'blog-staging', 'blog-staging', 2],
    ]);
  });

  it('expands a goTemplate git-directory ApplicationSet with excludes, values and templatePatch in the second cluster', () => {
    const lab = res.releases.filter((r) => r.cluster === 'lab');
    expect(lab.map((r) => [r.chart, r.application, r.name, r.namespace, r.project, r.wave])).toEqual([
      ['api', 'api-lab', 'api', 'api', 'lab', 3],
      ['web', 'web-lab', 'web', 'web', 'lab', 3],
    ]);
    // values-lab.yaml exists only for api; the missing one is ignored (ignoreMissingValueFiles)
    expect(lab[0].valueFiles.map((v) => v.path)).toEqual(['charts/api/values.yaml', 'charts/api/values-lab.yaml']);
    expect(lab[1].valueFiles.map((v) => v.path)).toEqual(['charts/web/values.yaml']);
    expect(lab[0].syncPolicy).toEqual({ automated: true, selfHeal: false, prune: true });
    // lab has no cluster.yaml: nothing to default from
    expect(lab[0].kubeVersion).toBeUndefined();
    expect(lab[0].apiVersions).toEqual([]);
  });

  it('deploys the same chart in both clusters', () => {
    expect(select(res, 'web').map((r) => `${r.cluster}/${r.name}`)).toEqual(['home/frontend', 'lab/web']);
  });

  it('gives no release to charts in directories an ApplicationSet excludes (convention releases: excluded-dirs.test.ts), nor to library charts', () => {
    expect(res.releases.filter((r) => r.origin === 'convention')).toEqual([]);
    expect(res.charts.filter((c) => ['legacy', 'old', 'tools'].includes(c.name)).map((c) => c.dir)).toEqual(['charts/legacy', 'platform/old', 'charts/tools']);
    expect(res.releases.some((r) => ['legacy', 'old', 'tools', 'common'].includes(r.chart))).toBe(false);
  });

  it('sorts by cluster, wave, chart, name', () => {
    expect(res.releases.map((r) => `${r.cluster}:${r.wave}:${r.chart}:${r.name}`)).toEqual([
      'home:-10:argocd:argocd',
      'home:-1:web:frontend',
      'home:0:api:api',
      'home:0:db:cache',
      'home:0:root:root',
      'home:1:Cert_Manager:cert-manager',
      'home:1:ingress:ingress',
      'home:2:blog:blog',
      'home:2:blog:blog-staging',
      'home:5:db:main',
      'lab:3:api:api',
      'lab:3:web:web',
    ]);
  });

  it('makes an Application of a remote Helm chart an upstream release named after it: $ref value files from this repository, the others inside the chart', () => {
    expect(res.releases.filter((r) => r.source?.kind === 'upstream')).toEqual([
      createRelease({
        cluster: 'home',
        name: 'argocd',
        application: 'argocd',
        origin: 'application',
        definedIn: ['clusters/home/apps/argocd.yaml'],
        chart: 'argocd',
        chartDir: '',
        source: { kind: 'upstream', repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', targetRevision: '7.7.0' },
        namespace: 'argocd',
        wave: -10,
        valueFiles: [
          { raw: 'values-ha.yaml', path: 'values-ha.yaml', secret: false, inChart: true },
          { raw: '$values/clusters/home/values/argocd.yaml', path: 'clusters/home/values/argocd.yaml', secret: false },
        ],
        kubeVersion: '1.31.0',
        apiVersions: ['monitoring.coreos.com/v1'],
      }),
    ]);
    expect(res.warnings).toEqual([]);
  });

  it('finds releases by chart or release name and names the known charts otherwise', () => {
    expect(select(res, 'db').map((r) => r.name)).toEqual(['cache', 'main']);
    expect(select(res, 'cache').map((r) => r.chart)).toEqual(['db']);
    expect(() => select(res, 'common')).toThrow(/library chart/);
    expect(() => select(res, 'nope')).toThrow(HomelabError);
    try {
      select(res, 'nope');
    } catch (err) {
      expect((err as HomelabError).line()).toBe(
        'unknown chart or release "nope" — known charts: Cert_Manager, api, argocd, blog, db, ingress, legacy, old, root, tools, web',
      );
    }
  });
});

describe('app-of-apps charts', () => {
  it('renders the chart with real helm and resolves its child Applications', async () => {
    const calls: string[][] = [];
    const res = await resolveReleases(layoutOf('app-of-apps'), {
      renderChart: async (chartDir, name, namespace, valueFiles, release) => {
        calls.push([chartDir, name, namespace, ...valueFiles]);
        return helmTemplate(chartDir, name, namespace, valueFiles, release);
      },
    });
    const root = resolve(FIXTURES, 'app-of-apps');
    expect(calls).toEqual([[`${root}/charts/apps`, 'root', 'argocd', `${root}/charts/apps/values.yaml`, `${root}/clusters/home/values/apps.yaml`]]);
    expect(res.releases.map((r) => [r.chart, r.name, r.namespace, r.wave, r.project, r.origin, r.definedIn])).toEqual([
      ['apps', 'root', 'argocd', -5, 'default', 'application', ['clusters/home/root.yaml']],
      ['api', 'api', 'backend', -2, 'homelab', 'app-of-apps', ['clusters/home/root.yaml']],
      ['web', 'web', 'web', 1, 'homelab', 'app-of-apps', ['clusters/home/root.yaml']],
    ]);
    expect(find(res.releases, 'home', 'api').valueFiles.map((v) => v.path)).toEqual(['charts/api/values.yaml']);
  });

  it('refuses to guess the children when no renderer is given', async () => {
    expect(await resolutionProblem(resolveReleases(layoutOf('app-of-apps')))).toContain(
      'clusters/home/root.yaml: Application root deploys app-of-apps chart apps, but no chart renderer was given',
    );
  });
});

describe('namespaces', () => {
  it('renders with "default" when the destination has no namespace, and says so; helm.namespace wins', async () => {
    const res = await resolveReleases(layoutOf('no-namespace'));
    expect(res.releases.map((r) => [r.application, r.name, r.namespace])).toEqual([
      ['app', 'app', 'default'],
      ['templated', 'templated', 'render-ns'],
    ]);
    expect(res.warnings).toEqual([
      'clusters/home/app.yaml: Application app: spec.destination.namespace is empty; rendering with namespace "default" as ArgoCD\'s helm template does',
    ]);
  });
});

/** A whole-run error (discovery, releases colliding) or the one finding a broken object became. */
async function resolutionProblem(run: Promise<Resolution>): Promise<string> {
  const res = await run.catch((e: unknown) => {
    expect(e).toBeInstanceOf(HomelabError);
    return (e as HomelabError).line();
  });
  if (typeof res === 'string') return res;
  expect(res.findings).toHaveLength(1);
  return new HomelabError(res.findings[0].message, res.findings[0].hint).line();
}

describe('chart names', () => {
  it('names charts whose directory basenames clash by the shortest path suffix that tells them apart', async () => {
    const res = await resolveReleases(layoutOf('duplicate-chart-names', ['charts/*', 'more/*']));
    expect(res.findings).toEqual([]);
    expect(res.charts.map((c) => [c.name, c.dir])).toEqual([
      ['charts-app', 'charts/app'],
      ['more-app', 'more/app'],
    ]);
    expect(res.releases.map((r) => r.chart).sort()).toEqual(['charts-app', 'more-app']);
  });
});

describe('resolution errors name the file', () => {
  const cases: [string, string | RegExp, string[]?][] = [
    ['not-a-chart', 'clusters/home/app.yaml: Application app: source path "manifests/raw" is not a chart in the workspace (chart globs searched: charts/*)'],
    [
      'missing-value-file',
      'clusters/home/app.yaml: Application app: value file ../../clusters/home/values/app.yaml (clusters/home/values/app.yaml) does not exist',
    ],
    ['no-source', 'clusters/home/app.yaml: Application app has no spec.source (or spec.sources)'],
    ['no-destination', 'clusters/home/app.yaml: Application app has no spec.destination'],
    ['yaml-syntax', /^clusters\/home\/apps\/broken\.yaml:7: YAML syntax error: /],
    [
      'duplicate-release',
      'release app in namespace apps of cluster home is deployed twice: by Application first (clusters/home/one.yaml) and Application second (clusters/home/two.yaml)',
    ],
    ['bad-wave', 'clusters/home/app.yaml: Application app: annotation argocd.argoproj.io/sync-wave is "early", not an integer'],
    ['unsupported-template', /^clusters\/home\/appset\.yaml: ApplicationSet apps: function "randAlphaNum" is not supported by homelab/],
    ['unresolved-fasttemplate', 'clusters/home/appset.yaml: ApplicationSet apps: metadata.name renders to "{{.path.basename}}"'],
    ['unknown-ref', 'clusters/home/app.yaml: Application app: value file $vals/clusters/home/app-values.yaml: no source has ref: vals'],
    ['library-deployed', 'clusters/home/app.yaml: Application app: chart lib is a library chart and cannot be deployed'],
    // A Config Management Plugin renders these, not helm (the path is a chart, or one pulled from a Helm repository) nor
    // a directory read (it holds no YAML).
    [
      'plugin-chart',
      'clusters/home/app.yaml: Application app: source.plugin renders charts/app with plugin kustomized-helm (a Config Management Plugin), which homelab cannot run',
    ],
    [
      'plugin-discovered',
      'clusters/home/app.yaml: Application web: source.plugin renders nix/web with a plugin the repo-server discovers (a Config Management Plugin), which homelab cannot run',
    ],
    [
      'plugin-upstream',
      'clusters/home/app.yaml: Application podinfo: source.plugin renders podinfo with plugin helm-secrets-env (a Config Management Plugin), which homelab cannot run',
    ],
    ['duplicate-application', 'Application app is defined twice in cluster home: clusters/home/a.yaml and clusters/home/b.yaml'],
    // The generated Application lands in the ApplicationSet's namespace, where the plain one lives: one object, two writers.
    ['applicationset-and-application', 'Application app is defined twice in cluster home: clusters/home/app.yaml and clusters/home/appset.yaml'],
  ];
  it.each(cases)('%s', async (name, message, charts) => {
    const line = await resolutionProblem(resolveReleases(layoutOf(`errors/${name}`, charts)));
    expect(line).not.toContain('\n');
    const [actual, hint] = line.split(' — ');
    expect(hint).toBeTruthy();
    if (typeof message === 'string') expect(actual).toBe(message);
    else expect(actual).toMatch(message);
  });
});

describe('a broken Application breaks only itself', () => {
  const app = (name: string, path: string, extra = '') =>
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${name}\n  namespace: argocd\n${extra}spec:\n  project: default\n` +
    `  source:\n    repoURL: https://github.com/example/homelab.git\n    path: ${path}\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${name}\n`;
  const broken: Record<string, string> = {
    'bad-yaml.yaml': 'apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: [\n',
    'list.yaml': `- ${app('listed', 'charts/arr').replaceAll('\n', '\n  ')}`,
    'unsupported-generator.yaml':
      'apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata:\n  name: fleet\nspec:\n  generators:\n    - clusters: {}\n  template:\n    metadata: {name: x}\n    spec: {}\n',
    'missing-chart.yaml': app('ghost', 'charts/ghost'),
    'monitoring-extra.yaml': app('monitoring-extra', 'charts/monitoring', '  annotations:\n    argocd.argoproj.io/sync-wave: early\n'),
  };
  let clean: Resolution;
  let dirty: Resolution;
  beforeAll(async () => {
    const { mkdtempSync, cpSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const repo = resolve(import.meta.dirname, '../../../../..');
    const copy = () => {
      const root = mkdtempSync(resolve(tmpdir(), 'homelab-isolation-'));
      for (const dir of ['charts', 'clusters', 'kustomize', 'secrets.yaml']) cpSync(resolve(repo, dir), resolve(root, dir), { recursive: true });
      return root;
    };
    const cleanRoot = copy();
    const dirtyRoot = copy();
    for (const [file, text] of Object.entries(broken)) writeFileSync(resolve(dirtyRoot, 'clusters/home/apps', file), text);
    clean = await resolveReleases(normalizeLayout(cleanRoot), { renderChart: helmTemplate });
    dirty = await resolveReleases(normalizeLayout(dirtyRoot), { renderChart: helmTemplate });
    for (const root of [cleanRoot, dirtyRoot]) rmSync(root, { recursive: true, force: true });
  });

  it('reports each broken object as one finding naming its file', () => {
    expect(clean.findings).toEqual([]);
    expect(dirty.findings.map((f) => f.file).sort()).toEqual(
      Object.keys(broken)
        .map((f) => `clusters/home/apps/${f}`)
        .sort(),
    );
    for (const finding of dirty.findings) expect(finding.message).not.toContain('\n');
  });

  it('resolves every other chart exactly as the clean repo does', () => {
    for (const chart of ['jellyfin', 'networking']) expect(select(dirty, chart)).toEqual(select(clean, chart));
  });

  it('refuses a chart that a manifest it could not read names, since that manifest may deploy it', () => {
    expect(() => select(dirty, 'arr')).toThrow(/^clusters\/home\/apps\/list\.yaml: a YAML document is a list/);
  });

  it('refuses the chart of a broken Application in one line instead of rendering a subset', () => {
    expect(() => select(dirty, 'monitoring')).toThrow(/^clusters\/home\/apps\/monitoring-extra\.yaml: Application monitoring-extra: .*sync-wave/);
    expect(() => select(dirty, 'ghost')).toThrow(/unknown chart or release "ghost"/);
  });
});
