import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeClusterWorkspace } from '../../../../../test/helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from '../../../../../test/helpers/fake-apiserver.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';
import { extractBundledHelm, withVersion, type Helm } from '../helm/helm.ts';
import type { HomelabError } from '../model/errors.ts';
import { copyFootprint } from '../render/shared-objects.ts';
import { openWorkspace, type Workspace } from '../resolve/workspace.ts';
import { openSecrets } from '../secrets/index.ts';
import { preview, previewStates, type PreviewRequest } from './preview.ts';

/**
 * Preview environments with real helm and kubectl against the in-memory API server (test/helpers/fake-apiserver.ts):
 * the copy lands in its own namespace and nowhere else, the teardown leaves nothing behind, a dry run sends nothing,
 * and a release whose copy would share objects with itself is not previewed.
 */
let helm: Helm;
let api: FakeApiServer;
let root: string;
let kubeconfig: string;

beforeAll(async () => {
  helm = await withVersion(await extractBundledHelm(), 'bundled');
});

beforeEach(async () => {
  api = await startFakeApiServer();
  root = await writeClusterWorkspace(api.url);
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
});
afterEach(() => api.close());

async function workspace(): Promise<Workspace> {
  return { ...(await openWorkspace(root)), helm };
}

async function run(request: Omit<PreviewRequest, 'kubeconfig'>) {
  const chunks: string[] = [];
  const outcomes = await preview(await workspace(), { kubeconfig, ...request }, (text) => chunks.push(text));
  return { outcomes, text: chunks.join('') };
}

/** Stored objects by namespace (`''`: cluster-scoped), as `resource/name`. */
function objectsIn(namespace: string): string[] {
  return [...api.objects.keys()]
    .filter((key) => key.startsWith(`${namespace}/`))
    .map((key) => key.slice(namespace.length + 1))
    .sort();
}

const commands = (text: string) => text.split('\n').filter((l) => l.startsWith('$ '));

describe('preview', () => {
  it('installs a copy of the release into <release>-pr-<n> with install’s helm path, then the teardown removes it and its namespace', async () => {
    const secretValues = (await (await openSecrets(root, { keyless: false })).secrets.load(`${root}/secrets.yaml`)).leaves.filter((v) => v.length > 8);
    const summary = path.join(root, 'summary.md');
    const installed = await run({ targets: ['demo'], pr: 7, summary });
    expect(commands(installed.text)).toEqual([
      '$ helm upgrade demo-pr-7 charts/demo --install --namespace demo-pr-7 --kube-context home --create-namespace --values charts/demo/values.yaml --values - --take-ownership --rollback-on-failure --wait=watcher --timeout 5m',
    ]);
    expect(installed.text).toContain('    stdin <- secrets.yaml (secrets://../../secrets.yaml), decrypted in memory\n');
    expect(installed.text).toMatch(/ {2}helm \| Installed with repository token REDACTED[0-9a-f]{8}\n/);
    for (const secret of secretValues) expect(installed.text).not.toContain(secret);
    expect(installed.text).toContain('# preview of pull request #7:\n#   home/demo → demo-pr-7 (namespace demo-pr-7): deployed, revision 1 (demo-0.1.0)\n');
    // The copy is in its namespace only; the release's own namespace (apps) was never written.
    expect(objectsIn('demo-pr-7')).toEqual(['configmaps/demo-config', 'persistentvolumeclaims/demo-data', 'secrets/sh.helm.release.v1.demo-pr-7.v1']);
    expect(objectsIn('')).toEqual(['namespaces/demo-pr-7']);
    expect(objectsIn('apps')).toEqual([]);
    expect(await readFile(summary, 'utf8')).toContain('| `home/demo` | `demo-pr-7` | deployed, revision 1 (demo-0.1.0) |');
    // What an interrupted run reports once helm has finished.
    expect(await previewStates(await workspace(), { targets: ['demo'], pr: 7, kubeconfig })).toBe('home/demo-pr-7 deployed, revision 1 (demo-0.1.0)');

    const removed = await run({ targets: ['demo'], pr: 7, teardown: true });
    expect(commands(removed.text)).toEqual([
      '$ helm uninstall demo-pr-7 --namespace demo-pr-7 --kube-context home --wait=watcher --timeout 5m',
      '$ kubectl --context home delete namespace demo-pr-7 --ignore-not-found --timeout=5m',
    ]);
    expect(removed.text).toContain('#   home/demo → demo-pr-7 (namespace demo-pr-7): removed\n');
    expect([...api.objects.keys()]).toEqual([]);

    // A pull request closed twice, or never previewed: nothing to remove is no failure.
    const again = await run({ targets: ['demo'], pr: 7, teardown: true });
    expect(again.text).toContain('# no helm release demo-pr-7 in namespace demo-pr-7: nothing to uninstall\n');
    expect(again.outcomes.map((o) => o.result)).toEqual(['removed']);
  });

  it('a failed install is undone by helm, fails in one line, and the summary says so too', async () => {
    api.failNext('PATCH', '/persistentvolumeclaims', 422, 'admission webhook "quota.example.com" denied the request: storage quota exceeded');
    const summary = path.join(root, 'summary.md');
    const error = await run({ targets: ['demo'], pr: 8, summary }).then(
      () => undefined,
      (e: HomelabError) => e.line(),
    );
    expect(error).toMatch(/^helm upgrade --install of home\/demo-pr-8 failed: .*storage quota exceeded.* — helm undid the change/);
    expect(await readFile(summary, 'utf8')).toMatch(
      /\| `home\/demo` \| `demo-pr-8` \| failed: helm upgrade --install of home\/demo-pr-8 failed: .*storage quota exceeded/,
    );
    expect(objectsIn('demo-pr-8')).toEqual([]);
  });

  it('a dry run prints the invocations and sends the API server nothing, installing or tearing down', async () => {
    const installing = await run({ targets: ['demo', 'base'], pr: 12, dryRun: true });
    expect(commands(installing.text)).toEqual([
      '$ helm history demo-pr-12 --namespace demo-pr-12 --kube-context home --max 20 -o json',
      '$ helm upgrade demo-pr-12 charts/demo --install --namespace demo-pr-12 --kube-context home --create-namespace --values charts/demo/values.yaml --values - --take-ownership --rollback-on-failure --wait=watcher --timeout 5m',
      '$ helm history base-pr-12 --namespace base-pr-12 --kube-context home --max 20 -o json',
      '$ helm upgrade base-pr-12 charts/base --install --namespace base-pr-12 --kube-context home --create-namespace --take-ownership --rollback-on-failure --wait=watcher --timeout 5m',
    ]);
    const tearing = await run({ targets: ['demo'], pr: 12, dryRun: true, teardown: true });
    expect(commands(tearing.text)).toEqual([
      '$ helm uninstall demo-pr-12 --namespace demo-pr-12 --kube-context home --wait=watcher --timeout 5m',
      '$ kubectl --context home delete namespace demo-pr-12 --ignore-not-found --timeout=5m',
    ]);
    expect(api.requests).toEqual([]);
  });

  it('does not preview a release whose copy would share objects with it, says which, and previews the others', async () => {
    // A ClusterRole of a fixed name and a Secret pinned to argocd: the copy renders the very same objects.
    await mkdir(path.join(root, 'charts/base/templates'), { recursive: true });
    await writeFile(
      path.join(root, 'charts/base/templates/shared.yaml'),
      [
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRole',
        'metadata:',
        '  name: base-reader',
        'rules: []',
        '---',
        'apiVersion: v1',
        'kind: Secret',
        'metadata:',
        '  name: base-repository',
        '  namespace: argocd',
        '---',
        'apiVersion: rbac.authorization.k8s.io/v1',
        'kind: ClusterRole',
        'metadata:',
        '  name: {{ .Release.Namespace }}-own',
        'rules: []',
        '',
      ].join('\n'),
    );
    const both = await run({ targets: ['base', 'demo'], pr: 3, dryRun: true });
    expect(both.text).toContain(
      '# home/base not previewed: the copy would share Secret argocd/base-repository, ClusterRole base-reader with the release itself\n',
    );
    expect(commands(both.text).map((c) => c.split(' ').slice(0, 4).join(' '))).toEqual(['$ helm history demo-pr-3', '$ helm upgrade demo-pr-3']);
    expect(both.outcomes.map((o) => [o.release.name, o.result.split(':')[0]])).toEqual([
      ['base', 'not previewed'],
      ['demo', 'dry run'],
    ]);

    const alone = await run({ targets: ['base'], pr: 3, dryRun: true });
    expect(alone.outcomes.map((o) => o.result)).toEqual([
      'not previewed: the copy would share Secret argocd/base-repository, ClusterRole base-reader with the release itself',
    ]);
    expect(commands(alone.text)).toEqual([]);
    expect(api.requests).toEqual([]);
  });

  it('refuses a missing pull request number and a preview name helm cannot take, in one line', async () => {
    const ws = await workspace();
    const line = (request: Partial<PreviewRequest>) =>
      preview(ws, { targets: ['demo'], kubeconfig, dryRun: true, ...request }, () => {}).then(
        () => '',
        (e: HomelabError) => e.line(),
      );
    expect(await line({})).toBe('a preview needs the pull request number — pass --pr <n>, e.g. --pr 42 (in CI: github.event.pull_request.number)');
    expect(await line({ pr: 'x1' })).toMatch(/^--pr x1: not a pull request number — /);
    const long = ws.resolution.releases.find((r) => r.name === 'demo')!;
    const renamed = { ...ws, resolution: { ...ws.resolution, releases: [{ ...long, name: 'd'.repeat(50) }] } };
    const error = await preview(renamed, { targets: ['d'.repeat(50)], pr: 1234, kubeconfig, dryRun: true }, () => {}).catch((e: HomelabError) => e.line());
    expect(error).toMatch(
      /: the preview name d+-pr-1234 is no helm release name and namespace \(at most 53 characters; .*\) — give its Application a shorter helm.releaseName$/,
    );
  });
});

describe('copyFootprint', () => {
  const crd = (scope: string) =>
    `apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: widgets.example.invalid\nspec:\n  group: example.invalid\n  scope: ${scope}\n  names:\n    kind: Widget\n    plural: widgets\n`;
  const widget = 'apiVersion: example.invalid/v1\nkind: Widget\nmetadata:\n  name: w\n';

  it("a custom kind's scope comes from its CustomResourceDefinition; without one, the same name counts as shared", () => {
    const footprint = (crds: string[]) => copyFootprint({ manifest: widget, namespace: 'apps' }, { manifest: widget, namespace: 'apps-pr-1' }, crds).shared;
    expect(footprint([crd('Namespaced')])).toEqual([]);
    expect(footprint([crd('Cluster')])).toEqual(['Widget w']);
    expect(footprint([])).toEqual(['Widget w (scope unknown: no CustomResourceDefinition)']);
  });

  it('objects named after the release or namespace are the copy’s own, listed when outside its namespace', () => {
    const render = (ns: string) =>
      `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: ${ns}-prometheus\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n`;
    expect(
      copyFootprint({ manifest: render('monitoring'), namespace: 'monitoring' }, { manifest: render('monitoring-pr-2'), namespace: 'monitoring-pr-2' }),
    ).toEqual({
      shared: [],
      outside: ['ClusterRoleBinding monitoring-pr-2-prometheus'],
    });
  });
});
