import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { prefillChartCache, startChartRepo } from '../../../../../test/helpers/chart-repo.ts';
import { FAKE_ARGOCD_CHART, writeClusterWorkspace } from '../../../../../test/helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from '../../../../../test/helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';
import { HomelabError } from '../model/errors.ts';
import { extractBundledHelm, withVersion, type Helm } from '../helm/helm.ts';
import { openWorkspace, type Workspace } from '../resolve/workspace.ts';
import { extractedChart, lookupChart } from '../helm/chart-cache.ts';
import { ageKeySecret, argocdRelease, bootstrap, fromMirror } from './bootstrap.ts';

const repoRoot = path.resolve(import.meta.dirname, '../../../../..');
let helm4: Helm;
let demoIdentity: string;

beforeAll(async () => {
  helm4 = await withVersion(await extractBundledHelm(), 'bundled');
  demoIdentity = (await readFile(path.join(repoRoot, 'demo-age-key.txt'), 'utf8')).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
});

function output() {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HomelabError);
  return (error as HomelabError).line();
}

describe('bootstrap of the example repository, --dry-run', () => {
  it('prints every step with its exact invocations and masked manifests, contacting nothing', async () => {
    const ws: Workspace = { ...(await openWorkspace(repoRoot)), helm: helm4 };
    // The declared server of clusters/home: nothing listens there, so any contact would fail the run.
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://home.example.invalid:6443' }]);
    const out = output();
    await bootstrap(ws, { kubeconfig, dryRun: true, cluster: 'home' }, out.write);
    const text = out.text();
    // The argo-cd chart comes from the chart cache, as every upstream release's (filled for the tests from loopback).
    const cached = lookupChart({ repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', revision: '8.5.8' })!;
    const argocdChart = await extractedChart(cached);
    expect(text).toContain(
      `# helm ${helm4.version} (bundled), kubectl, argo-cd 8.5.8 from https://argoproj.github.io/argo-helm (${cached.digest}, in the chart cache)\n`,
    );
    expect(text.split('\n').filter((l) => l.startsWith('== '))).toHaveLength(7);
    expect(text.split('\n').filter((l) => l.startsWith('$ '))).toEqual([
      '$ kubectl --context home apply --server-side --field-manager=homelab-bootstrap -f -',
      `$ helm upgrade argocd ${argocdChart} --install --namespace argocd --kube-context home --create-namespace --values - --take-ownership --rollback-on-failure --wait=watcher --timeout 5m --dry-run=server -o json`,
      '$ helm get manifest argocd --namespace argocd --kube-context home',
      '$ helm history argocd --namespace argocd --kube-context home --max 20 -o json',
      `$ helm upgrade argocd ${argocdChart} --install --namespace argocd --kube-context home --create-namespace --values - --take-ownership --rollback-on-failure --wait=watcher --timeout 5m`,
      '$ helm upgrade system charts/system --install --namespace system --kube-context home --create-namespace --values charts/system/values.yaml --values clusters/home/values/global.yaml --take-ownership --rollback-on-failure --wait=watcher --timeout 5m --dry-run=server -o json',
      '$ helm get manifest system --namespace system --kube-context home',
      '$ helm history system --namespace system --kube-context home --max 20 -o json',
      '$ helm upgrade system charts/system --install --namespace system --kube-context home --create-namespace --values charts/system/values.yaml --values clusters/home/values/global.yaml --take-ownership --rollback-on-failure --wait=watcher --timeout 5m',
      '$ kubectl --context home wait --for=condition=Available deployment --all --namespace argocd --timeout=5m',
      '$ kubectl --context home apply --server-side --field-manager=homelab-bootstrap -f clusters/home/root.yaml',
      '$ kubectl --context home get applications.argoproj.io --namespace argocd -o json',
    ]);
    expect(text).toMatch(/kind: Secret\n(.*\n)*data:\n {2}key\.txt: REDACTED[0-9a-f]{8}\n/);
    expect(text).toContain('kind: AppProject');
    expect(text).toContain('name: root');
    expect(text).not.toContain(demoIdentity);
    expect(text).not.toContain(Buffer.from(`${demoIdentity}\n`).toString('base64'));
  });

  it('finds ArgoCD, its chart (or a mirror of it) and the age key Secret its helm-secrets plugin reads in the repo', async () => {
    const ws = await openWorkspace(repoRoot);
    const argocd = argocdRelease(ws, 'home');
    expect(ageKeySecret(argocd)).toEqual({ namespace: 'argocd', name: 'helm-secrets-private-keys', key: 'key.txt' });
    const upstream = { kind: 'upstream', chart: 'argo-cd', targetRevision: '8.5.8' };
    expect(fromMirror(argocd, undefined).source).toEqual({ ...upstream, repoURL: 'https://argoproj.github.io/argo-helm' });
    expect(fromMirror(argocd, 'https://charts.mirror.example.invalid/argo/').source).toEqual({
      ...upstream,
      repoURL: 'https://charts.mirror.example.invalid/argo',
    });
    const oci = { ...argocd, source: { ...argocd.source, repoURL: 'oci://ghcr.io/argoproj/argo-helm/argo-cd', chart: '' } };
    expect(fromMirror(oci, 'oci://registry.example.invalid/helm').source).toEqual({ ...upstream, repoURL: 'oci://registry.example.invalid/helm' });
    expect(() => ageKeySecret({ ...argocd, valuesObject: {} })).toThrow(/set no repoServer.env SOPS_AGE_KEY_FILE/);
  });
});

describe('bootstrap against an API server', () => {
  let api: FakeApiServer;
  let repo: Awaited<ReturnType<typeof startChartRepo>>;
  let kubeconfig: string;
  let cacheHome: string;

  beforeEach(async () => {
    api = await startFakeApiServer();
    repo = await startChartRepo({ 'argo-cd': FAKE_ARGOCD_CHART });
    kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
    // An empty chart cache of this test's own: what the bootstrap fetches (or finds) is visible.
    cacheHome = await mkdtemp(path.join(tmpdir(), 'bootstrap-charts-'));
    vi.stubEnv('XDG_CACHE_HOME', cacheHome);
    vi.stubEnv('HOMELAB_OFFLINE', undefined);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await api.close();
    await repo.close();
    await rm(cacheHome, { recursive: true, force: true });
  });

  it('installs ArgoCD from the mirror through the chart cache, the bootstrap chart, the age key and the root app; a second run, offline, changes nothing', async () => {
    const ws = { ...(await openWorkspace(await writeClusterWorkspace(api.url, { argocd: true }))), helm: helm4 };
    const request = { kubeconfig, bootstrapChart: 'base', argocdChartRepo: repo.url, renderer: 'simple' as const };
    const first = output();
    await bootstrap(ws, request, first.write);
    // Fetched from the mirror into the cache (index, then archive), and installed from the extracted chart there.
    expect(repo.requests).toEqual(['/index.yaml', '/argo-cd-1.0.0.tgz']);
    const cached = lookupChart({ repoURL: repo.url, chart: 'argo-cd', revision: '1.0.0' })!;
    expect(first.text()).toContain('ArgoCD: chart argo-cd 1.0.0 (release argocd, namespace argocd)');
    expect(cached.archive.startsWith(cacheHome)).toBe(true);
    expect(first.text()).toContain('deployment.apps/argocd-server condition met');
    expect(first.text()).toContain('application.argoproj.io/root serverside-applied');
    const key = api.objects.get('argocd/secrets/helm-secrets-private-keys')!;
    expect(Buffer.from((key.data as Record<string, string>)['key.txt'], 'base64').toString()).toBe(`${demoIdentity}\n`);
    expect(api.objects.get('argocd/configmaps/argocd-cm')!.data).toEqual({ marker: 'from-the-application' });
    const writesAfterFirst = api.requests.filter((r) => r.method !== 'GET').length;
    const objectsAfterFirst = JSON.stringify([...api.objects.entries()]);

    await repo.close();
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    const second = output();
    await bootstrap(ws, request, second.write);
    expect(second.text()).toContain('unchanged: release argocd revision 1 (argo-cd-1.0.0) already matches, nothing to do');
    expect(second.text()).toContain('unchanged: release base revision 1 (base-0.1.0) already matches, nothing to do');
    expect(JSON.stringify([...api.objects.entries()])).toBe(objectsAfterFirst);
    // Only the idempotent server-side applies wrote (no-ops: no resourceVersion moved).
    expect(
      api.requests
        .filter((r) => r.method !== 'GET')
        .slice(writesAfterFirst)
        .every((r) => r.method === 'PATCH' && !r.path.includes('/secrets/sh.helm')),
    ).toBe(true);
    for (const text of [first.text(), second.text()]) expect(text).not.toContain(demoIdentity);
  });

  it('installs ArgoCD offline from the chart the cache holds for the Application, as any upstream release', async () => {
    await prefillChartCache({ repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', revision: '1.0.0' }, FAKE_ARGOCD_CHART);
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    const ws = { ...(await openWorkspace(await writeClusterWorkspace(api.url, { argocd: true }))), helm: helm4 };
    const out = output();
    await bootstrap(ws, { kubeconfig, bootstrapChart: 'base', renderer: 'simple' }, out.write);
    expect(out.text()).toContain('deployment.apps/argocd-server condition met');
    expect(api.objects.get('argocd/configmaps/argocd-cm')!.data).toEqual({ marker: 'from-the-application' });
    expect(repo.requests).toEqual([]);
  });

  it('offline with the chart not cached: one line naming chart, version, repository and charts pull; nothing is changed', async () => {
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    const ws = { ...(await openWorkspace(await writeClusterWorkspace(api.url, { argocd: true }))), helm: helm4 };
    const line = await failure(bootstrap(ws, { kubeconfig, bootstrapChart: 'base' }, () => {}));
    expect(line).toBe(
      `chart argo-cd 1.0.0 from https://argoproj.github.io/argo-helm is not in the chart cache (${path.join(cacheHome, 'homelab', 'charts')}) and HOMELAB_OFFLINE is set — run npx homelab charts pull where the repository is reachable, then render again`,
    );
    const dry = await failure(bootstrap(ws, { kubeconfig, bootstrapChart: 'base', dryRun: true }, () => {}));
    expect(dry).toBe(line);
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('refuses in preflight, before any change: no age key, no ArgoCD Application, no root app', async () => {
    const keyless = await writeClusterWorkspace(api.url, { argocd: true, demoKey: false });
    const noKey = await failure(bootstrap({ ...(await openWorkspace(keyless)), helm: helm4 }, { kubeconfig, bootstrapChart: 'base' }, () => {}));
    expect(noKey).toMatch(/^no age identity for secrets.yaml \(recipients age1\w+\); searched .* — set SOPS_AGE_KEY_FILE/);
    const noArgo = await failure(
      bootstrap({ ...(await openWorkspace(await writeClusterWorkspace(api.url))), helm: helm4 }, { kubeconfig, bootstrapChart: 'base' }, () => {}),
    );
    expect(noArgo).toMatch(/^no Application in cluster home deploys the argo-cd chart/);
    const rootless = await writeClusterWorkspace(api.url, { argocd: true });
    await rm(path.join(rootless, 'clusters/home/root.yaml'));
    const noRoot = await failure(bootstrap({ ...(await openWorkspace(rootless)), helm: helm4 }, { kubeconfig, bootstrapChart: 'base' }, () => {}));
    expect(noRoot).toMatch(/^clusters\/home\/root.yaml not found: the root app-of-apps of cluster home/);
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
