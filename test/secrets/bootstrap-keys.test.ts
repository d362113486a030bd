// The bootstrap looks the age keys up once, like every run: a SOPS_AGE_KEY_CMD runs once per bootstrap, and the
// identity it printed is the one handed to ArgoCD.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { bootstrap } from '../../tools/homelab/src/core/commands/bootstrap.ts';
import { extractBundledHelm, withVersion } from '../../tools/homelab/src/core/helm/helm.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { startChartRepo } from '../helpers/chart-repo.ts';
import { FAKE_ARGOCD_CHART, writeClusterWorkspace } from '../helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { repoRoot } from '../support/workspace.ts';

let api: FakeApiServer;
let repo: Awaited<ReturnType<typeof startChartRepo>>;
let dir: string;

beforeAll(async () => {
  api = await startFakeApiServer();
  repo = await startChartRepo({ 'argo-cd': FAKE_ARGOCD_CHART });
  dir = mkdtempSync(path.join(tmpdir(), 'bootstrap-keys-'));
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await api?.close();
  await repo?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('runs SOPS_AGE_KEY_CMD once per bootstrap and hands its identity to ArgoCD', async () => {
  const demoKey = readFileSync(path.join(repoRoot, 'demo-age-key.txt'), 'utf8');
  const identity = demoKey.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
  writeFileSync(path.join(dir, 'key.txt'), demoKey);
  const counter = path.join(dir, 'count');
  const script = path.join(dir, 'key-cmd.sh');
  writeFileSync(script, `#!/bin/sh\necho run >> '${counter}'\ncat '${path.join(dir, 'key.txt')}'\n`);
  chmodSync(script, 0o755);
  for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'XDG_CONFIG_HOME']) vi.stubEnv(k, undefined);
  vi.stubEnv('HOME', dir);
  vi.stubEnv('SOPS_AGE_KEY_CMD', script);

  const ws = {
    ...(await openWorkspace(await writeClusterWorkspace(api.url, { argocd: true, demoKey: false }))),
    helm: await withVersion(await extractBundledHelm(), 'bundled'),
  };
  const kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
  await bootstrap(ws, { kubeconfig, bootstrapChart: 'base', argocdChartRepo: repo.url, renderer: 'simple' }, () => {});

  expect(readFileSync(counter, 'utf8')).toBe('run\n');
  const key = api.objects.get('argocd/secrets/helm-secrets-private-keys')!;
  expect(Buffer.from((key.data as Record<string, string>)['key.txt'], 'base64').toString()).toBe(`${identity}\n`);
});
