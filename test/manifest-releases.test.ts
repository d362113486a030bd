/**
 * Directory and Kustomize releases on a cluster (the fake API server): install is `kubectl apply --server-side` of
 * the render, uninstall is `kubectl delete` of it after confirmation, keeping what holds data unless --delete-data.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeClusterWorkspace } from './helpers/cluster-workspace.ts';
import { startFakeApiServer, type FakeApiServer } from './helpers/fake-apiserver.ts';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { install } from '../tools/homelab/src/core/commands/install.ts';
import { uninstall } from '../tools/homelab/src/core/commands/uninstall.ts';
import { template } from '../tools/homelab/src/core/commands/template.ts';
import { openWorkspace, type Workspace } from '../tools/homelab/src/core/resolve/workspace.ts';

const application = (name: string, path: string, extra = '') => `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: ${name}
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "20"
spec:
  project: default
  source:
    repoURL: https://example.invalid/homelab.git
    targetRevision: main
    path: ${path}
${extra}  destination:
    server: https://kubernetes.default.svc
    namespace: web
`;

const FILES: Record<string, string> = {
  'clusters/home/apps/web.yaml': application('web', 'kustomize/web', '    kustomize:\n      namePrefix: home-\n'),
  'clusters/home/apps/plain.yaml': application('plain', 'manifests/plain'),
  'kustomize/web/kustomization.yaml': 'resources: [config.yaml, data.yaml]\n',
  'kustomize/web/config.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  greeting: hello\n',
  'kustomize/web/data.yaml':
    'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: web-data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n',
  'manifests/plain/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  from: directory\n',
};

let server: FakeApiServer;
let kubeconfig: string;
let ws: Workspace;

beforeAll(async () => {
  server = await startFakeApiServer();
  kubeconfig = await writeKubeconfig([{ name: 'home', server: server.url }]);
  const root = await writeClusterWorkspace(server.url);
  for (const [file, text] of Object.entries(FILES)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  ws = await openWorkspace(root);
});
afterAll(() => server.close());

const output = () => {
  const chunks: string[] = [];
  return { write: (text: string) => void chunks.push(text), text: () => chunks.join('') };
};

describe('directory and Kustomize releases on a cluster', () => {
  it('are releases of their own projects, rendered as ArgoCD renders them', async () => {
    const web = ws.resolution.releases.find((r) => r.name === 'web')!;
    expect([web.chart, web.chartDir, web.source?.kind]).toEqual(['web', 'kustomize/web', 'kustomize']);
    const out = output();
    await template(ws, { target: 'plain' }, out.write);
    expect(out.text()).toBe('---\n# Source: manifests/plain/cm.yaml\napiVersion: v1\ndata:\n  from: directory\nkind: ConfigMap\nmetadata:\n  name: plain\n');
  });

  it('install applies the render server-side into the destination namespace', async () => {
    const out = output();
    await install(ws, { target: 'web', kubeconfig }, out.write);
    expect(out.text()).toContain('$ kubectl --context home apply --server-side --field-manager homelab --namespace web -f -\n');
    expect(out.text()).toContain('    stdin <- the render of home/web (kustomize kustomize/web)\n');
    const applies = server.writes().filter((w) => w.method === 'PATCH');
    expect(applies.map((w) => w.path.replace(/\?.*/, '')).sort()).toEqual([
      '/api/v1/namespaces/web/configmaps/home-web',
      '/api/v1/namespaces/web/persistentvolumeclaims/home-web-data',
    ]);
    expect(applies.every((w) => w.path.includes('fieldManager=homelab'))).toBe(true);
    expect(server.objects.get('web/configmaps/home-web')).toMatchObject({ data: { greeting: 'hello' } });
    await install(ws, { target: 'plain', kubeconfig }, output().write);
    expect(server.objects.get('web/configmaps/plain')).toMatchObject({ data: { from: 'directory' } });
  });

  it('uninstall asks, then deletes the objects and keeps the volume claim unless --delete-data', async () => {
    const refused = await uninstall(ws, { target: 'web', kubeconfig, confirm: async () => false }, output().write).catch((e: Error) => e.message);
    expect(refused).toBe('uninstall of web not confirmed: nothing was changed');
    expect(server.objects.has('web/configmaps/home-web')).toBe(true);

    const out = output();
    await uninstall(ws, { target: 'web', kubeconfig, yes: true }, out.write);
    expect(out.text()).toContain('Keeping (left out of the delete; pass --delete-data to delete them): PersistentVolumeClaim home-web-data (namespace web)\n');
    expect(out.text()).toContain('$ kubectl --context home delete --namespace web --ignore-not-found -f -\n');
    expect(server.objects.has('web/configmaps/home-web')).toBe(false);
    expect(server.objects.has('web/persistentvolumeclaims/home-web-data')).toBe(true);

    await uninstall(ws, { target: 'web', kubeconfig, yes: true, deleteData: true }, output().write);
    expect(server.objects.has('web/persistentvolumeclaims/home-web-data')).toBe(false);
  });

  it('a dry run prints the kubectl calls and sends nothing that writes', async () => {
    const before = server.writes().length;
    const out = output();
    await install(ws, { target: 'web', kubeconfig, dryRun: true }, out.write);
    await uninstall(ws, { target: 'web', kubeconfig, dryRun: true }, out.write);
    expect(out.text()).toContain('$ kubectl --context home apply --server-side --field-manager homelab --namespace web -f -\n');
    expect(out.text()).toContain('$ kubectl --context home delete --namespace web --ignore-not-found -f -\n');
    expect(server.writes().length).toBe(before);
  });
});
