// A generated homelab of N charts, built from the example's shapes, in a temp dir: charts on the common library
// chart (some reading secrets.yaml like arr, the others not, like jellyfin), shared value files, ApplicationSets
// (git directory generators, one per group of charts, each adding its group's value file) and plain Applications
// with parameters (like monitoring), secrets.yaml encrypted to the demo key by the core SOPS engine.
// The tooling (tools/, hack/, nx.json, package.json) is copied from this repository and node_modules is linked
// entry by entry, so Nx, the plugin and the hack scripts run exactly as they do here.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { encryptDocument, recipientOf, parseIdentities } from '../../tools/homelab/src/core/secrets/index.ts';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const CLUSTER = 'home';
const KUBE_VERSION = '1.33.0';
/** Charts per ApplicationSet (and per shared group value file). */
const GROUP_SIZE = 25;

/** One generated application chart and how ArgoCD deploys it, written down independently of our resolver. */
export interface GeneratedChart {
  name: string;
  dir: string;
  /** Reads its key of secrets.yaml (renders a Secret from it). */
  readsSecrets: boolean;
  /** Its top-level key in secrets.yaml, when it reads one. */
  secretKey?: string;
  /** Value files as ArgoCD lists them, relative to the chart dir, secrets:// stripped and flagged. */
  valueFiles: { path: string; secret: boolean }[];
  /** `--set` parameters of its Application, in order. */
  parameters: { name: string; value: string }[];
}

export interface BenchWorkspace {
  root: string;
  charts: GeneratedChart[];
  /** Leaves of secrets.yaml, for the leak scans. */
  secretValues: string[];
  git(...args: string[]): string;
  dispose(): void;
}

const pad = (i: number) => String(i).padStart(4, '0');

function chartYaml(name: string): string {
  return `apiVersion: v2\nname: ${name}\ndescription: Generated benchmark app ${name}\ntype: application\nversion: 0.1.0\nkubeVersion: ">=1.29.0-0"\ndependencies:\n  - name: common\n    version: ~0.1.0\n    repository: file://../common\n`;
}

function valuesYaml(i: number, secretKey: string | undefined): string {
  const values: Record<string, unknown> = {
    global: { media: { type: 'emptyDir' } },
    app: {
      image: { repository: `ghcr.io/example/app${pad(i)}`, tag: `1.${i % 17}.${i % 5}` },
      priorityClassName: 'homelab-apps',
      ports: { http: 8000 + (i % 1000) },
      healthCheck: { path: '/health' },
      resources: { requests: { cpu: '50m', memory: '128Mi' } },
      persistence: {
        config: { size: '1Gi', mountPath: '/config' },
        tmp: { type: 'emptyDir', mountPath: '/tmp' },
        ...(i % 2 === 0 ? { media: { globalVolume: 'media', mountPath: '/media', readOnly: true } } : {}),
      },
      ingress: { enabled: true },
    },
  };
  // The secrets slot with empty defaults, as arr's values.yaml has it.
  if (secretKey) values[secretKey] = { username: '', password: '', apiKey: '' };
  return stringify(values);
}

/** jellyfin's shape, plus arr's Secret and secretKeyRef env when the chart reads secrets.yaml. */
function template(name: string, secretKey: string | undefined): string {
  if (!secretKey) return `{{ include "common.app" (dict "root" $ "values" .Values.app) }}\n`;
  return [
    `{{- $secrets := index .Values "${secretKey}" | default dict }}`,
    `{{- $values := deepCopy .Values.app }}`,
    `{{- $env := dict "APP_USER" $secrets.username "APP_PASSWORD" (dict "valueFrom" (dict "secretKeyRef" (dict "name" "${name}-credentials" "key" "password"))) }}`,
    `{{- $_ := set $values "env" $env }}`,
    `{{ include "common.secret" (dict "root" $ "suffix" "credentials" "data" $secrets) }}`,
    `---`,
    `{{ include "common.app" (dict "root" $ "values" $values) }}`,
    '',
  ].join('\n');
}

function applicationSet(group: number): string {
  const g = String(group).padStart(2, '0');
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'ApplicationSet',
    metadata: { name: `group-${g}`, namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '20' } },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [{ git: { repoURL: 'https://github.com/example/homelab.git', revision: 'main', directories: [{ path: `charts/g${g}-*` }] } }],
      template: {
        metadata: { name: '{{ .path.basename }}' },
        spec: {
          project: 'homelab',
          source: {
            repoURL: 'https://github.com/example/homelab.git',
            targetRevision: 'main',
            path: '{{ .path.path }}',
            helm: {
              valueFiles: [
                'values.yaml',
                '../../clusters/home/values/global.yaml',
                `../../clusters/home/values/group-${g}.yaml`,
                'secrets://../../secrets.yaml',
              ],
            },
          },
          destination: { server: 'https://kubernetes.default.svc', namespace: '{{ .path.basename }}' },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        },
      },
    },
  });
}

function application(chart: GeneratedChart): string {
  return stringify({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: chart.name, namespace: 'argocd', annotations: { 'argocd.argoproj.io/sync-wave': '10' } },
    spec: {
      project: 'homelab',
      source: {
        repoURL: 'https://github.com/example/homelab.git',
        targetRevision: 'main',
        path: chart.dir,
        helm: {
          valueFiles: chart.valueFiles.map((v) => (v.secret ? `secrets://${v.path}` : v.path)),
          parameters: chart.parameters,
        },
      },
      destination: { server: 'https://kubernetes.default.svc', namespace: chart.name },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    },
  });
}

/** Files git sees under a path of this repository (tracked and untracked-but-not-ignored: work in progress too). */
function repoFiles(...paths: string[]): string[] {
  return execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard', '--', ...paths], { cwd: repoRoot })
    .toString('utf8')
    .split('\0')
    .filter((f) => f && existsSync(path.join(repoRoot, f)));
}

export async function generateWorkspace(n: number): Promise<BenchWorkspace> {
  const root = mkdtempSync(path.join(tmpdir(), `homelab-bench-${n}-`));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  for (const file of repoFiles(
    'tools',
    'hack',
    'charts/common',
    'nx.json',
    'package.json',
    'package-lock.json',
    '.env',
    '.gitignore',
    '.sops.yaml',
    'demo-age-key.txt',
    'clusters/home/cluster.yaml',
    'clusters/home/root.yaml',
    'clusters/home/values/global.yaml',
  )) {
    if (file.endsWith('.test.ts')) continue;
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    cpSync(path.join(repoRoot, file), path.join(root, file));
  }
  const modules = path.join(repoRoot, 'node_modules');
  mkdirSync(path.join(root, 'node_modules', '@homelab'), { recursive: true });
  for (const entry of readdirSync(modules)) {
    // .cache holds per-workspace caches (ours and tools'): each generated workspace starts without them.
    if (entry === '@homelab' || entry === '.cache') continue;
    symlinkSync(path.join(modules, entry), path.join(root, 'node_modules', entry));
  }
  symlinkSync('../../tools/homelab', path.join(root, 'node_modules', '@homelab', 'nx'));
  // The package's build (gitignored): what Nx, its runtime inputs and the hack launchers run.
  cpSync(path.join(repoRoot, 'tools/homelab/dist'), path.join(root, 'tools/homelab/dist'), { recursive: true });

  const lock = readFileSync(path.join(repoRoot, 'charts/jellyfin/Chart.lock'), 'utf8');
  const charts: GeneratedChart[] = [];
  const secrets: Record<string, Record<string, string>> = {};
  const groups = new Set<number>();
  for (let i = 0; i < n; i += 1) {
    // Every tenth chart has its own Application (with parameters); the others come from a group's ApplicationSet.
    const core = i % 10 === 0;
    const group = Math.floor(i / GROUP_SIZE);
    const name = core ? `core-${pad(i)}` : `g${String(group).padStart(2, '0')}-svc${pad(i)}`;
    const secretKey = i % 3 === 0 ? `s${pad(i)}` : undefined;
    const chart: GeneratedChart = {
      name,
      dir: `charts/${name}`,
      readsSecrets: secretKey !== undefined,
      secretKey,
      valueFiles: [
        { path: 'values.yaml', secret: false },
        { path: '../../clusters/home/values/global.yaml', secret: false },
        ...(core ? [] : [{ path: `../../clusters/home/values/group-${String(group).padStart(2, '0')}.yaml`, secret: false }]),
        { path: '../../secrets.yaml', secret: true },
      ],
      parameters: core
        ? [
            { name: 'app.replicas', value: String(1 + (i % 3)) },
            { name: 'app.resources.requests.cpu', value: `${100 + i}m` },
          ]
        : [],
    };
    charts.push(chart);
    write(`${chart.dir}/Chart.yaml`, chartYaml(name));
    write(`${chart.dir}/Chart.lock`, lock);
    write(`${chart.dir}/values.yaml`, valuesYaml(i, secretKey));
    write(`${chart.dir}/templates/app.yaml`, template(name, secretKey));
    if (secretKey) secrets[secretKey] = { username: `user${pad(i)}`, password: randomBytes(18).toString('base64url'), apiKey: randomBytes(16).toString('hex') };
    if (core) write(`clusters/${CLUSTER}/apps/${name}.yaml`, application(chart));
    else groups.add(group);
  }
  for (const group of groups) {
    const g = String(group).padStart(2, '0');
    write(`clusters/${CLUSTER}/apps/group-${g}.yaml`, applicationSet(group));
    write(
      `clusters/${CLUSTER}/values/group-${g}.yaml`,
      stringify({ app: { resources: { requests: { memory: `${128 + group * 16}Mi` } }, podLabels: { 'homelab/group': g } } }),
    );
  }
  write(
    `clusters/${CLUSTER}/cluster.yaml`,
    readFileSync(path.join(repoRoot, 'clusters/home/cluster.yaml'), 'utf8').replace(/kubeVersion: .*/, `kubeVersion: "${KUBE_VERSION}"`),
  );

  const identities = await parseIdentities(readFileSync(path.join(root, 'demo-age-key.txt')), 'demo-age-key.txt');
  const recipient = await recipientOf(identities[0]);
  write('secrets.yaml', await encryptDocument(stringify(secrets), { format: 'yaml', recipients: [recipient], file: 'secrets.yaml' }));

  const git = (...args: string[]) =>
    execFileSync('git', args, {
      cwd: root,
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 << 20,
    }).toString('utf8');
  git('init', '--quiet', '--initial-branch=main');
  git('config', 'user.email', 'bench@example.invalid');
  git('config', 'user.name', 'bench');
  git('config', 'commit.gpgsign', 'false');
  git('add', '--all');
  git('commit', '--quiet', '-m', `generated workspace of ${n} charts`);
  return {
    root,
    charts,
    secretValues: Object.values(secrets).flatMap((s) => Object.values(s)),
    git,
    dispose: () => rmSync(root, { recursive: true, force: true }),
  };
}
