// A helm/sops user's first ten commands, typed without reading the help, each run through the real homelab bin on a
// copy of the example (its cluster on the in-memory API server) and checked to do what that user expects.
import { existsSync, readFileSync, rmSync, statfsSync, writeFileSync, chmodSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decryptFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { createExampleRepo, type ExampleRepo } from '../affected/example-repo.ts';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { hasPty, runOnTerminal } from '../support/pty.ts';
import { childEnv } from '../support/workspace.ts';

const TMPFS_MAGIC = 0x01021994;
const shmIsTmpfs = existsSync('/dev/shm') && Number(statfsSync('/dev/shm').type) === TMPFS_MAGIC;

let repo: ExampleRepo;
let bin: string;
let api: FakeApiServer;
let kubeconfig: string;
let runtime: string | undefined;

beforeAll(async () => {
  api = await startFakeApiServer();
  repo = createExampleRepo();
  const { bin: bins } = JSON.parse(repo.read('tools/homelab/package.json')) as { bin: { homelab: string } };
  bin = path.join(repo.root, 'tools/homelab', bins.homelab);
  repo.write('clusters/home/cluster.yaml', repo.read('clusters/home/cluster.yaml').replace(/^server: .*$/m, `server: ${api.url}`));
  repo.write('my-values.yaml', 'prometheus:\n  image:\n    tag: v0.0.1-mine\n');
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
  if (shmIsTmpfs) runtime = mkdtempSync('/dev/shm/habits-test-');
});
afterAll(async () => {
  await api?.close();
  repo?.dispose();
  if (runtime) rmSync(runtime, { recursive: true, force: true });
});

async function homelab(line: string) {
  const args = line.split(' ').slice(1);
  const child = await execa(process.execPath, [bin, ...args], { cwd: repo.root, env: childEnv({ CI: '' }), reject: false, stdin: 'ignore' });
  return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
}

describe("a helm/sops user's first ten commands", () => {
  it('1. homelab template monitoring -n monitoring: the render, the namespace accepted', async () => {
    const result = await homelab('homelab template monitoring -n monitoring --keyless');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('kind: StatefulSet');
  });

  // The Application sets prometheus.retention=30d as a parameter: a later --set wins over it, as with helm.
  it('2. homelab template monitoring --set prometheus.retention=7d: the value applied, a one-line notice', async () => {
    const result = await homelab('homelab template home/monitoring --set prometheus.retention=7d --keyless');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('--storage.tsdb.retention.time=7d');
    expect(result.stderr).toContain('this is not what ArgoCD renders');
  });

  it('3. homelab template monitoring -f my-values.yaml: the file applied', async () => {
    const result = await homelab('homelab template home/monitoring -f my-values.yaml --keyless');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('quay.io/prometheus/prometheus:v0.0.1-mine');
  });

  it('4. homelab template monitoring --show-only templates/grafana.yaml: one template', async () => {
    const result = await homelab('homelab template home/monitoring --show-only templates/grafana.yaml --keyless');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(new Set(result.stdout.split('\n').filter((l) => l.startsWith('# Source: ')))).toEqual(new Set(['# Source: monitoring/templates/grafana.yaml']));
  });

  it('5. homelab diff monitoring --kube-context home --dry-run: the invocations on that context', async () => {
    const result = await homelab(`homelab diff home/monitoring --kube-context home --dry-run --kubeconfig ${kubeconfig}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('$ kubectl --context home get');
  });

  it('6. homelab diff --all --dry-run: every release, in wave order', async () => {
    const result = await homelab(`homelab diff --all --cluster home --dry-run --kubeconfig ${kubeconfig}`);
    expect(result.exitCode, result.stderr).toBe(0);
    const waves = [...result.stdout.matchAll(/^== \[\d+\/\d+\] diff home\/\S+ \(wave (-?\d+)\)$/gm)].map((m) => Number(m[1]));
    expect(waves.length).toBeGreaterThan(5);
    expect(waves).toEqual([...waves].sort((a, b) => a - b));
  });

  it('7. homelab status monitoring -o json: data', async () => {
    const result = await homelab(`homelab status home/monitoring -o json --kubeconfig ${kubeconfig}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject([{ cluster: 'home', release: 'monitoring', helm: null }]);
  });

  it('8. homelab install monitoring --dry-run: the exact helm upgrade --install', async () => {
    const result = await homelab(`homelab install home/monitoring --dry-run --kubeconfig ${kubeconfig}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\$ helm upgrade monitoring charts\/monitoring --install /m);
  });

  it('9. homelab uninstall jellyfin --dry-run --yes: the plan, data kept', async () => {
    const result = await homelab(`homelab uninstall jellyfin --dry-run --yes --kubeconfig ${kubeconfig}`);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\$ helm uninstall jellyfin /m);
  });

  it.skipIf(!shmIsTmpfs || !hasPty)('10. homelab secrets edit: $EDITOR on the decrypted document, one value re-encrypted', async () => {
    const editor = path.join(repo.root, 'edit.sh');
    writeFileSync(editor, `#!/bin/sh\nsed -i 's/^\\(        adminPassword: \\).*/\\1typed-in-the-editor/' "$1"\n`);
    chmodSync(editor, 0o755);
    const env = { ...childEnv({ EDITOR: editor, XDG_RUNTIME_DIR: runtime!, CI: '' }) } as Record<string, string | undefined>;
    for (const k of ['SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'SOPS_EDITOR', 'VISUAL']) delete env[k];
    const run = await runOnTerminal([process.execPath, bin, 'secrets', 'edit'], [], { env, cwd: repo.root });
    expect(run.code, run.shown).toBe(0);
    const { data } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root });
    expect((data as { monitoring: { grafana: { adminPassword: string } } }).monitoring.grafana.adminPassword).toBe('typed-in-the-editor');
    expect(readFileSync(path.join(repo.root, 'secrets.yaml'), 'utf8')).not.toContain('typed-in-the-editor');
  });
});
