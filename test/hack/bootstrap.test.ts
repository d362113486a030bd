// hack/bootstrap, the Nx bootstrap target from a shell when Nx is broken: the same core, so the same steps in the
// same order; a dry run only reads, and another cluster is refused as every cluster command refuses it.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bootstrap } from '../../tools/homelab/src/core/commands/bootstrap.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { childEnv } from '../support/workspace.ts';

let repo: ExampleRepo;
let api: FakeApiServer;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeApiServer({ argocd: true });
  repo = createExampleRepo();
  const clusterFile = path.join(repo.root, 'clusters/home/cluster.yaml');
  writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace(/^server: .*$/m, `server: ${api.url}`));
  kubeconfig = await writeKubeconfig([
    { name: 'home', server: api.url },
    { name: 'other', server: 'https://127.0.0.1:1' },
  ]);
});
afterAll(async () => {
  await api?.close();
  repo?.dispose();
});

async function hackBootstrap(...args: string[]) {
  const child = await execa(process.execPath, [path.join(repo.root, 'hack/bootstrap'), ...args], {
    cwd: repo.root,
    env: childEnv(),
    reject: false,
    stdin: 'ignore',
    // Compared byte for byte with the core's output below.
    stripFinalNewline: false,
  });
  return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
}

describe('hack/bootstrap', () => {
  it("--dry-run prints the Nx target's steps in order and sends the API server no change", async () => {
    const result = await hackBootstrap('--dry-run', '--kubeconfig', kubeconfig);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([]);
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
    await bootstrap(await openWorkspace(repo.root), { kubeconfig, dryRun: true, bootstrapChart: 'system' }, (t) => chunks.push(t));
    expect(result.stdout).toBe(chunks.join(''));
  });

  it('--kube-context of another cluster is refused as --context is, before any request', async () => {
    const before = api.requests.length;
    const alias = await hackBootstrap('--dry-run', '--kubeconfig', kubeconfig, '--kube-context', 'other');
    const context = await hackBootstrap('--dry-run', '--kubeconfig', kubeconfig, '--context', 'other');
    expect(alias.exitCode).not.toBe(0);
    expect(alias.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(alias.stderr).toContain('refusing to act on another cluster');
    expect(alias.stderr).toBe(context.stderr);
    expect(api.requests.length).toBe(before);
  });
});
