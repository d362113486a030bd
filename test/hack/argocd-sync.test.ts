// ArgoCD in the loop, through the built homelab bin against a fake API server: install --pause-sync turns automated
// sync off on the Application (and on the root app-of-apps that would re-apply it) before helm runs, argocd resume
// puts back exactly what was there, argocd sync/refresh write what the argocd CLI would. Every patch is asserted as
// the API server received it; dry runs send nothing.
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeApiServer, type FakeApiServer } from '../helpers/fake-apiserver.ts';
import { writeClusterWorkspace } from '../helpers/cluster-workspace.ts';
import { writeKubeconfig } from '../helpers/kubeconfig.ts';
import { childEnv, repoRoot } from '../support/workspace.ts';

const PAUSED = 'homelab.dev/paused-sync-policy';
const APPS = '/apis/argoproj.io/v1alpha1/namespaces/argocd/applications';

let api: FakeApiServer;
let root: string;
let kubeconfig: string;

/** The syncPolicies as git and the cluster hold them before any pause: what resume must give back exactly. */
const DEMO_POLICY = {
  automated: { prune: true, selfHeal: true },
  syncOptions: ['ServerSideApply=true'],
  retry: { limit: 3, backoff: { duration: '5s' } },
};
const ROOT_POLICY = { automated: { prune: true, selfHeal: true } };
const BASE_POLICY = { automated: { prune: true, selfHeal: true } };

function application(name: string, syncPolicy: unknown): Record<string, unknown> {
  return {
    metadata: { name, namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '10' } },
    spec: { project: 'default', syncPolicy },
    status: { sync: { status: 'Synced', revision: 'abcdef0123456789' }, health: { status: 'Healthy' } },
  };
}

function resetApplications(): void {
  for (const key of [...api.objects.keys()].filter((k) => k.includes('/applications/'))) api.objects.delete(key);
  api.put('applications', application('demo', structuredClone(DEMO_POLICY)));
  api.put('applications', application('base', structuredClone(BASE_POLICY)));
  api.put('applications', application('root', structuredClone(ROOT_POLICY)));
  api.put('applications', application('extra', { automated: {} }));
}

function stored(name: string): Record<string, unknown> {
  return api.objects.get(`argocd/applications/${name}`) as Record<string, unknown>;
}

beforeAll(async () => {
  api = await startFakeApiServer();
  root = await writeClusterWorkspace(api.url, { argocd: true });
  // The root app-of-apps syncs apps/ automatically with self-heal: left alone, it would re-apply demo's syncPolicy.
  const rootFile = path.join(root, 'clusters/home/root.yaml');
  await writeFile(rootFile, `${await readFile(rootFile, 'utf8')}  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n`);
  // A chart no Application deploys (a convention release), and one an ApplicationSet generates.
  for (const chart of ['loose', 'extra']) {
    await mkdir(path.join(root, `charts/${chart}/templates`), { recursive: true });
    await writeFile(path.join(root, `charts/${chart}/Chart.yaml`), `apiVersion: v2\nname: ${chart}\nversion: 0.1.0\n`);
    await writeFile(path.join(root, `charts/${chart}/templates/cm.yaml`), `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${chart}\ndata: {}\n`);
  }
  await writeFile(path.join(root, 'clusters/home/apps/set.yaml'), applicationSet(''));
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
});

afterAll(async () => {
  await api?.close();
  if (root) await rm(root, { recursive: true, force: true });
  if (kubeconfig) await rm(path.dirname(kubeconfig), { recursive: true, force: true });
});

function applicationSet(extraSpec: string): string {
  return `apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: extras
  namespace: argocd
spec:
  generators:
    - list:
        elements:
          - name: extra
${extraSpec}  template:
    metadata:
      name: '{{name}}'
    spec:
      project: default
      source:
        repoURL: https://example.invalid/homelab.git
        targetRevision: main
        path: 'charts/{{name}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: extra
      syncPolicy:
        automated: {}
`;
}

/** The built homelab bin, as `npx homelab` runs it (package.json's bin). */
async function binPath(): Promise<string> {
  const pkg = JSON.parse(await readFile(path.join(repoRoot, 'tools/homelab/package.json'), 'utf8')) as { bin: { homelab: string } };
  return path.join(repoRoot, 'tools/homelab', pkg.bin.homelab);
}

/** The bin on the test workspace, with its kubeconfig. */
async function homelab(...args: string[]) {
  const child = await execa(process.execPath, [await binPath(), ...args, '--kubeconfig', kubeconfig], {
    cwd: root,
    env: childEnv(),
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: child.exitCode, stdout: String(child.stdout), stderr: String(child.stderr) };
}

/**
 * The merge patches sent to Applications since `from`, in order, as the server parsed them; the saved syncPolicy in
 * the pause annotation parsed too (kubectl hands over the JSON the server gave it, keys in its order).
 */
function patchesSince(from: number): { name: string; patch: unknown }[] {
  return api.requests
    .slice(from)
    .filter((r) => r.method === 'PATCH' && r.path.startsWith(`${APPS}/`))
    .map((r) => {
      const patch = JSON.parse(r.body);
      const annotations = patch.metadata?.annotations;
      if (typeof annotations?.[PAUSED] === 'string') annotations[PAUSED] = JSON.parse(annotations[PAUSED]);
      return { name: r.path.slice(APPS.length + 1).split('?')[0], patch };
    });
}

/** The one-line refusal (a warning about the missing nx.json may come first). */
function refusal(stderr: string): string {
  return stderr.trim().split('\n').at(-1) ?? '';
}

function resourceVersion(name: string): string {
  return String((stored(name).metadata as Record<string, unknown>).resourceVersion);
}

describe('install --pause-sync', () => {
  it('--dry-run prints the patches and sends nothing', async () => {
    resetApplications();
    const before = api.requests.length;
    const result = await homelab('install', 'demo', '--pause-sync', '--dry-run');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(api.requests.length).toBe(before);
    const patches = result.stdout.split('\n').filter((l) => l.startsWith('$ kubectl') && l.includes(' patch '));
    expect(patches.map((l) => l.split(' ')[6])).toEqual(['root', 'demo']);
    expect(patches[1]).toContain('--type merge --patch');
    expect(patches[1]).toContain('"spec":{"syncPolicy":{"automated":null}}');
    expect(result.stdout).toContain('Resume with: homelab argocd resume home/demo');
  });

  it('pauses root, then demo, before helm writes anything, and status shows it', async () => {
    resetApplications();
    const [rootVersion, demoVersion] = [resourceVersion('root'), resourceVersion('demo')];
    const before = api.requests.length;
    const result = await homelab('install', 'demo', '--pause-sync', '--timeout', '60s');
    expect(result.exitCode, result.stderr + result.stdout).toBe(0);
    expect(patchesSince(before)).toEqual([
      {
        name: 'root',
        patch: {
          metadata: { resourceVersion: rootVersion, annotations: { [PAUSED]: ROOT_POLICY } },
          spec: { syncPolicy: { automated: null } },
        },
      },
      {
        name: 'demo',
        patch: {
          metadata: { resourceVersion: demoVersion, annotations: { [PAUSED]: DEMO_POLICY } },
          spec: { syncPolicy: { automated: null } },
        },
      },
    ]);
    const writes = api.requests.slice(before).filter((r) => r.method !== 'GET');
    const lastPatch = writes.findLastIndex((r) => r.path.startsWith(`${APPS}/`));
    const firstHelmWrite = writes.findIndex((r) => !r.path.startsWith(`${APPS}/`));
    expect(firstHelmWrite).toBeGreaterThan(lastPatch);
    expect(stored('demo').spec).toEqual({ project: 'default', syncPolicy: { syncOptions: DEMO_POLICY.syncOptions, retry: DEMO_POLICY.retry } });
    expect(result.stdout).not.toContain('ArgoCD will revert this install');

    const status = await homelab('status', 'demo');
    expect(status.stdout).toContain('demo Synced/Healthy @ abcdef01, automated sync and self-heal PAUSED (argocd resume home/demo)');
  });

  it('a second pause keeps the saved policy (no patch)', async () => {
    const before = api.requests.length;
    const result = await homelab('install', 'demo', '--pause-sync', '--timeout', '60s');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(patchesSince(before)).toEqual([]);
    expect(result.stdout).toContain('Application demo: automated sync already paused');
  });

  it('an Application that does not sync automatically: nothing paused, root left alone', async () => {
    resetApplications();
    (stored('base').spec as Record<string, unknown>).syncPolicy = { syncOptions: ['CreateNamespace=true'] };
    const before = api.requests.length;
    const result = await homelab('install', 'base', '--pause-sync', '--timeout', '60s');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(patchesSince(before)).toEqual([]);
    expect(result.stdout).toContain('Application base has no automated sync: nothing to pause, ArgoCD will not revert the install.');
  });

  it('--helm-dry-run with --pause-sync is refused (the pause would change what helm leaves alone)', async () => {
    const before = api.requests.length;
    const result = await homelab('install', 'demo', '--pause-sync', '--helm-dry-run', 'server');
    expect(refusal(result.stderr)).toBe(
      "✖ --pause-sync with --helm-dry-run: helm's dry run changes nothing, the pause would change the Applications — preview both with --dry-run, or drop --pause-sync",
    );
    expect(api.requests.length).toBe(before);
  });

  it('a release no Application deploys is refused before anything is sent', async () => {
    const before = api.requests.length;
    for (const args of [
      ['install', 'loose', '--pause-sync'],
      ['argocd', 'sync', 'loose'],
    ]) {
      const result = await homelab(...args);
      expect(result.exitCode).toBe(1);
      expect(refusal(result.stderr)).toMatch(/^✖ .*home\/loose has no ArgoCD Application \(no Application in git deploys chart loose; helm owns it\) — /);
    }
    expect(api.requests.length).toBe(before);
  });

  it('an ApplicationSet that would rewrite the Application is refused, unless it ignores /spec/syncPolicy', async () => {
    const refused = await homelab('install', 'extra', '--pause-sync', '--dry-run');
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain('ApplicationSet extras (clusters/home/apps/set.yaml) rewrites Application extra');
    await writeFile(
      path.join(root, 'clusters/home/apps/set.yaml'),
      applicationSet('  ignoreApplicationDifferences:\n    - jsonPointers: [/spec/syncPolicy]\n'),
    );
    try {
      const allowed = await homelab('install', 'extra', '--pause-sync', '--dry-run');
      expect(allowed.exitCode, allowed.stderr).toBe(0);
    } finally {
      await writeFile(path.join(root, 'clusters/home/apps/set.yaml'), applicationSet(''));
    }
  });
});

describe('argocd resume', () => {
  it('restores the saved syncPolicy exactly; root stays paused while another child is', async () => {
    resetApplications();
    expect((await homelab('install', 'base', '--pause-sync', '--timeout', '60s')).exitCode).toBe(0);
    expect((await homelab('install', 'demo', '--pause-sync', '--timeout', '60s')).exitCode).toBe(0);
    // Something changed the paused policy in between: resume removes what was added.
    const demo = stored('demo');
    (demo.spec as Record<string, Record<string, unknown>>).syncPolicy.syncOptions = ['Replace=true'];
    (demo.spec as Record<string, Record<string, unknown>>).syncPolicy.managedNamespaceMetadata = { labels: { a: 'b' } };
    const demoVersion = resourceVersion('demo');

    let before = api.requests.length;
    const first = await homelab('argocd', 'resume', 'demo');
    expect(first.exitCode, first.stderr).toBe(0);
    expect(patchesSince(before)).toEqual([
      {
        name: 'demo',
        patch: {
          metadata: { resourceVersion: demoVersion, annotations: { [PAUSED]: null } },
          spec: { syncPolicy: { managedNamespaceMetadata: null, automated: DEMO_POLICY.automated, syncOptions: DEMO_POLICY.syncOptions } },
        },
      },
    ]);
    expect((stored('demo').spec as Record<string, unknown>).syncPolicy).toEqual(DEMO_POLICY);
    expect((stored('demo').metadata as Record<string, Record<string, unknown>>).annotations[PAUSED]).toBeUndefined();
    expect(first.stdout).toContain('Application root stays paused: home/base still paused');

    before = api.requests.length;
    const second = await homelab('argocd', 'resume', 'home/base');
    expect(second.exitCode, second.stderr).toBe(0);
    expect(patchesSince(before).map((p) => p.name)).toEqual(['base', 'root']);
    expect((stored('base').spec as Record<string, unknown>).syncPolicy).toEqual(BASE_POLICY);
    expect((stored('root').spec as Record<string, unknown>).syncPolicy).toEqual(ROOT_POLICY);
    expect(Object.keys((stored('root').metadata as Record<string, Record<string, unknown>>).annotations)).not.toContain(PAUSED);

    before = api.requests.length;
    const again = await homelab('argocd', 'resume', 'demo');
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toContain('Application demo is not paused');
    expect(patchesSince(before)).toEqual([]);
  });

  it('--dry-run sends nothing', async () => {
    const before = api.requests.length;
    const result = await homelab('argocd', 'resume', 'demo', '--dry-run');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(api.requests.length).toBe(before);
    expect(result.stdout).toMatch(/^\$ kubectl --context home patch applications\.argoproj\.io demo --namespace argocd --type merge --patch /m);
  });
});

describe('argocd sync and refresh', () => {
  it('sync sets the operation the argocd CLI sets, and a second sync is refused while it runs', async () => {
    resetApplications();
    const version = resourceVersion('demo');
    const before = api.requests.length;
    const result = await homelab('argocd', 'sync', 'demo', '--prune');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(patchesSince(before)).toEqual([
      {
        name: 'demo',
        patch: {
          metadata: { resourceVersion: version },
          operation: {
            initiatedBy: { username: `${userInfo().username} (homelab)` },
            sync: { prune: true, syncOptions: DEMO_POLICY.syncOptions, syncStrategy: { hook: {} } },
            retry: DEMO_POLICY.retry,
          },
        },
      },
    ]);
    const busy = await homelab('argocd', 'sync', 'demo');
    expect(busy.exitCode).toBe(1);
    expect(refusal(busy.stderr)).toBe(
      '✖ Application demo: another operation is already in progress — wait for it to finish (status shows the sync state), or terminate it in ArgoCD',
    );
  });

  it('refresh annotates normal, --hard hard', async () => {
    resetApplications();
    const before = api.requests.length;
    expect((await homelab('argocd', 'refresh', 'demo')).exitCode).toBe(0);
    expect((await homelab('argocd', 'refresh', 'demo', '--hard')).exitCode).toBe(0);
    expect(patchesSince(before)).toEqual([
      { name: 'demo', patch: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'normal' } } } },
      { name: 'demo', patch: { metadata: { annotations: { 'argocd.argoproj.io/refresh': 'hard' } } } },
    ]);
  });

  it('several releases at once, in wave order, as every cluster command takes them', async () => {
    resetApplications();
    const before = api.requests.length;
    const result = await homelab('argocd', 'refresh', 'demo', 'base');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(patchesSince(before).map((p) => p.name)).toEqual(['base', 'demo']);
  });

  it('an unknown action is refused in one line', async () => {
    const result = await homelab('argocd', 'rollback', 'demo');
    expect(result.exitCode).toBe(1);
    expect(refusal(result.stderr)).toBe('✖ unknown action rollback — one of sync, refresh, resume; see --help');
    // Tab after `homelab argocd` offers the actions.
    const complete = await execa(process.execPath, [await binPath(), '__complete', 'argocd', ''], { cwd: root, env: childEnv() });
    expect(String(complete.stdout).split('\n')).toEqual(['refresh', 'resume', 'sync']);
  });
});
