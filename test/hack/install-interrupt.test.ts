/**
 * Ctrl-C during hack/install: helm (signalled with it, as a terminal signals the whole foreground process group)
 * undoes its change; the script waits for that, then says in one line what state the release is in.
 */
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClusterRepo, type ClusterRepo } from '../helpers/cluster-repo.ts';
import { childEnv } from '../support/workspace.ts';

let cluster: ClusterRepo;

beforeAll(async () => {
  cluster = await startClusterRepo();
  // A chart (deployed by the example's ApplicationSet) whose Pod the in-memory API server never makes ready: helm
  // waits until it is interrupted.
  cluster.repo.write('charts/waiting/Chart.yaml', 'apiVersion: v2\nname: waiting\nversion: 0.1.0\n');
  cluster.repo.write('charts/waiting/values.yaml', '{}\n');
  cluster.repo.write(
    'charts/waiting/templates/pod.yaml',
    'apiVersion: v1\nkind: Pod\nmetadata:\n  name: waiting\nspec:\n  containers:\n    - name: pause\n      image: registry.k8s.io/pause:3.10\n',
  );
});
afterAll(async () => {
  await cluster?.dispose();
});

describe('hack/install interrupted', () => {
  it('waits for helm to undo its change, then one line with the release state, exit 130', async () => {
    const { repo, api, kubeconfig } = cluster;
    // Its own process group, like a job in a terminal: the "Ctrl-C" below reaches the script and helm alike.
    const child = execa(process.execPath, [path.join(repo.root, 'hack/install'), 'waiting', '--kubeconfig', kubeconfig, '--timeout', '10m'], {
      cwd: repo.root,
      env: childEnv(),
      detached: true,
      reject: false,
      stdin: 'ignore',
    });
    // helm creates the Pod once the release record is written: from then on it is waiting, its signal handler set.
    while (!api.requests.some((r) => r.method !== 'GET' && r.path.includes('/namespaces/waiting/pods'))) {
      if (child.exitCode !== null) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (child.exitCode !== null) expect.fail(`hack/install ended before helm waited: ${(await child).stderr}`);
    process.kill(-child.pid!, 'SIGINT');
    const result = await child;
    // At exit helm is done: it removed what the failed first install had created, release record included.
    const left = [...api.objects.keys()].filter((key) => key.startsWith('waiting/'));
    expect(left, result.stdout + result.stderr).toEqual([]);
    expect(result.exitCode).toBe(130);
    expect(result.stderr.split('\n').filter((l) => l.startsWith('✖'))).toEqual([
      '✖ interrupted by SIGINT; helm has finished: home/waiting not installed — check it with hack/status, then run the install again',
    ]);
  });
});
