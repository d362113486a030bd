// Upstream charts against real servers on loopback: a Helm repository and an OCI registry. Each render equals the
// hand-written `helm pull` + `helm template` ArgoCD's repo-server runs; the second render comes from the chart cache
// with the servers stopped; a miss offline and a registry refusing access are one line each.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';
import { buildDependencies, renderRelease, type RenderContext } from '../../tools/homelab/src/core/helm/render.ts';
import { resolveHelm, type Helm } from '../../tools/homelab/src/core/helm/helm.ts';
import { createRelease } from '../../tools/homelab/src/core/model/release.ts';
import type { Release } from '../../tools/homelab/src/core/model/types.ts';
import { readChart } from '../../tools/homelab/src/core/workspace/charts.ts';
import { noSecrets, refusal, startChartRepo, type ChartServer } from '../helpers/chart-repo.ts';
import { startOciRegistry, type OciRegistry } from '../helpers/oci-registry.ts';

const chart = (name: string, version: string) => ({
  'Chart.yaml': `apiVersion: v2\nname: ${name}\nversion: ${version}\n`,
  'values.yaml': 'greeting: hello\n',
  'values-prod.yaml': 'greeting: production\n',
  'templates/cm.yaml': [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: {{ .Release.Name }}-{{ .Chart.Name }}',
    '  namespace: {{ .Release.Namespace }}',
    'data:',
    '  greeting: {{ .Values.greeting | quote }}',
    '  version: {{ .Chart.Version | quote }}',
    '  kube: {{ .Capabilities.KubeVersion.Version | quote }}',
    '',
  ].join('\n'),
});

let helm: Helm;
let work: string;
let repo: ChartServer;
let registry: OciRegistry;
let ctx: RenderContext;

/** A private helm home for the hand-written commands: they must not touch the user's helm cache either. */
const handEnv = () => ({
  HELM_CACHE_HOME: path.join(work, 'hand', 'cache'),
  HELM_CONFIG_HOME: path.join(work, 'hand', 'config'),
  HELM_DATA_HOME: path.join(work, 'hand', 'data'),
  HELM_REGISTRY_CONFIG: process.env.HELM_REGISTRY_CONFIG ?? '',
});

async function helmOk(args: string[], cwd = work): Promise<string> {
  const result = await runTool(helm.bin, args, { cwd, env: handEnv() });
  if (result.exitCode !== 0) throw new Error(`helm ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

/** `helm pull --untar` into a fresh folder, then the `helm template` ArgoCD runs inside the pulled chart. */
async function renderByHand(pull: string[], name: string, template: string[]): Promise<string> {
  const into = mkdtempSync(path.join(work, 'pulled-'));
  await helmOk(['pull', ...pull, '--untar', '--untardir', into]);
  return helmOk(
    ['template', '.', '--name-template', 'web', '--namespace', 'apps', '--kube-version', '1.33.0', ...template, '--include-crds'],
    path.join(into, name),
  );
}

function upstream(repoURL: string, chartName: string, targetRevision: string, extra: Partial<Release> = {}): Release {
  return createRelease({
    cluster: 'home',
    name: 'web',
    application: 'web',
    origin: 'application',
    chart: 'web',
    chartDir: '',
    namespace: 'apps',
    kubeVersion: '1.33.0',
    source: { kind: 'upstream', repoURL, chart: chartName, targetRevision },
    ...extra,
  });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'upstream-charts-'));
  vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'xdg-cache'));
  vi.stubEnv('HELM_REGISTRY_CONFIG', path.join(work, 'no-registry-config.json'));
  vi.stubEnv('HELM_REPOSITORY_CONFIG', path.join(work, 'no-repositories.yaml'));
  vi.stubEnv('HOMELAB_OFFLINE', undefined);
  helm = await resolveHelm();
  repo = await startChartRepo({
    'podinfo-1.0.0': chart('podinfo', '1.0.0'),
    'podinfo-1.2.0': chart('podinfo', '1.2.0'),
    'podinfo-2.0.0-rc.1': chart('podinfo', '2.0.0-rc.1'),
    'redis-17.3.1': chart('redis', '17.3.1'),
  });
  registry = await startOciRegistry({ auth: { username: 'robot', password: 'registry-password' } });
  await registry.push('charts', { 'app-1.4.0': chart('app', '1.4.0'), 'app-1.5.2': chart('app', '1.5.2') });
  mkdirSync(path.join(work, 'repo'));
  ctx = { root: path.join(work, 'repo'), helm, secrets: noSecrets, maskKey: Buffer.alloc(0) };
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await repo?.close();
  await registry?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('upstream charts from a Helm repository', () => {
  it('renders byte-identically to helm pull + helm template, with a value file inside the chart', async () => {
    const release = upstream(repo.url, 'podinfo', '1.0.0', {
      valueFiles: [{ raw: 'values-prod.yaml', path: 'values-prod.yaml', secret: false, inChart: true }],
    });
    const expected = await renderByHand(['--repo', repo.url, 'podinfo', '--version', '1.0.0'], 'podinfo', ['--values', 'values-prod.yaml']);
    expect(expected).toContain('greeting: "production"');
    expect((await renderRelease(ctx, release)).manifest).toBe(expected);
  });

  it('resolves a semver range as ArgoCD does: the highest release it admits, never a prerelease', async () => {
    const expected = await renderByHand(['--repo', repo.url, 'podinfo', '--version', '1.2.0'], 'podinfo', []);
    expect((await renderRelease(ctx, upstream(repo.url, 'podinfo', '>=1.0.0 <3.0.0'))).manifest).toBe(expected);
    expect(expected).toContain('version: "1.2.0"');
  });

  it('a wrapper chart with a remote dependency builds like helm dependency build, then offline from the cache', async () => {
    const dir = path.join(ctx.root, 'charts', 'wrapper');
    mkdirSync(path.join(dir, 'templates'), { recursive: true });
    writeFileSync(
      path.join(dir, 'Chart.yaml'),
      `apiVersion: v2\nname: wrapper\nversion: 0.1.0\ndependencies:\n  - name: redis\n    version: ^17.0.0\n    repository: ${repo.url}\n`,
    );
    writeFileSync(path.join(dir, 'values.yaml'), 'redis:\n  greeting: wrapped\n');
    const byHand = path.join(work, 'wrapper-by-hand');
    mkdirSync(byHand);
    for (const file of ['Chart.yaml', 'values.yaml']) writeFileSync(path.join(byHand, file), readFileSync(path.join(dir, file)));
    await helmOk(['dependency', 'build', '.'], byHand);
    const expected = await helmOk(['template', '.', '--name-template', 'web', '--namespace', 'apps', '--kube-version', '1.33.0', '--include-crds'], byHand);
    const release = createRelease({ cluster: 'home', name: 'web', chart: 'wrapper', chartDir: 'charts/wrapper', namespace: 'apps', kubeVersion: '1.33.0' });

    await buildDependencies(ctx.root, helm, await readChart(ctx.root, 'charts/wrapper'));
    expect(readFileSync(path.join(dir, 'Chart.lock'), 'utf8')).toContain('version: 17.3.1');
    // helm added the repository in its private home: the user's repository config was only read (here: absent).
    expect(existsSync(path.join(work, 'no-repositories.yaml'))).toBe(false);
    expect((await renderRelease(ctx, release)).manifest).toBe(expected);

    // A fresh checkout (no charts/), the repository gone: the locked archive comes from the cache.
    rmSync(path.join(dir, 'charts'), { recursive: true });
    const served = repo.requests.length;
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    try {
      await buildDependencies(ctx.root, helm, await readChart(ctx.root, 'charts/wrapper'));
    } finally {
      vi.stubEnv('HOMELAB_OFFLINE', undefined);
    }
    expect(repo.requests.length).toBe(served);
    expect((await renderRelease(ctx, release)).manifest).toBe(expected);
  });

  it('an offline miss is one line naming the chart, version, repository and charts pull', async () => {
    vi.stubEnv('HOMELAB_OFFLINE', '1');
    try {
      expect(await refusal(renderRelease(ctx, upstream(repo.url, 'podinfo', '9.9.9')))).toBe(
        `chart podinfo 9.9.9 from ${repo.url} is not in the chart cache (${path.join(work, 'xdg-cache', 'homelab', 'charts')}) and HOMELAB_OFFLINE is set — run npx homelab charts pull where the repository is reachable, then render again`,
      );
    } finally {
      vi.stubEnv('HOMELAB_OFFLINE', undefined);
    }
  });
});

describe('a Helm repository that needs credentials', () => {
  it('is refused in one line naming helm repo add; with the user’s repositories.yaml entry the chart is fetched', async () => {
    const guarded = await startChartRepo({ 'vault-0.1.0': chart('vault', '0.1.0') }, { auth: { username: 'reader', password: 'repo-password' } });
    try {
      const release = upstream(guarded.url, 'vault', '0.1.0');
      expect(await refusal(renderRelease(ctx, release))).toBe(
        `chart vault 0.1.0 from ${guarded.url}: the repository refused access (401 Unauthorized) — add the repository with its credentials: helm repo add <name> ${guarded.url} --username <user> --password-stdin (read from ${path.join(work, 'no-repositories.yaml')}, never from the repository)`,
      );
      const config = path.join(work, 'repositories.yaml');
      writeFileSync(config, `apiVersion: ""\nrepositories:\n  - name: private\n    url: ${guarded.url}\n    username: reader\n    password: repo-password\n`);
      vi.stubEnv('HELM_REPOSITORY_CONFIG', config);
      expect((await renderRelease(ctx, release)).manifest).toContain('name: web-vault');
    } finally {
      vi.stubEnv('HELM_REPOSITORY_CONFIG', path.join(work, 'no-repositories.yaml'));
      await guarded.close();
    }
  });
});

describe('upstream charts from an OCI registry', () => {
  it('a registry refusing access (no credentials in the helm registry config) is one line naming the fix', async () => {
    const line = await refusal(renderRelease(ctx, upstream(`oci://${registry.host}/charts`, 'app', '1.4.0')));
    expect(line).toMatch(
      new RegExp(
        `^chart app 1\\.4\\.0 from oci://${registry.host}/charts: the registry refused access \\(.*\\) — log in with helm registry login ${registry.host} `,
      ),
    );
    expect(line).not.toContain('\n');
  });

  it('renders byte-identically to helm pull oci:// + helm template, with the user’s registry credentials and a range', async () => {
    vi.stubEnv('HELM_REGISTRY_CONFIG', await registry.registryConfig(work));
    const expected = await renderByHand([`oci://${registry.host}/charts/app`, '--version', '1.5.2', '--plain-http'], 'app', []);
    expect((await renderRelease(ctx, upstream(`oci://${registry.host}/charts`, 'app', '~1.4 || ^1.5'))).manifest).toBe(expected);
    expect(expected).toContain('version: "1.5.2"');
  });
});

describe('the second render is offline', () => {
  it('every chart fetched above renders again with both servers stopped', async () => {
    const releases = [
      upstream(repo.url, 'podinfo', '1.0.0'),
      upstream(repo.url, 'podinfo', '>=1.0.0 <3.0.0'),
      upstream(`oci://${registry.host}/charts`, 'app', '~1.4 || ^1.5'),
    ];
    const before = await Promise.all(releases.map((r) => renderRelease(ctx, r)));
    await repo.close();
    await registry.close();
    const after = await Promise.all(releases.map((r) => renderRelease(ctx, r)));
    expect(after.map((r) => r.manifest)).toEqual(before.map((r) => r.manifest));
    // Nothing cached for this one: the stopped repository is named, with the fix.
    expect(await refusal(renderRelease(ctx, upstream(repo.url, 'podinfo', '1.1.0')))).toMatch(
      new RegExp(
        `^chart podinfo 1\\.1\\.0 from ${repo.url.replace(/\./g, '\\.')} is not in the chart cache \\(.*\\) and cannot be fetched: .* — run npx homelab charts pull where the repository is reachable, then render again$`,
      ),
    );
  });
});
