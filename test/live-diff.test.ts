// hack/diff against the in-memory API server, in a copy of the example: drift and no drift with kubectl diff's
// output, the gitops chart (it renders into argocd and gitops), and no temp file written while a diff runs.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { renderReleases } from '../tools/homelab/src/core/commands/template.ts';
import { resolveKubectl } from '../tools/homelab/src/core/cluster/kube.ts';
import { decryptFile } from '../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace, selectReleases } from '../tools/homelab/src/core/resolve/workspace.ts';
import { createExampleRepo, type ExampleRepo } from './affected/example-repo.ts';
import { startFakeApiServer, type FakeApiServer } from './helpers/fake-apiserver.ts';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { findIn, needlesOf, type Needle } from './secrets/plaintext-scan.ts';

let repo: ExampleRepo;
let api: FakeApiServer;
let kubeconfig: string;
let dir: string;
/** The children's TMPDIR: watched, it must see nothing. */
let privateTmp: string;
let watcher: FSWatcher;
const created: string[] = [];
let onCreated: ((name: string) => void) | undefined;
let needles: Needle[];

const RESOURCE_OF: Record<string, string> = { Secret: 'secrets', CronJob: 'cronjobs', Ingress: 'ingresses' };

beforeAll(async () => {
  repo = createExampleRepo();
  dir = mkdtempSync(path.join(tmpdir(), 'live-diff-'));
  privateTmp = path.join(dir, 'tmp');
  mkdirSync(privateTmp);
  mkdirSync(path.join(dir, 'home'));
  // kubectl through a shim recording the TMPDIR each call gets (a Go program puts its temp files only there).
  const shim = path.join(dir, 'kubectl');
  writeFileSync(shim, `#!/bin/sh\nprintf '%s\\t%s\\n' "\${TMPDIR-unset}" "$*" >> '${path.join(dir, 'kubectl.log')}'\nexec '${await resolveKubectl()}' "$@"\n`);
  chmodSync(shim, 0o755);
  watcher = watch(privateTmp, (_event, name) => {
    created.push(String(name));
    onCreated?.(String(name));
  });
  const { leaves } = await decryptFile(path.join(repo.root, 'secrets.yaml'), { workspaceRoot: repo.root, env: childEnv() });
  needles = needlesOf(leaves);
});

afterAll(() => {
  watcher?.close();
  repo?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeEach(async () => {
  await api?.close();
  api = await startFakeApiServer();
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
  repo.write('clusters/home/cluster.yaml', repo.read('clusters/home/cluster.yaml').replace(/^server: .*$/m, `server: ${api.url}`));
});

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: privateTmp, HOME: path.join(dir, 'home'), KUBECTL_BIN: path.join(dir, 'kubectl'), FORCE_COLOR: '0' };
  for (const k of ['HELM_BIN', 'KUBECONFIG', 'SOPS_AGE_KEY', 'SOPS_AGE_KEY_FILE', 'SOPS_AGE_KEY_CMD', 'XDG_CONFIG_HOME']) delete env[k];
  return env;
}

/** Resolves once the watcher has seen every event up to now (inotify keeps their order): a marker file's own. */
async function settleWatcher(): Promise<void> {
  const marker = `flush-${created.length}`;
  const seen = new Promise<void>((resolve) => (onCreated = (name) => name === marker && resolve()));
  writeFileSync(path.join(privateTmp, marker), '');
  await seen;
  rmSync(path.join(privateTmp, marker));
}

const kubectlCalls = () =>
  readFileSync(path.join(dir, 'kubectl.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split('\t'));

/** hack/diff as a user runs it; each run also proves no decrypted value was printed and no temp file was written. */
async function hackDiff(...args: string[]) {
  const child = await execa(process.execPath, [path.join(repo.root, 'hack', 'diff'), ...args, '--kubeconfig', kubeconfig], {
    cwd: repo.root,
    env: childEnv(),
    extendEnv: false,
    reject: false,
    stripFinalNewline: false,
    stdin: 'ignore',
  });
  const stdout = String(child.stdout);
  const stderr = String(child.stderr);
  // Soft: a test goes on to say what else is wrong.
  expect.soft(findIn(stdout + stderr, needles), 'decrypted values in the output').toEqual([]);
  // Nothing in a temp dir: kubectl (a Go program) puts temp files only under $TMPDIR, which was the watched dir
  // for every call, and the watcher saw nothing appear there, not even for a moment.
  await settleWatcher();
  expect
    .soft(
      kubectlCalls().filter(([tmp]) => tmp !== privateTmp),
      'kubectl calls with another TMPDIR',
    )
    .toEqual([]);
  expect
    .soft(
      created.filter((name) => !name.startsWith('flush-')),
      'written to TMPDIR',
    )
    .toEqual([]);
  return { exitCode: child.exitCode, stdout, stderr };
}

/** The live objects as ArgoCD would have synced them: the render, each in its own namespace or the release's. */
async function syncRender(): Promise<void> {
  const ws = await openWorkspace(repo.root);
  const [{ manifest }] = await renderReleases(ws, selectReleases(ws, 'gitops'), {});
  for (const doc of parseAllDocuments(manifest)) {
    const object = doc.toJS() as { kind: string; metadata: { namespace?: string } } | null;
    if (!object) continue;
    object.metadata.namespace ??= 'gitops';
    api.put(RESOURCE_OF[object.kind], object);
  }
}

describe('hack/diff gitops (a chart rendering into argocd and gitops)', () => {
  it('on an empty cluster: every object new, in both namespaces, exit 1; Secret data never shown; no temp file', async () => {
    const { exitCode, stdout, stderr } = await hackDiff('gitops');
    expect(stderr).toBe('');
    expect(exitCode).toBe(1);
    const lines = stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('$ '))).toEqual(
      ['gitops', 'argocd'].flatMap((ns) => [
        `$ kubectl --context home get --ignore-not-found --namespace ${ns} --output json -f -`,
        `$ kubectl --context home apply --server-side --dry-run=server --force-conflicts --field-manager=kubectl --namespace ${ns} --output json -f -`,
      ]),
    );
    expect(lines.filter((l) => l.startsWith('diff '))).toEqual(
      [
        'batch.v1.CronJob.gitops.renovate',
        'networking.k8s.io.v1.Ingress.argocd.argocd',
        'v1.Secret.argocd.argocd-notifications-secret',
        'v1.Secret.argocd.homelab-repository',
        'v1.Secret.gitops.renovate-token',
      ].map((name) => `diff -u -N LIVE/${name} MERGED/${name}`),
    );
    expect(stdout).toMatch(
      /^--- LIVE\/v1\.Secret\.argocd\.homelab-repository\n\+\+\+ MERGED\/v1\.Secret\.argocd\.homelab-repository\n@@ -0,0 \+1,\d+ @@\n\+apiVersion: v1\n/m,
    );
    expect(stdout).toMatch(/^\+stringData:\n\+ {2}password: REDACTED[0-9a-f]{8}\n/m);
    expect(stdout).toContain('drift: home/gitops differs from git\n');
  });

  it('in sync once the cluster holds the render (exit 0); a hand edit is drift (exit 1) shown as kubectl diff shows it', async () => {
    await syncRender();
    const synced = await hackDiff('gitops');
    expect(synced.stderr).toBe('');
    expect(synced.stdout).not.toContain('diff -u -N');
    expect(synced.stdout).toContain('in sync: home/gitops\n');
    expect(synced.exitCode).toBe(0);

    const cronJob = api.objects.get('gitops/cronjobs/renovate')!;
    (cronJob.spec as { schedule: string }).schedule = '0 5 * * *';
    const secret = api.objects.get('argocd/secrets/argocd-notifications-secret')!;
    (secret.stringData as Record<string, string>)['slack-token'] = 'changed-by-hand';
    const drifted = await hackDiff('gitops');
    expect(drifted.exitCode).toBe(1);
    const changed = drifted.stdout.split('\n').filter((l) => /^[-+]/.test(l));
    expect(changed.slice(0, 6)).toEqual([
      '--- LIVE/batch.v1.CronJob.gitops.renovate',
      '+++ MERGED/batch.v1.CronJob.gitops.renovate',
      '-  schedule: 0 5 * * *',
      '+  schedule: 0 4 * * *',
      '--- LIVE/v1.Secret.argocd.argocd-notifications-secret',
      '+++ MERGED/v1.Secret.argocd.argocd-notifications-secret',
    ]);
    // The changed value shows as a changed marker, never as itself.
    expect(changed.slice(6)).toEqual([
      expect.stringMatching(/^- {2}slack-token: REDACTED[0-9a-f]{8}$/),
      expect.stringMatching(/^\+ {2}slack-token: REDACTED[0-9a-f]{8}$/),
    ]);
    expect(changed[6].slice(1)).not.toBe(changed[7].slice(1));
    expect(drifted.stdout).not.toContain('changed-by-hand');
    expect(drifted.stdout).toContain('drift: home/gitops differs from git\n');
  });

  it('a kind the cluster does not serve is one line naming it and its fix, exit 2', async () => {
    repo.write('charts/gitops/templates/zz-widget.yaml', 'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n');
    try {
      const { exitCode, stderr } = await hackDiff('gitops');
      expect(exitCode).toBe(2);
      expect(stderr.trim().split('\n').at(-1)).toBe(
        '✖ kubectl get failed for home/gitops in namespace gitops: resource mapping not found for name: "w" namespace: "" from "STDIN": no matches for kind "Widget" in version "example.com/v1" — install the CRD of Widget (example.com/v1) first, then diff again',
      );
    } finally {
      repo.remove('charts/gitops/templates/zz-widget.yaml');
    }
  });

  it('a refused dry run is one line and exit 2', async () => {
    api.failNext('PATCH', '/namespaces/argocd/', 422, 'admission webhook "policy.example" denied the request');
    const { exitCode, stderr } = await hackDiff('gitops');
    expect(exitCode).toBe(2);
    expect(stderr.trim().split('\n').at(-1)).toMatch(
      /^✖ the server-side dry run \(kubectl apply --dry-run=server\) failed for home\/gitops in namespace argocd: .*denied the request — see the output above$/,
    );
  });
});
