import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { editFile } from '../../tools/homelab/src/core/secrets/index.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * A small homelab repository for cluster-command tests: `demo` (wave 10, automated + selfHeal, reads its key of
 * the repo's SOPS secrets.yaml with the demo age key; a PVC without a keep policy, a ConfigMap, NOTES that
 * echo a secret) and `base` (wave -1: tier 0). The cluster declaration points at `server`. With `argocd`,
 * an Application deploying the argo-cd chart (helm-secrets reading the age key, as in the example) and
 * the root app-of-apps: what the bootstrap needs.
 */
export async function writeClusterWorkspace(server: string, options: { kubeContext?: string; argocd?: boolean; demoKey?: boolean } = {}): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'cluster-ws-'));
  const files: Record<string, string> = {
    'charts/demo/Chart.yaml': 'apiVersion: v2\nname: demo\nversion: 0.1.0\n',
    'charts/demo/values.yaml': 'greeting: hello\n',
    'charts/demo/templates/cm.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: demo-config',
      'data:',
      '  greeting: {{ .Values.greeting | quote }}',
      '  token: {{ .Values.demo.repository.token | quote }}',
      '',
    ].join('\n'),
    'charts/demo/templates/pvc.yaml': [
      'apiVersion: v1',
      'kind: PersistentVolumeClaim',
      'metadata:',
      '  name: demo-data',
      'spec:',
      '  accessModes: [ReadWriteOnce]',
      '  resources:',
      '    requests:',
      '      storage: 1Gi',
      '',
    ].join('\n'),
    'charts/demo/templates/NOTES.txt': 'Installed with repository token {{ .Values.demo.repository.token }}\n',
    'charts/base/Chart.yaml': 'apiVersion: v2\nname: base\nversion: 0.1.0\n',
    'charts/base/templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: base\ndata: {}\n',
    'clusters/home/cluster.yaml': `kubeContext: ${options.kubeContext ?? 'home'}\nserver: ${server}\nkubeVersion: "1.33.0"\n`,
    'clusters/home/apps/demo.yaml': application('demo', 'apps', 10, ['values.yaml', 'secrets://../../secrets.yaml']),
    'clusters/home/apps/base.yaml': application('base', 'base', -1, []),
  };
  if (options.argocd) {
    files['clusters/home/apps/argocd.yaml'] = ARGOCD_APPLICATION;
    files['clusters/home/root.yaml'] = ROOT_APPLICATION;
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  // The repository's own SOPS file and its demo key: real decryption, values known to the tests.
  await copyFile(path.join(repoRoot, 'secrets.yaml'), path.join(root, 'secrets.yaml'));
  // A release receives only its chart's key of secrets.yaml: give demo one, holding the gitops token.
  const demoKey = { workspaceRoot: repoRoot, env: { SOPS_AGE_KEY_FILE: path.join(repoRoot, 'demo-age-key.txt') } };
  await editFile(path.join(root, 'secrets.yaml'), (doc) => doc.set(['demo', 'repository', 'token'], doc.get(['gitops', 'repository', 'token'])), demoKey);
  if (options.demoKey !== false) await copyFile(path.join(repoRoot, 'demo-age-key.txt'), path.join(root, 'demo-age-key.txt'));
  return root;
}

function application(name: string, namespace: string, wave: number, valueFiles: string[]): string {
  return [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Application',
    'metadata:',
    `  name: ${name}`,
    '  namespace: argocd',
    '  annotations:',
    `    argocd.argoproj.io/sync-wave: "${wave}"`,
    'spec:',
    '  project: default',
    '  source:',
    '    repoURL: https://example.invalid/homelab.git',
    '    targetRevision: main',
    `    path: charts/${name}`,
    '    helm:',
    `      valueFiles: [${valueFiles.map((f) => JSON.stringify(f)).join(', ')}]`,
    '  destination:',
    '    server: https://kubernetes.default.svc',
    `    namespace: ${namespace}`,
    '  syncPolicy:',
    '    automated:',
    '      prune: true',
    '      selfHeal: true',
    '',
  ].join('\n');
}

const ARGOCD_APPLICATION = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: argocd
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "-10"
spec:
  project: default
  source:
    repoURL: https://argoproj.github.io/argo-helm
    chart: argo-cd
    targetRevision: 1.0.0
    helm:
      releaseName: argocd
      valuesObject:
        marker: from-the-application
        repoServer:
          env:
            - name: SOPS_AGE_KEY_FILE
              value: /helm-secrets-private-keys/key.txt
          volumes:
            - name: helm-secrets-private-keys
              secret:
                secretName: helm-secrets-private-keys
          volumeMounts:
            - name: helm-secrets-private-keys
              mountPath: /helm-secrets-private-keys/
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
`;

const ROOT_APPLICATION = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata:
  name: root
  namespace: argocd
spec:
  project: default
  source:
    repoURL: https://example.invalid/homelab.git
    targetRevision: main
    path: clusters/home/apps
  destination:
    server: https://kubernetes.default.svc
    namespace: argocd
`;

/** A stand-in for the upstream argo-cd chart: one Deployment, and a ConfigMap echoing a value. */
export const FAKE_ARGOCD_CHART = {
  'Chart.yaml': 'apiVersion: v2\nname: argo-cd\nversion: 1.0.0\n',
  'templates/server.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: argocd-server',
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels: {app: argocd-server}',
    '  template:',
    '    metadata:',
    '      labels: {app: argocd-server}',
    '    spec:',
    '      containers:',
    '        - name: server',
    '          image: quay.io/argoproj/argocd:v3.1.0',
    '',
  ].join('\n'),
  'templates/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n  marker: {{ .Values.marker | quote }}\n',
};
