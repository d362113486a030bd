import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import { resolveHelm } from '../helm/helm.ts';
import { validateManifests, type Finding } from './index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../..');
const chartDir = path.join(root, 'test/fixtures/validate/chart');
const backupCrd = readFileSync(path.join(chartDir, 'templates/backup-crd.yaml'), 'utf8');
const opts = { release: 'web', kubeVersion: '1.33.0' };

async function helmTemplate(...extra: string[]): Promise<string> {
  const helm = await resolveHelm();
  const { stdout } = await execa(helm.bin, ['template', 'web', chartDir, '--namespace', 'web', ...extra]);
  return stdout;
}

const deployment = (spec: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: web
spec:
${spec}`;

const validPodTemplate = `  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27.0`;

const error = (resource: string, path: string, message: string): Finding => ({ release: 'web', resource, path, message, severity: 'error' });

describe('validateManifests on a real helm render', () => {
  let render: string;
  beforeAll(async () => {
    render = await helmTemplate();
  });

  it('passes the valid Deployment, Service, Ingress, PVC, Secret, Application, CRD and custom resource', () => {
    const kinds = [...render.matchAll(/^kind: (\w+)$/gm)].map((m) => m[1]).sort();
    expect(kinds).toEqual(['Application', 'Backup', 'CustomResourceDefinition', 'Deployment', 'Ingress', 'PersistentVolumeClaim', 'Secret', 'Service']);
    // The Backup custom resource is checked against the CRD rendered alongside it (no crds option).
    expect(validateManifests(render, opts)).toEqual([]);
  });

  it('reports a value helm rendered with the wrong type', async () => {
    const broken = await helmTemplate('--set-string', 'replicas=two');
    expect(validateManifests(broken, opts)).toEqual([error('Deployment/web', 'spec.replicas', 'must be integer, got string "two"')]);
  });

  // How fast is measured by `npm run bench`, not here: a time limit in a test fails on a loaded machine.
  it('validates ~100 documents, cold and warm alike', () => {
    const many = Array.from({ length: 13 }, () => render).join('\n---\n');
    expect([...many.matchAll(/^kind: /gm)].length).toBe(104);
    expect(validateManifests(many, opts)).toEqual([]);
    expect(validateManifests(many, opts)).toEqual([]);
  });
});

describe('validateManifests findings', () => {
  it('reports a missing required field', () => {
    expect(validateManifests(deployment(validPodTemplate), opts)).toEqual([error('Deployment/web/web', 'spec.selector', 'missing required field "selector"')]);
  });

  it('reports an unknown field at its path', () => {
    const yaml = deployment(`  selector: {matchLabels: {app: web}}\n${validPodTemplate}\n          imagePullPolicyy: Always`);
    expect(validateManifests(yaml, opts)).toEqual([
      error('Deployment/web/web', 'spec.template.spec.containers[0].imagePullPolicyy', 'unknown field "imagePullPolicyy"'),
    ]);
  });

  it('reports an unknown field in an ArgoCD Application but leaves free-form valuesObject alone', () => {
    const app = parse(readFileSync(path.join(chartDir, 'templates/application.yaml'), 'utf8').replaceAll(/\{\{[^}]*\}\}/g, 'web'));
    app.spec.source.helm.valueFile = ['typo.yaml'];
    app.spec.source.helm.valuesObject = { anything: { at: ['all'] } };
    expect(validateManifests(JSON.stringify(app), opts)).toEqual([
      error('Application/argocd/web-child', 'spec.source.helm.valueFile', 'unknown field "valueFile"'),
    ]);
  });

  it('folds the branches of an int-or-string field into one finding', () => {
    const yaml = deployment(`  selector: {matchLabels: {app: web}}\n  strategy: {rollingUpdate: {maxSurge: true}}\n${validPodTemplate}`);
    expect(validateManifests(yaml, opts)).toEqual([
      error('Deployment/web/web', 'spec.strategy.rollingUpdate.maxSurge', 'must be string or integer, got boolean true'),
    ]);
  });

  it('reports an API version removed in the declared Kubernetes version and accepts it for older ones', () => {
    const pdb =
      'apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n';
    expect(validateManifests(pdb, opts)).toEqual([
      error('PodDisruptionBudget/web', 'apiVersion', 'policy/v1beta1 PodDisruptionBudget removed in 1.25 — use policy/v1'),
    ]);
    expect(validateManifests(pdb, { ...opts, kubeVersion: '1.20.0' })).toEqual([]);
    expect(validateManifests(pdb, { ...opts, kubeVersion: 'v1.24.17' })).toEqual([
      {
        release: 'web',
        resource: 'PodDisruptionBudget/web',
        path: 'apiVersion',
        message: 'policy/v1beta1 PodDisruptionBudget deprecated in 1.21, removed in 1.25 — use policy/v1',
        severity: 'warning',
      },
    ]);
  });

  it('reports a kind that no schema and no CRD describes', () => {
    const yaml = 'apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {size: 3}\n';
    expect(validateManifests(yaml, opts)).toEqual([
      error(
        'Widget/w',
        'kind',
        'unknown kind Widget in example.com/v1: no Kubernetes schema and no CRD describes it — pass its CustomResourceDefinition in the crds option',
      ),
    ]);
  });

  it('reports a misspelt built-in kind and a nested type used as a kind', () => {
    const yaml = 'apiVersion: apps/v1\nkind: Deploymnet\nmetadata: {name: a}\n---\napiVersion: apps/v1\nkind: DeploymentSpec\nmetadata: {name: b}\n';
    expect(validateManifests(yaml, opts).map((f) => [f.resource, f.path, f.message.split(':')[0]])).toEqual([
      ['Deploymnet/a', 'kind', 'unknown kind Deploymnet in apps/v1'],
      ['DeploymentSpec/b', 'kind', 'unknown kind DeploymentSpec in apps/v1'],
    ]);
  });

  it('checks custom resources against a supplied CRD document', () => {
    const backup = `apiVersion: homelab.example/v1
kind: Backup
metadata: {name: nightly, namespace: web}
spec:
  keep: "seven"
  target: 8080
  retention: 3
  options: {free: form}
`;
    expect(validateManifests(backup, opts)).toHaveLength(1); // unknown kind without the CRD
    expect(validateManifests(backup, { ...opts, crds: [backupCrd] })).toEqual([
      error('Backup/web/nightly', 'spec.keep', 'must be integer, got string "seven"'),
      error('Backup/web/nightly', 'spec.retention', 'unknown field "retention"'),
      error('Backup/web/nightly', 'spec.schedule', 'missing required field "schedule"'),
    ]);
    const badTarget = backup.replace('target: 8080', 'target: [1]').replace('  keep: "seven"\n', '  schedule: "@daily"\n').replace('  retention: 3\n', '');
    expect(validateManifests(badTarget, { ...opts, crds: [backupCrd] })).toEqual([
      error('Backup/web/nightly', 'spec.target', 'must be integer or string, got array'),
    ]);
  });

  it('passes a broad set of valid built-in kinds (no unknown-field false positives)', () => {
    const yaml = readFileSync(path.join(root, 'test/fixtures/validate/builtin-kinds.yaml'), 'utf8');
    expect([...yaml.matchAll(/^kind: /gm)].length).toBe(20);
    expect(validateManifests(yaml, opts)).toEqual([]);
  });

  it('follows structural-schema rules: anyOf, int-or-string, embedded and preserved objects, list maps', () => {
    const crd = readFileSync(path.join(root, 'test/fixtures/validate/certificate-crd.yaml'), 'utf8');
    const certificate = `apiVersion: cert.example/v1
kind: Certificate
metadata: {name: web, namespace: web}
spec:
  secretName: web-tls
  duration: 2160h
  labels: {team: home}
  privateKey: {algorithm: ECDSA, size: null}
  issuerRef: {name: letsencrypt}
  keystores: {jks: {create: true}}
  ports: [{name: https, port: 443}, {name: alt, port: https}]
  template: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}, anything: [goes]}
`;
    expect(validateManifests(certificate, { ...opts, crds: [crd] })).toEqual([]);
    const broken = certificate
      .replace('{jks: {create: true}}', '{other: {}}')
      .replace('algorithm: ECDSA', 'algorithm: DSA')
      .replace('port: https}', 'port: https, protocol: TCP}');
    expect(validateManifests(broken, { ...opts, crds: [crd] })).toEqual([
      error('Certificate/web/web', 'spec.keystores', 'must match a schema in anyOf, got object'),
      error('Certificate/web/web', 'spec.keystores.other', 'unknown field "other"'),
      error('Certificate/web/web', 'spec.ports[1].protocol', 'unknown field "protocol"'),
      error('Certificate/web/web', 'spec.privateKey.algorithm', 'must be one of "RSA", "ECDSA", "Ed25519", got string "DSA"'),
    ]);
  });

  it('checks the metadata of custom resources as ObjectMeta', () => {
    const yaml = 'apiVersion: homelab.example/v1\nkind: Backup\nmetadata: {name: b, labels: {a: 1}}\nspec: {schedule: "@daily"}\n';
    expect(validateManifests(yaml, { ...opts, crds: [backupCrd] })).toEqual([error('Backup/b', 'metadata.labels.a', 'must be string, got number 1')]);
  });

  it('passes valid ArgoCD AppProject and ApplicationSet documents', () => {
    const yaml = `apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: homelab, namespace: argocd}
spec:
  description: Everything in the homelab
  sourceRepos: ['*']
  destinations: [{server: https://kubernetes.default.svc, namespace: '*'}]
  clusterResourceWhitelist: [{group: '*', kind: '*'}]
---
apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata: {name: charts, namespace: argocd}
spec:
  goTemplate: true
  generators:
    - git:
        repoURL: https://git.home.example/homelab.git
        revision: main
        directories: [{path: charts/*}, {path: charts/common, exclude: true}]
  template:
    metadata: {name: '{{.path.basename}}'}
    spec:
      project: homelab
      source: {repoURL: https://git.home.example/homelab.git, targetRevision: main, path: '{{.path.path}}'}
      destination: {server: https://kubernetes.default.svc, namespace: '{{.path.basename}}'}
`;
    expect(validateManifests(yaml, opts)).toEqual([]);
  });

  it('checks every document of a multi-document stream and skips empty ones', () => {
    const yaml = `---
# Source: webapp/templates/empty.yaml
---
# Source: webapp/templates/nokind.yaml
apiVersion: v1
metadata: {name: a}
---
# Source: webapp/templates/broken.yaml
kind: ConfigMap
data: [unclosed
---
- just
- a list
---
kind: ConfigMap
metadata: {name: b}
data: {key: value}
`;
    expect(validateManifests(yaml, opts)).toEqual([
      error('document 2/a (webapp/templates/nokind.yaml)', 'kind', 'missing kind'),
      expect.objectContaining({ resource: 'document 3 (webapp/templates/broken.yaml)', path: '', severity: 'error' }),
      error('document 4', '', 'document is not a Kubernetes object (a YAML mapping)'),
      error('ConfigMap/b', 'apiVersion', 'missing apiVersion'),
    ]);
    expect(validateManifests(yaml, opts)[1]!.message).toMatch(/^YAML does not parse: /);
  });

  it('reads values as Kubernetes does: YAML 1.1 booleans are not strings, times and dates stay strings', () => {
    const yaml = 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  enabled: yes\n  at: 10:30\n  day: 2024-01-01\n';
    expect(validateManifests(yaml, opts)).toEqual([error('ConfigMap/c', 'data.enabled', 'must be string, got boolean true')]);
  });

  it('rejects a kubeVersion that is not a Kubernetes version', () => {
    expect(() => validateManifests('', { ...opts, kubeVersion: 'latest' })).toThrow(HomelabError);
  });
});
