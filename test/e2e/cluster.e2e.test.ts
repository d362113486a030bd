/**
 * Real-cluster end-to-end suite: install → diff → uninstall → bootstrap twice, against the cluster of
 * E2E_KUBECONFIG (a kind cluster in .github/workflows/e2e-kind.yaml, whose context is renamed to `home`).
 * Skipped when E2E_KUBECONFIG is not set. Runs on copies of the workspace whose cluster.yaml declares the
 * kind API server, so the context guard is exercised for real.
 */
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeClusterWorkspace } from '../helpers/cluster-workspace.ts';
import { repoRoot } from '../support/workspace.ts';
import { bootstrap } from '../../tools/homelab/src/core/commands/bootstrap.ts';
import { diff } from '../../tools/homelab/src/core/commands/diff.ts';
import { install } from '../../tools/homelab/src/core/commands/install.ts';
import { status } from '../../tools/homelab/src/core/commands/status.ts';
import { uninstall } from '../../tools/homelab/src/core/commands/uninstall.ts';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';

const kubeconfig = process.env.E2E_KUBECONFIG;
const CONTEXT = 'home';

async function kubectl(args: string[]) {
  return runTool('kubectl', ['--context', CONTEXT, ...args], { env: { KUBECONFIG: kubeconfig! } });
}

function output() {
  const chunks: string[] = [];
  return {
    write: (text: string) => {
      chunks.push(text);
      process.stdout.write(text);
    },
    text: () => chunks.join(''),
  };
}

/** The API server of the `home` context: cluster.yaml copies must declare it. */
async function homeServer(): Promise<string> {
  const config = parse(await readFile(kubeconfig!.split(path.delimiter)[0], 'utf8')) as {
    contexts: { name: string; context: { cluster: string } }[];
    clusters: { name: string; cluster: { server: string } }[];
  };
  const cluster = config.contexts.find((c) => c.name === CONTEXT)?.context.cluster;
  const server = config.clusters.find((c) => c.name === cluster)?.cluster.server;
  if (!server) throw new Error(`E2E_KUBECONFIG has no context named ${CONTEXT}`);
  return server;
}

describe.skipIf(!kubeconfig)('cluster operations against a real cluster', () => {
  let server: string;
  beforeAll(async () => {
    server = await homeServer();
  });

  it('install → diff → uninstall keeps the PVC', async () => {
    const root = await writeClusterWorkspace(server);
    // A workload mounting the claim: kind's local-path storage binds on first use, and helm waits for it.
    await writeFile(
      path.join(root, 'charts/demo/templates/deployment.yaml'),
      [
        'apiVersion: apps/v1',
        'kind: Deployment',
        'metadata: {name: demo}',
        'spec:',
        '  selector: {matchLabels: {app: demo}}',
        '  template:',
        '    metadata: {labels: {app: demo}}',
        '    spec:',
        '      containers:',
        '        - name: pause',
        '          image: registry.k8s.io/pause:3.10',
        '          volumeMounts: [{name: data, mountPath: /data}]',
        '      volumes: [{name: data, persistentVolumeClaim: {claimName: demo-data}}]',
        '',
      ].join('\n'),
    );
    const ws = await openWorkspace(root);

    await install(ws, { target: 'demo', kubeconfig, timeout: '5m' }, output().write);
    expect((await kubectl(['get', 'configmap', 'demo-config', '--namespace', 'apps'])).exitCode).toBe(0);

    expect((await diff(ws, { target: 'demo', kubeconfig }, output().write)).drift).toBe(false);
    await kubectl(['patch', 'configmap', 'demo-config', '--namespace', 'apps', '--type', 'merge', '-p', '{"data":{"greeting":"edited"}}']);
    const drifted = output();
    expect((await diff(ws, { target: 'demo', kubeconfig }, drifted.write)).drift).toBe(true);
    expect(drifted.text()).toContain('greeting: edited');

    const statusOut = output();
    await status(ws, { target: 'demo', kubeconfig }, statusOut.write);
    expect(statusOut.text()).toMatch(/home\/demo {2}namespace apps {2}helm deployed \(revision 1, demo-0\.1\.0\)/);

    const removed = output();
    await uninstall(ws, { target: 'demo', kubeconfig, yes: true }, removed.write);
    expect(removed.text()).toContain('These resources were kept due to the resource policy');
    expect((await kubectl(['get', 'persistentvolumeclaim', 'demo-data', '--namespace', 'apps'])).exitCode).toBe(0);
    expect((await kubectl(['get', 'configmap', 'demo-config', '--namespace', 'apps'])).exitCode).not.toBe(0);
    await kubectl(['delete', 'namespace', 'apps', '--wait=false']);
  });

  it('bootstraps the example repository, and a second bootstrap changes nothing', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'e2e-homelab-'));
    for (const entry of ['charts', 'clusters', 'secrets.yaml', 'demo-age-key.txt', 'nx.json']) {
      await cp(path.join(repoRoot, entry), path.join(root, entry), { recursive: true });
    }
    const clusterFile = path.join(root, 'clusters/home/cluster.yaml');
    await writeFile(clusterFile, (await readFile(clusterFile, 'utf8')).replace(/^server: .*$/m, `server: ${server}`));
    const ws = await openWorkspace(root);

    const first = output();
    await bootstrap(ws, { kubeconfig, timeout: '10m', renderer: 'simple' }, first.write);
    expect((await kubectl(['get', 'secret', 'helm-secrets-private-keys', '--namespace', 'argocd'])).exitCode).toBe(0);
    expect((await kubectl(['get', 'applications.argoproj.io', 'root', '--namespace', 'argocd'])).exitCode).toBe(0);
    expect((await kubectl(['get', 'appprojects.argoproj.io', 'homelab', '--namespace', 'argocd'])).exitCode).toBe(0);

    const second = output();
    await bootstrap(ws, { kubeconfig, timeout: '10m', renderer: 'simple' }, second.write);
    expect(second.text()).toMatch(/unchanged: release argocd revision 1 /);
    expect(second.text()).toMatch(/unchanged: release system revision 1 /);
  });
});
