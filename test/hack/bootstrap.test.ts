// hack/bootstrap, the Nx bootstrap target from a shell when Nx is broken: the same core, so the same steps in the
// same order; a dry run only reads, and another cluster is refused as every cluster command refuses it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../tools/homelab/src/core/commands/bootstrap.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { startClusterRepo, type ClusterRepo } from '../helpers/cluster-repo.ts';

let cluster: ClusterRepo;

beforeAll(async () => {
  cluster = await startClusterRepo({ argocd: true, other: true });
});
afterAll(async () => {
  await cluster?.dispose();
});

// The system chart runs in home and lab: the bootstrap acts on one environment.
const hackBootstrap = (...args: string[]) => cluster.hack('bootstrap', '--cluster', 'home', ...args);

describe('hack/bootstrap', () => {
  it("--dry-run prints the Nx target's steps in order and sends the API server no change", async () => {
    const result = await hackBootstrap('--dry-run', '--kubeconfig', cluster.kubeconfig);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(cluster.api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    const steps = result.stdout.split('\n').filter((l) => l.startsWith('== '));
    expect(steps.map((l) => l.replace(/^== (\[\d\/7\]) (\S+ ?\S*).*/, '$1 $2'))).toEqual([
      '[1/7] Preflight: helm',
      '[2/7] Namespace argocd',
      '[3/7] ArgoCD: chart',
      '[4/7] System chart',
      '[5/7] Wait for',
      '[6/7] Root app-of-apps',
      '[7/7] Applications and',
    ]);
    // The core the Nx target runs, on the same repository: the script adds nothing and leaves nothing out.
    const chunks: string[] = [];
    await bootstrap(await openWorkspace(cluster.repo.root), { cluster: 'home', kubeconfig: cluster.kubeconfig, dryRun: true, bootstrapChart: 'system' }, (t) =>
      chunks.push(t),
    );
    expect(result.stdout).toBe(chunks.join(''));
  });

  it('--kube-context of another cluster is refused as --context is, before any request', async () => {
    const before = cluster.api.requests.length;
    const alias = await hackBootstrap('--dry-run', '--kubeconfig', cluster.kubeconfig, '--kube-context', 'other');
    const context = await hackBootstrap('--dry-run', '--kubeconfig', cluster.kubeconfig, '--context', 'other');
    expect(alias.exitCode).not.toBe(0);
    expect(alias.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(alias.stderr).toContain('refusing to act on another cluster');
    expect(alias.stderr).toBe(context.stderr);
    expect(cluster.api.requests.length).toBe(before);
  });
});
