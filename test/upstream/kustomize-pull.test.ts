// Kustomize `helmCharts` pulling a chart from a repository (`repo:`), beside a local chart (twice, with each
// `valuesMerge`) and through a base: the
// release renders from the chart cache (filled from a loopback Helm repository) byte-identically to the hand-written
// `kubectl kustomize --enable-helm` with the charts pre-placed where kustomize looks before pulling; the repository is
// never written; the second render is offline; offline with nothing cached is one line; `charts pull` fetches them.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { resolveKubectl } from '../../tools/homelab/src/core/cluster/kube.ts';
import { chartsPull } from '../../tools/homelab/src/core/commands/charts.ts';
import { checkWorkspace } from '../../tools/homelab/src/core/commands/check.ts';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';
import { lookupChart } from '../../tools/homelab/src/core/helm/chart-cache.ts';
import { cachedChartCommand } from '../../tools/homelab/src/core/helm/chart-record.ts';
import { kustomizeHelm, resolveHelm, type Helm } from '../../tools/homelab/src/core/helm/helm.ts';
import type { Release } from '../../tools/homelab/src/core/model/types.ts';
import { kustomizeVersion } from '../../tools/homelab/src/core/render/kustomize.ts';
import { renderAnyRelease } from '../../tools/homelab/src/core/render/index.ts';
import { openWorkspace, resolveFresh } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { normalizeLayout } from '../../tools/homelab/src/core/workspace/layout.ts';
import { RepoFiles } from '../../tools/homelab/src/core/workspace/repo-files.ts';
import type { Resolution } from '../../tools/homelab/src/core/resolve/releases.ts';
import { normalizeOptions } from '../../tools/homelab/src/plugin/options.ts';
import { sourceProjects } from '../../tools/homelab/src/plugin/source-projects.ts';
import { noSecrets, refusal, startChartRepo, type ChartServer } from '../helpers/chart-repo.ts';

const chart = (name: string, version: string) => ({
  'Chart.yaml': `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
  'values.yaml': 'greeting: hello\nreplicas: 1\n',
  'templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
    '  replicas: {{ .Values.replicas | quote }}',
    '  version: {{ .Chart.Version | quote }}',
    '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
    '',
  ].join('\n'),
});

function repositoryFiles(url: string): Record<string, string> {
  return {
    'clusters/home/cluster.yaml': 'kubeContext: home\nkubeVersion: "1.33.0"\nkustomizeBuildOptions: --enable-helm\n',
    'clusters/home/web.yaml': [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata: {name: web, namespace: argocd}',
      'spec:',
      '  project: default',
      '  source: {repoURL: https://git.example.invalid/lab.git, targetRevision: HEAD, path: k}',
      '  destination: {server: https://kubernetes.default.svc, namespace: web}',
      '',
    ].join('\n'),
    'k/kustomization.yaml': [
      'namespace: web',
      'resources:',
      '  - ../base',
      'helmCharts:',
      '  - name: hello',
      '    releaseName: local',
      '  - name: hello',
      '    releaseName: local-replaced',
      '    valuesMerge: replace',
      '    valuesInline: {note: only-this}',
      '  - name: podinfo',
      `    repo: ${url}`,
      '    version: 1.0.0',
      '    releaseName: front',
      '    valuesMerge: merge',
      '    valuesInline: {greeting: servus, replicas: 2}',
      '',
    ].join('\n'),
    'k/charts/hello/Chart.yaml': 'apiVersion: v2\nname: hello\nversion: 0.1.0\n',
    'k/charts/hello/values.yaml': 'note: from-the-chart\n',
    'k/charts/hello/templates/cm.yaml':
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-hello\ndata:\n  note: {{ .Values.note | quote }}\n',
    'base/kustomization.yaml': [
      'helmCharts:',
      '  - name: podinfo',
      `    repo: ${url}`,
      '    version: 1.2.0',
      '    releaseName: back',
      '    valuesMerge: override',
      '    valuesInline: {replicas: 3}',
      '',
    ].join('\n'),
  };
}

let work: string;
let repo: ChartServer;
let root: string;
let helm: Helm;
let kubectl: string;
let release: Release;
let resolution: Resolution;
let expected: string;

const render = async () => (await renderAnyRelease({ root, helm, secrets: noSecrets, maskKey: Buffer.alloc(0) }, release)).manifest;

/** Every file under `dir`, relative: the repository must look the same after a render. */
function listing(dir: string, rel = ''): string[] {
  return readdirSync(path.join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listing(dir, path.join(rel, e.name)) : [path.join(rel, e.name)],
  );
}

/** A copy of the repository, each pulled chart put by `helm pull --untar` where kustomize looks, then kubectl kustomize. */
async function kustomizeByHand(): Promise<string> {
  const copy = path.join(work, 'by-hand');
  cpSync(root, copy, { recursive: true });
  const env = { HELM_CACHE_HOME: path.join(work, 'hand-helm', 'cache'), HELM_CONFIG_HOME: path.join(work, 'hand-helm', 'config') };
  for (const [dir, version] of [
    ['k/charts/podinfo-1.0.0', '1.0.0'],
    ['base/charts/podinfo-1.2.0', '1.2.0'],
  ]) {
    const pulled = await runTool(helm.bin, ['pull', '--repo', repo.url, 'podinfo', '--version', version, '--untar', '--untardir', path.join(copy, dir)], {
      env,
    });
    expect(pulled.exitCode, pulled.stderr).toBe(0);
  }
  const helmCommand = await kustomizeHelm(helm, await kustomizeVersion(kubectl));
  const built = await runTool(kubectl, ['kustomize', path.join(copy, 'k'), '--enable-helm', '--helm-kube-version', '1.33.0', '--helm-command', helmCommand]);
  expect(built.exitCode, built.stderr).toBe(0);
  return built.stdout;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'kustomize-pull-'));
  vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'cache'));
  vi.stubEnv('HELM_REPOSITORY_CONFIG', path.join(work, 'no-repositories.yaml'));
  vi.stubEnv('HELM_REGISTRY_CONFIG', path.join(work, 'no-registry-config.json'));
  vi.stubEnv('HOMELAB_OFFLINE', undefined);
  [helm, kubectl] = await Promise.all([resolveHelm(), resolveKubectl()]);
  repo = await startChartRepo({ 'podinfo-1.0.0': chart('podinfo', '1.0.0'), 'podinfo-1.2.0': chart('podinfo', '1.2.0') });
  root = path.join(work, 'repo');
  for (const [file, text] of Object.entries(repositoryFiles(repo.url))) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  ({ resolution } = await resolveFresh(normalizeLayout(root), new RepoFiles(root)));
  expect(resolution.findings).toEqual([]);
  release = resolution.releases.find((r) => r.name === 'web')!;
  expected = await kustomizeByHand();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('Kustomize helmCharts with a remote repo beside a local chart', () => {
  it('is one release recording the charts kustomize would pull, where it would look for them', () => {
    expect(release.source?.kind === 'kustomize' && [release.source.reads, release.source.pulls]).toEqual([
      ['base', 'k/charts/hello'],
      [
        { dir: 'base/charts/podinfo-1.2.0/podinfo', repoURL: repo.url, chart: 'podinfo', version: '1.2.0' },
        { dir: 'k/charts/podinfo-1.0.0/podinfo', repoURL: repo.url, chart: 'podinfo', version: '1.0.0' },
      ],
    ]);
  });

  it("gives the release's Nx project the cached version and digest of each pulled chart as inputs", () => {
    const project = Object.values(sourceProjects(resolution, normalizeOptions({}), root))[0];
    const runtimes = (project.namedInputs?.chart ?? []).flatMap((input) => (typeof input === 'object' && 'runtime' in input ? [input.runtime] : []));
    expect(runtimes).toEqual([
      cachedChartCommand({ repoURL: repo.url, chart: 'podinfo', revision: '1.2.0' }),
      cachedChartCommand({ repoURL: repo.url, chart: 'podinfo', revision: '1.0.0' }),
    ]);
  });

  it('renders from the chart cache byte-identically to kubectl kustomize --enable-helm with the charts pre-placed; the repository is not written', async () => {
    const before = listing(root);
    const rendered = await render();
    // valuesMerge as kustomize applies it: override lets the inline values win, merge the chart's, replace keeps only
    // the inline ones.
    expect(rendered).toMatch(/greeting: hello\n {2}kube: v1\.33\.0\n {2}replicas: "3"\n {2}version: 1\.2\.0\n/);
    expect(rendered).toMatch(/greeting: hello\n {2}kube: v1\.33\.0\n {2}replicas: "1"\n {2}version: 1\.0\.0\n/);
    expect(rendered).toContain('note: only-this');
    expect(rendered).toContain('note: from-the-chart');
    expect(rendered).toBe(expected);
    expect(listing(root)).toEqual(before);
    expect(existsSync(path.join(root, 'k/charts/podinfo-1.0.0'))).toBe(false);
    expect(lookupChart({ repoURL: repo.url, chart: 'podinfo', revision: '1.0.0' })).toBeDefined();
  });

  it('charts pull fetches the charts kustomizations pull, with the upstream ones', async () => {
    vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'pull-cache'));
    try {
      const lines: string[] = [];
      await chartsPull({ ...(await openWorkspace(root, normalizeLayout(root))), helm }, (text) => lines.push(text));
      expect(lines.join('')).toMatch(/^home\/web: podinfo 1\.2\.0 from http:\/\/127\.0\.0\.1:\d+ \(sha256:[0-9a-f]{64}\)\nhome\/web: podinfo 1\.0\.0 from /);
      expect(lines.at(-1)).toBe(`2 upstream charts in ${path.join(work, 'pull-cache', 'homelab', 'charts')}\n`);
      for (const revision of ['1.0.0', '1.2.0']) expect(lookupChart({ repoURL: repo.url, chart: 'podinfo', revision })).toBeDefined();
    } finally {
      vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'cache'));
    }
  });

  it('renders again offline from the cache, with the repository stopped', async () => {
    await repo.close();
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    const requests = repo.requests.length;
    expect(await render()).toBe(expected);
    expect(repo.requests.length).toBe(requests);
  });

  it('workspace:check stays offline: the release is not rendered for the tier order, nothing is reported about its charts', async () => {
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'check-cache'));
    const report = await checkWorkspace(root, { layout: normalizeLayout(root) });
    expect(report.findings.filter((f) => f.message.includes('podinfo'))).toEqual([]);
    expect(report.tiers.join('\n')).toContain('web');
    expect(existsSync(path.join(work, 'check-cache', 'homelab', 'charts'))).toBe(false);
  });

  it('offline with nothing cached is one line naming the chart, version, repository and charts pull', async () => {
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'empty-cache'));
    expect(await refusal(render())).toBe(
      `chart podinfo 1.2.0 from ${repo.url} is not in the chart cache (${path.join(work, 'empty-cache', 'homelab', 'charts')}) and HOMELAB_OFFLINE is set — run npx homelab charts pull where the repository is reachable, then render again`,
    );
  });
});
