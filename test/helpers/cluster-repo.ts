// A copy of the example whose home cluster is the in-memory API server, with a kubeconfig naming it: what every
// test of a cluster command through the hack/ launchers starts from.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { childEnv } from '../support/workspace.ts';
import { startFakeApiServer, type FakeApiServer } from './fake-apiserver.ts';
import { writeKubeconfig } from './kubeconfig.ts';

export interface ClusterRepo {
  repo: ExampleRepo;
  api: FakeApiServer;
  /** Context `home` (current) on the API server; with `other: true` also context `other`, another cluster. */
  kubeconfig: string;
  /** `hack/<cmd> <args>` in the copy, run to its end (never rejects). */
  hack(cmd: string, ...args: string[]): Promise<{ exitCode?: number; stdout: string; stderr: string }>;
  dispose(): Promise<void>;
}

export async function startClusterRepo(options: { argocd?: boolean; other?: boolean } = {}): Promise<ClusterRepo> {
  const api = await startFakeApiServer({ argocd: options.argocd });
  const repo = createExampleRepo();
  const clusterFile = path.join(repo.root, 'clusters/home/cluster.yaml');
  writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace(/^server: .*$/m, `server: ${api.url}`));
  // "other" answers nowhere: a command that reached it instead of refusing would fail loudly.
  const kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }, ...(options.other ? [{ name: 'other', server: 'https://127.0.0.1:1' }] : [])]);
  return {
    repo,
    api,
    kubeconfig,
    async hack(cmd, ...args) {
      const child = await execa(process.execPath, [path.join(repo.root, 'hack', cmd), ...args], {
        cwd: repo.root,
        env: childEnv(),
        reject: false,
        stdin: 'ignore',
        // Compared byte for byte with a core's output by some tests.
        stripFinalNewline: false,
      });
      return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
    },
    async dispose() {
      await api.close();
      repo.dispose();
    },
  };
}
