// The example's upstream Applications (ArgoCD itself, cert-manager with a $values file of this repository) render
// exactly as ArgoCD's repo-server renders them: the hand-written helm pull + helm template of the same chart. The
// Applications name the real public repositories; the test never contacts them: small stand-in charts under the
// same names are served on loopback, and the chart cache is filled from there as `hack/charts pull` would.
import { execa } from 'execa';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chartsPull } from '../../tools/homelab/src/core/commands/charts.ts';
import { template } from '../../tools/homelab/src/core/commands/template.ts';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';
import { cachedChartCommand } from '../../tools/homelab/src/core/helm/chart-record.ts';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { openWorkspace, type Workspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { HomelabError } from '../../tools/homelab/src/core/model/errors.ts';
import { exampleFiles, materialize } from '../adoption/layouts.ts';
import { startChartRepo, type ChartServer } from '../helpers/chart-repo.ts';
import { ARGO_CD, CERT_MANAGER, prefillExampleCharts } from '../helpers/example-upstream.ts';
import { childEnv, repoRoot } from '../support/workspace.ts';

let work: string;
let repo: ChartServer;
let ws: Workspace;

/** A private helm home for the hand-written commands. */
const handEnv = () => ({
  HELM_CACHE_HOME: path.join(work, 'h', 'cache'),
  HELM_CONFIG_HOME: path.join(work, 'h', 'config'),
  HELM_DATA_HOME: path.join(work, 'h', 'data'),
});

/** `helm pull --untar` from the loopback stand-in, then helm template in the pulled chart with `args`. */
async function byHand(chart: string, version: string, args: string[], input?: string): Promise<string> {
  const { bin } = await resolveHelm();
  const into = mkdtempSync(path.join(work, 'pulled-'));
  const pulled = await runTool(bin, ['pull', '--repo', repo.url, chart, '--version', version, '--untar', '--untardir', into], { env: handEnv() });
  expect(pulled.stderr).toBe('');
  const rendered = await runTool(bin, ['template', '.', ...args, '--include-crds'], {
    cwd: path.join(into, chart),
    env: handEnv(),
    inputs: input === undefined ? [] : [Buffer.from(input)],
  });
  expect(rendered.stderr).toBe('');
  return rendered.stdout;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'upstream-example-'));
  vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'cache'));
  vi.stubEnv('HOMELAB_OFFLINE', '1');
  repo = await startChartRepo({ 'argo-cd': ARGO_CD, 'cert-manager': CERT_MANAGER });
  await prefillExampleCharts();
  ws = await openWorkspace(repoRoot);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await repo?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('the example’s upstream Applications, from the chart cache, offline', () => {
  it('are releases of their own: argocd and cert-manager, named after their Applications', () => {
    const upstream = ws.resolution.releases.filter((r) => r.source?.kind === 'upstream');
    expect(upstream.map((r) => [r.chart, r.name, r.namespace, r.wave, r.source])).toEqual([
      ['argocd', 'argocd', 'argocd', -10, { kind: 'upstream', repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', targetRevision: '8.5.8' }],
      [
        'cert-manager',
        'cert-manager',
        'cert-manager',
        0,
        { kind: 'upstream', repoURL: 'https://charts.jetstack.io', chart: 'cert-manager', targetRevision: 'v1.18.2' },
      ],
      // The lab environment runs its own ArgoCD, the same chart version.
      ['argocd', 'argocd', 'argocd', -10, { kind: 'upstream', repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', targetRevision: '8.5.8' }],
    ]);
  });

  it('hack/template argocd renders ArgoCD’s Application: its valuesObject as the last values file', async () => {
    const app = parse(readFileSync(path.join(repoRoot, 'clusters/home/apps/argocd.yaml'), 'utf8'));
    const expected = await byHand(
      'argo-cd',
      '8.5.8',
      ['--name-template', 'argocd', '--namespace', 'argocd', '--kube-version', '1.33.0', '--values', '-'],
      stringify(app.spec.source.helm.valuesObject),
    );
    expect(expected).toContain('application.resourceTrackingMethod: "annotation"');
    const run = await execa(path.join(repoRoot, 'hack', 'template'), ['argocd', '--cluster', 'home'], {
      cwd: repoRoot,
      env: childEnv({ XDG_CACHE_HOME: path.join(work, 'cache'), HOMELAB_OFFLINE: '1' }),
      reject: false,
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe(expected.trimEnd());
  });

  it('is an Nx project named after the Application: nx run argocd:template prints the same render; the cached version and digest are an input', async () => {
    const env = childEnv({ XDG_CACHE_HOME: path.join(work, 'cache'), HOMELAB_OFFLINE: '1' });
    const shown = JSON.parse((await execa('npx', ['nx', 'show', 'project', 'argocd', '--json'], { cwd: repoRoot, env })).stdout);
    expect([shown.root, shown.tags]).toEqual(['clusters/home/apps/argocd', ['source:upstream', 'wave:-10']]);
    expect(Object.keys(shown.targets).sort()).toEqual(['diff', 'install', 'lint', 'render', 'status', 'template', 'uninstall', 'validate']);
    const [digestInput] = shown.namedInputs.chart as { runtime: string }[];
    expect(digestInput.runtime).toBe(cachedChartCommand({ repoURL: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', revision: '8.5.8' }));
    const digest = await execa('sh', ['-c', digestInput.runtime], { cwd: repoRoot, env });
    expect(JSON.parse(digest.stdout)).toMatchObject({ chart: 'argo-cd', version: '8.5.8', digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
    const hack = await execa(path.join(repoRoot, 'hack', 'template'), ['argocd', '--cluster', 'home'], { cwd: repoRoot, env });
    const { stdout } = await execa('npx', ['nx', 'run', 'argocd:template', '--skip-nx-cache'], { cwd: repoRoot, env });
    expect(stdout).toContain(hack.stdout);
    // Two Nx runs on a loaded 2-core machine: more than the default per-test limit.
  }, 600_000);

  it('cert-manager: the chart from its repository, the values from this repository through $values', async () => {
    const expected = await byHand('cert-manager', 'v1.18.2', [
      '--name-template',
      'cert-manager',
      '--namespace',
      'cert-manager',
      '--kube-version',
      '1.33.0',
      '--values',
      path.join(repoRoot, 'clusters/home/values/cert-manager.yaml'),
    ]);
    expect(expected).toContain('name: certificates.cert-manager.io');
    const [rendered] = await template(ws, { target: 'cert-manager' }, () => undefined);
    expect(rendered.manifest).toBe(expected);
  });

  it('a chart that is not cached is one line naming it, its repository and npx homelab charts pull; other releases still render', async () => {
    const env = childEnv({ XDG_CACHE_HOME: path.join(work, 'empty-cache'), HOMELAB_OFFLINE: '1' });
    const refused = await execa(path.join(repoRoot, 'hack', 'template'), ['cert-manager'], { cwd: repoRoot, env, reject: false });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(
      `✖ chart cert-manager v1.18.2 from https://charts.jetstack.io is not in the chart cache (${path.join(work, 'empty-cache', 'homelab', 'charts')}) and HOMELAB_OFFLINE is set — run npx homelab charts pull where the repository is reachable, then render again`,
    );
    const other = await execa(path.join(repoRoot, 'hack', 'template'), ['system'], { cwd: repoRoot, env, reject: false });
    expect(other.exitCode).toBe(0);
    expect(other.stdout).toContain('kind: AppProject');
  });
});

describe('hack/charts pull', () => {
  it('fetches every upstream chart of a repository (Applications and remote dependencies), after which renders are offline', async () => {
    // The example with its Applications pointed at the loopback stand-in, and a wrapper chart depending on it.
    const files = exampleFiles();
    for (const app of ['clusters/home/apps/argocd.yaml', 'clusters/home/apps/cert-manager.yaml']) {
      files.set(app, files.get(app)!.replace(/https:\/\/(argoproj\.github\.io\/argo-helm|charts\.jetstack\.io)/, repo.url));
    }
    const copy = materialize({ name: 'pull', files, initArgs: [], chartGlobs: [], clusterGlobs: [], projects: [], releases: [] });
    try {
      mkdirSync(path.join(copy.root, 'charts', 'wrapped'));
      writeFileSync(
        path.join(copy.root, 'charts', 'wrapped', 'Chart.yaml'),
        `apiVersion: v2\nname: wrapped\nversion: 0.1.0\ndependencies:\n  - name: cert-manager\n    version: v1.18.2\n    repository: ${repo.url}\n`,
      );
      writeFileSync(path.join(copy.root, 'charts', 'wrapped', 'values.yaml'), 'cert-manager:\n  prometheus:\n    enabled: true\n');
      writeFileSync(
        path.join(copy.root, 'charts', 'wrapped', 'Chart.lock'),
        `dependencies:\n- name: cert-manager\n  repository: ${repo.url}\n  version: v1.18.2\ndigest: sha256:0\ngenerated: "2026-01-01T00:00:00Z"\n`,
      );
      vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'pull-cache'));
      vi.stubEnv('HOMELAB_OFFLINE', undefined);
      const pulled = await openWorkspace(copy.root);
      let out = '';
      await chartsPull(pulled, (text) => (out += text));
      const digest = (name: string) => /\((sha256:[0-9a-f]{64})\)/.exec(out.split('\n').find((l) => l.startsWith(name)) ?? '')?.[1];
      expect(out.split('\n')).toEqual([
        `home/argocd: argo-cd 8.5.8 from ${repo.url} (${digest('home/argocd')})`,
        `home/cert-manager: cert-manager v1.18.2 from ${repo.url} (${digest('home/cert-manager')})`,
        `charts/wrapped: cert-manager v1.18.2 from ${repo.url} (${digest('home/cert-manager')})`,
        `3 upstream charts in ${path.join(work, 'pull-cache', 'homelab', 'charts')}`,
        '',
      ]);

      vi.stubEnv('HOMELAB_OFFLINE', '1');
      const served = repo.requests.length;
      const rendered = await template(pulled, { target: 'cert-manager' }, () => undefined);
      expect(rendered[0].manifest).toContain('name: cert-manager');
      const [wrapped] = await template(pulled, { target: 'wrapped' }, () => undefined);
      expect(wrapped.manifest).toContain('name: wrapped');
      expect(repo.requests.length).toBe(served);

      // Offline, a chart not pulled yet is a failed line of its own; the others are still reported.
      files.set('clusters/home/apps/argocd.yaml', files.get('clusters/home/apps/argocd.yaml')!.replace('8.5.8', '8.5.9'));
      writeFileSync(path.join(copy.root, 'clusters/home/apps/argocd.yaml'), files.get('clusters/home/apps/argocd.yaml')!);
      let again = '';
      const failed = await chartsPull(await openWorkspace(copy.root), (text) => (again += text)).catch((err: unknown) => err);
      expect(failed).toBeInstanceOf(HomelabError);
      expect((failed as HomelabError).line()).toBe(
        `1 of 3 upstream charts could not be pulled into ${path.join(work, 'pull-cache', 'homelab', 'charts')} — see the lines above for each one`,
      );
      expect(again.split('\n')[0]).toMatch(
        /^home\/argocd: ✖ chart argo-cd 8\.5\.9 from .* is not in the chart cache .* and HOMELAB_OFFLINE is set — run npx homelab charts pull/,
      );
      expect(again.split('\n')[1]).toMatch(/^home\/cert-manager: cert-manager v1\.18\.2 /);
    } finally {
      vi.stubEnv('XDG_CACHE_HOME', path.join(work, 'cache'));
      vi.stubEnv('HOMELAB_OFFLINE', '1');
      copy.dispose();
    }
  });
});
