// The example homelab rearranged into the layouts other GitOps repositories use, built file by file in a temp dir
// with no nx.json: what `nx g @homelab/nx:init` meets when it adopts an existing repository. Each layout says what
// init must infer and how ArgoCD renders every release, written by hand from its manifests.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoRoot } from '../support/workspace.ts';
import { linkInstalled, type InstalledToolkit } from '../support/packed-toolkit.ts';

export type Files = Map<string, string>;

/** How ArgoCD renders one release: `helm template <name> <chart> --namespace <ns> -f <files…> [-f secrets] [-f extra]`. */
export interface ExpectedRelease {
  name: string;
  chart: string;
  namespace: string;
  valueFiles: string[];
  /** Pipe the decrypted secrets.yaml after the value files. */
  secrets?: boolean;
  /** Inline values (helm.values / valuesObject / kustomize valuesInline), the last values file. */
  extra?: string;
  set?: string[];
  setString?: string[];
  /** helm.skipCrds / kustomize without includeCRDs: no --include-crds. */
  noCrds?: boolean;
}

export interface Layout {
  name: string;
  files: Files;
  /** Options passed to init. */
  initArgs: string[];
  chartGlobs: string[];
  clusterGlobs: string[];
  projects: string[];
  releases: ExpectedRelease[];
  /** Directory and Kustomize releases, `<name> <directory> <namespace>`: not helm renders. */
  manifestReleases?: string[];
}

const KUBE = '1.33.0';
const GLOBAL = 'clusters/home/values/global.yaml';

/** Every file of the example's charts/, clusters/, secrets and SOPS setup, as git sees them (work in progress too). */
export function exampleFiles(): Files {
  const list = execFileSync(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard', 'charts', 'clusters', 'kustomize', 'secrets.yaml', '.sops.yaml', 'demo-age-key.txt'],
    { cwd: repoRoot },
  )
    .toString('utf8')
    .split('\0')
    .filter((f) => f && existsSync(path.join(repoRoot, f)) && !f.endsWith('README.md'));
  return new Map(list.map((f) => [f, readFileSync(path.join(repoRoot, f), 'utf8')]));
}

/** The example's releases as its manifests declare them, for charts under `chartDir(name)`. */
function exampleReleases(chartDir: (chart: string) => string, global = GLOBAL): ExpectedRelease[] {
  const base = (name: string, secrets = false): ExpectedRelease => ({
    name,
    chart: chartDir(name),
    namespace: name,
    valueFiles: [`${chartDir(name)}/values.yaml`, global],
    secrets,
  });
  return [
    base('system'),
    { ...base('networking'), extra: 'blocky:\n  service:\n    annotations:\n      metallb.universe.tf/loadBalancerIPs: 192.168.1.53\n' },
    { ...base('monitoring', true), set: ['prometheus.retention=30d'], setString: ['grafana.env.GF_USERS_ALLOW_SIGN_UP=false'] },
    { ...base('gitops', true), extra: 'renovate:\n  schedule: "0 4 * * *"\n' },
    base('arr', true),
    base('jellyfin', true),
  ];
}

const CHARTS = ['arr', 'common', 'gitops', 'jellyfin', 'monitoring', 'networking', 'system'];
/**
 * The example's releases without a chart folder, each its own project: its directory source (root.yaml: the
 * Applications directory), its Kustomize app, and its upstream charts (ArgoCD itself, cert-manager; no chartDir).
 */
const MANIFEST_PROJECTS = ['root', 'whoami', 'argocd', 'cert-manager'];
const manifestReleases = (appsDir = 'clusters/home/apps') => [
  `root ${appsDir} argocd`,
  'whoami kustomize/whoami/home whoami',
  'argocd  argocd',
  'cert-manager  cert-manager',
];

function rename(files: Files, from: (f: string) => string): Files {
  return new Map([...files].map(([f, text]) => [from(f), text]));
}

function edit(files: Files, file: string, change: (text: string) => string): void {
  const text = files.get(file);
  if (text === undefined) throw new Error(`layout: no ${file}`);
  const next = change(text);
  if (next === text) throw new Error(`layout: edit of ${file} changed nothing`);
  files.set(file, next);
}

/** 1. Charts in apps/<name> instead of charts/<name>. */
function appsDir(): Layout {
  const files = rename(exampleFiles(), (f) => f.replace(/^charts\//, 'apps/'));
  for (const f of [...files.keys()].filter((f) => f.startsWith('clusters/'))) {
    const text = files.get(f)!;
    files.set(f, text.replace(/path: charts\//g, 'path: apps/'));
  }
  return {
    name: 'apps/<name> charts',
    files,
    initArgs: [],
    chartGlobs: ['apps/*'],
    clusterGlobs: ['clusters/*'],
    projects: [...CHARTS, ...MANIFEST_PROJECTS, 'workspace'],
    releases: exampleReleases((c) => `apps/${c}`),
    manifestReleases: manifestReleases(),
  };
}

const GROUP: Record<string, string> = {
  system: 'infra',
  networking: 'infra',
  monitoring: 'platform',
  gitops: 'platform',
  arr: 'media',
  jellyfin: 'media',
  common: 'lib',
};

/** 2. kubernetes/charts/<group>/<name> and kubernetes/clusters/home, no cluster.yaml (init writes one). */
function groupedCharts(): Layout {
  const files = rename(exampleFiles(), (f) => {
    const chart = /^charts\/([^/]+)\/(.*)$/.exec(f);
    if (chart) return `kubernetes/charts/${GROUP[chart[1]]}/${chart[1]}/${chart[2]}`;
    return f.replace(/^clusters\//, 'kubernetes/clusters/');
  });
  files.delete('kubernetes/clusters/home/cluster.yaml');
  for (const f of [...files.keys()]) {
    // Chart.lock digests name the old dependency path: helm rebuilds them.
    if (f.endsWith('/Chart.lock')) files.delete(f);
    if (f.endsWith('/Chart.yaml') && files.get(f)!.includes('file://../common'))
      edit(files, f, (t) => t.replace('file://../common', 'file://../../lib/common'));
  }
  for (const f of [...files.keys()].filter((f) => f.startsWith('kubernetes/clusters/home/apps/') || f === 'kubernetes/clusters/home/root.yaml')) {
    files.set(
      f,
      files
        .get(f)!
        .replace(/path: charts\/([a-z]+)$/gm, (_, c: string) => `path: kubernetes/charts/${GROUP[c]}/${c}`)
        .replace('path: clusters/home/apps', 'path: kubernetes/clusters/home/apps')
        .replaceAll('../../clusters/home/values/global.yaml', '../../../clusters/home/values/global.yaml')
        .replaceAll('$values/clusters/home/values/', '$values/kubernetes/clusters/home/values/')
        .replaceAll('secrets://../../secrets.yaml', 'secrets://../../../../secrets.yaml'),
    );
  }
  edit(files, 'kubernetes/clusters/home/apps/apps.yaml', (t) =>
    t.replace(/        directories:\n[\s\S]*?(?=  template:)/, '        directories:\n          - path: kubernetes/charts/media/*\n'),
  );
  const dir = (c: string) => `kubernetes/charts/${GROUP[c]}/${c}`;
  return {
    name: 'kubernetes/charts/<group>/<name>',
    files,
    initArgs: [`--kubeVersion=${KUBE}`],
    chartGlobs: ['kubernetes/charts/*/*'],
    clusterGlobs: ['kubernetes/clusters/*'],
    projects: [...CHARTS, ...MANIFEST_PROJECTS, 'workspace'],
    releases: exampleReleases(dir, 'kubernetes/clusters/home/values/global.yaml'),
    manifestReleases: manifestReleases('kubernetes/clusters/home/apps'),
  };
}

/** 3. An app-of-apps chart (clusters/home/apps) renders the Applications instead of plain files. */
function appOfApps(): Layout {
  const files = exampleFiles();
  for (const f of [...files.keys()].filter((f) => f.startsWith('clusters/home/apps/'))) files.delete(f);
  edit(files, 'clusters/home/root.yaml', (t) => t.replace('    directory:\n      recurse: true\n', '    helm:\n      valueFiles:\n        - values.yaml\n'));
  files.set(
    'clusters/home/apps/Chart.yaml',
    'apiVersion: v2\nname: apps\ndescription: The Applications of the home cluster (app of apps).\ntype: application\nversion: 0.1.0\n',
  );
  const secrets = '"secrets://../../secrets.yaml"';
  files.set(
    'clusters/home/apps/values.yaml',
    [
      'repoURL: https://github.com/example/homelab.git',
      'apps:',
      '  system: {wave: -1, valueFiles: [values.yaml, ../../clusters/home/values/global.yaml]}',
      '  networking:',
      '    wave: 0',
      '    valueFiles: [values.yaml, ../../clusters/home/values/global.yaml]',
      '    valuesObject: {blocky: {service: {annotations: {metallb.universe.tf/loadBalancerIPs: 192.168.1.53}}}}',
      '  monitoring:',
      '    wave: 10',
      `    valueFiles: [values.yaml, ../../clusters/home/values/global.yaml, ${secrets}]`,
      '    parameters:',
      '      - {name: prometheus.retention, value: 30d}',
      '      - {name: grafana.env.GF_USERS_ALLOW_SIGN_UP, value: "false", forceString: true}',
      '  gitops:',
      '    wave: 10',
      `    valueFiles: [values.yaml, ../../clusters/home/values/global.yaml, ${secrets}]`,
      '    values: |',
      '      renovate:',
      '        schedule: "0 4 * * *"',
      `  arr: {wave: 20, valueFiles: [values.yaml, ../../clusters/home/values/global.yaml, ${secrets}]}`,
      `  jellyfin: {wave: 20, valueFiles: [values.yaml, ../../clusters/home/values/global.yaml, ${secrets}]}`,
      '',
    ].join('\n'),
  );
  files.set(
    'clusters/home/apps/templates/applications.yaml',
    [
      '{{- range $name, $app := .Values.apps }}',
      '---',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata:',
      '  name: {{ $name }}',
      '  namespace: argocd',
      '  annotations:',
      '    argocd.argoproj.io/sync-wave: {{ $app.wave | quote }}',
      'spec:',
      '  project: homelab',
      '  source:',
      '    repoURL: {{ $.Values.repoURL }}',
      '    targetRevision: main',
      '    path: charts/{{ $name }}',
      '    helm:',
      '      valueFiles:',
      '        {{- toYaml $app.valueFiles | nindent 8 }}',
      '      {{- with $app.values }}',
      '      values: {{ . | quote }}',
      '      {{- end }}',
      '      {{- with $app.valuesObject }}',
      '      valuesObject:',
      '        {{- toYaml . | nindent 8 }}',
      '      {{- end }}',
      '      {{- with $app.parameters }}',
      '      parameters:',
      '        {{- toYaml . | nindent 8 }}',
      '      {{- end }}',
      '  destination:',
      '    server: https://kubernetes.default.svc',
      '    namespace: {{ $name }}',
      '{{- end }}',
      '',
    ].join('\n'),
  );
  return {
    name: 'app-of-apps chart',
    files,
    initArgs: [],
    chartGlobs: ['charts/*', 'clusters/home/apps'],
    clusterGlobs: ['clusters/*'],
    projects: [...CHARTS, 'apps', 'workspace'],
    releases: [
      { name: 'root', chart: 'clusters/home/apps', namespace: 'argocd', valueFiles: ['clusters/home/apps/values.yaml'] },
      ...exampleReleases((c) => `charts/${c}`),
    ],
    manifestReleases: [],
  };
}

const WEB_APPLICATION = (name: string, extra: string) =>
  [
    'apiVersion: argoproj.io/v1alpha1',
    'kind: Application',
    'metadata:',
    `  name: ${name}`,
    '  namespace: argocd',
    '  annotations:',
    '    argocd.argoproj.io/sync-wave: "20"',
    'spec:',
    '  project: homelab',
    '  source:',
    '    repoURL: https://github.com/example/homelab.git',
    '    targetRevision: main',
    '    path: charts/web',
    '    helm:',
    '      valueFiles:',
    '        - values.yaml',
    '        - ../../clusters/home/values/global.yaml',
    `        - ../../clusters/home/values/web/${name}.yaml`,
    extra,
    '  destination:',
    '    server: https://kubernetes.default.svc',
    `    namespace: ${name}`,
  ]
    .filter(Boolean)
    .join('\n');

/** 4. One generic chart (charts/web) feeding two Applications with their own value files. */
function genericChart(): Layout {
  const files = exampleFiles();
  files.set(
    'charts/web/Chart.yaml',
    'apiVersion: v2\nname: web\ndescription: A generic web workload.\ntype: application\nversion: 0.1.0\ndependencies:\n  - name: common\n    version: ~0.1.0\n    repository: file://../common\n',
  );
  files.set(
    'charts/web/values.yaml',
    'app:\n  image:\n    repository: docker.io/traefik/whoami\n    tag: v1.11.0\n  env:\n    WHOAMI_PORT_NUMBER: "8080"\n  ports:\n    http: 8080\n  ingress:\n    enabled: true\n',
  );
  files.set('charts/web/templates/web.yaml', '{{ include "common.app" (dict "root" $ "values" .Values.app) }}\n');
  files.set('clusters/home/values/web/blog.yaml', 'app:\n  env:\n    SITE: blog\n');
  files.set('clusters/home/values/web/wiki.yaml', 'app:\n  env:\n    SITE: wiki\n  replicas: 2\n');
  files.set(
    'clusters/home/apps/web.yaml',
    `# One chart, two Applications.\n${WEB_APPLICATION('blog', '')}\n---\n${WEB_APPLICATION('wiki', '      releaseName: docs\n      parameters:\n        - name: app.env.SITE\n          value: wiki,docs')}\n`,
  );
  edit(files, 'clusters/home/apps/apps.yaml', (t) =>
    t.replace(
      '          - path: charts/gitops\n            exclude: true\n',
      '          - path: charts/gitops\n            exclude: true\n          - path: charts/web\n            exclude: true\n',
    ),
  );
  return {
    name: 'one generic chart, several Applications',
    files,
    initArgs: [],
    chartGlobs: ['charts/*'],
    clusterGlobs: ['clusters/*'],
    projects: [...CHARTS, 'web', ...MANIFEST_PROJECTS, 'workspace'],
    manifestReleases: manifestReleases(),
    releases: [
      ...exampleReleases((c) => `charts/${c}`),
      { name: 'blog', chart: 'charts/web', namespace: 'blog', valueFiles: ['charts/web/values.yaml', GLOBAL, 'clusters/home/values/web/blog.yaml'] },
      {
        name: 'docs',
        chart: 'charts/web',
        namespace: 'wiki',
        valueFiles: ['charts/web/values.yaml', GLOBAL, 'clusters/home/values/web/wiki.yaml'],
        set: ['app.env.SITE=wiki\\,docs'],
      },
    ],
  };
}

/** 5. Value files shared across apps: arr and jellyfin as multi-source Applications reading $values/… files. */
function sharedValues(): Layout {
  const files = exampleFiles();
  files.delete('clusters/home/apps/apps.yaml');
  files.set(
    'clusters/home/values/media.yaml',
    '# Shared by every media app.\nglobal:\n  media:\n    type: nfs\n    server: 192.168.1.21\n    path: /volume2/media\n',
  );
  const app = (name: string) =>
    [
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata:',
      `  name: ${name}`,
      '  namespace: argocd',
      '  annotations:',
      '    argocd.argoproj.io/sync-wave: "20"',
      'spec:',
      '  project: homelab',
      '  sources:',
      '    - repoURL: https://github.com/example/homelab.git',
      '      targetRevision: main',
      `      path: charts/${name}`,
      '      helm:',
      '        valueFiles:',
      '          - values.yaml',
      '          - $values/clusters/home/values/global.yaml',
      '          - $values/clusters/home/values/media.yaml',
      '          - secrets://../../secrets.yaml',
      '    - repoURL: https://github.com/example/homelab.git',
      '      targetRevision: main',
      '      ref: values',
      '  destination:',
      '    server: https://kubernetes.default.svc',
      `    namespace: ${name}`,
    ].join('\n');
  files.set('clusters/home/apps/media.yaml', `${app('arr')}\n---\n${app('jellyfin')}\n`);
  const media = ['clusters/home/values/media.yaml'];
  return {
    name: 'value files shared across apps ($values refs)',
    files,
    initArgs: [],
    chartGlobs: ['charts/*'],
    clusterGlobs: ['clusters/*'],
    projects: [...CHARTS, ...MANIFEST_PROJECTS, 'workspace'],
    manifestReleases: manifestReleases(),
    releases: exampleReleases((c) => `charts/${c}`).map((r) =>
      r.name === 'arr' || r.name === 'jellyfin' ? { ...r, valueFiles: [...r.valueFiles, ...media] } : r,
    ),
  };
}

/** 6. A Kustomize directory inflating the local jellyfin chart twice with helmCharts. */
function kustomizeHelm(): Layout {
  const files = exampleFiles();
  edit(files, 'clusters/home/apps/apps.yaml', (t) =>
    t.replace(
      '          - path: charts/gitops\n            exclude: true\n',
      '          - path: charts/gitops\n            exclude: true\n          - path: charts/jellyfin\n            exclude: true\n',
    ),
  );
  edit(files, 'clusters/home/cluster.yaml', (t) => `${t}kustomizeBuildOptions: --enable-helm --load-restrictor LoadRestrictionsNone\n`);
  files.set(
    'clusters/home/apps/jellyfin.yaml',
    [
      '# Jellyfin through Kustomize (ArgoCD: kustomize.buildOptions --enable-helm --load-restrictor LoadRestrictionsNone).',
      'apiVersion: argoproj.io/v1alpha1',
      'kind: Application',
      'metadata:',
      '  name: jellyfin',
      '  namespace: argocd',
      '  annotations:',
      '    argocd.argoproj.io/sync-wave: "20"',
      'spec:',
      '  project: homelab',
      '  source:',
      '    repoURL: https://github.com/example/homelab.git',
      '    targetRevision: main',
      '    path: clusters/home/kustomize/jellyfin',
      '  destination:',
      '    server: https://kubernetes.default.svc',
      '    namespace: jellyfin',
      '',
    ].join('\n'),
  );
  files.set(
    'clusters/home/kustomize/jellyfin/kustomization.yaml',
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'helmGlobals:',
      '  chartHome: ../../../../charts',
      'helmCharts:',
      '  - name: jellyfin',
      '    releaseName: jellyfin',
      '    namespace: jellyfin',
      '    additionalValuesFiles:',
      '      - ../../values/global.yaml',
      '    includeCRDs: true',
      '  - name: jellyfin',
      '    releaseName: jellyfin-kids',
      '    namespace: jellyfin-kids',
      '    valuesInline:',
      '      jellyfin:',
      '        persistence:',
      '          config:',
      '            size: 2Gi',
      '',
    ].join('\n'),
  );
  return {
    name: 'Kustomize helmCharts inflating a local chart',
    files,
    initArgs: [],
    chartGlobs: ['charts/*'],
    clusterGlobs: ['clusters/*'],
    // The Application is named like the chart, so its project is named after its path.
    projects: [...CHARTS, ...MANIFEST_PROJECTS, 'clusters-home-kustomize-jellyfin', 'workspace'],
    // jellyfin is inflated inside the Kustomize release: no helm release of its own.
    releases: exampleReleases((c) => `charts/${c}`).filter((r) => r.name !== 'jellyfin'),
    manifestReleases: [...manifestReleases(), 'jellyfin clusters/home/kustomize/jellyfin jellyfin'],
  };
}

export const LAYOUTS: (() => Layout)[] = [appsDir, groupedCharts, appOfApps, genericChart, sharedValues, kustomizeHelm];

export const KUBE_VERSION = KUBE;

/**
 * Writes a layout into a fresh git repository with a package.json but no nx.json (a GitOps repository that
 * does not use Nx yet). The toolkit is the packed package installed by npm when `toolkit` is given (what users get),
 * else node_modules linked from this workspace (@homelab/nx included, as `npm i -D` would).
 */
export function materialize(layout: Layout, toolkit?: InstalledToolkit): { root: string; dispose(): void } {
  const root = mkdtempSync(path.join(tmpdir(), 'homelab-layout-'));
  for (const [file, text] of layout.files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  writeFileSync(path.join(root, '.gitignore'), 'node_modules/\n**/charts/*.tgz\n');
  if (toolkit) {
    linkInstalled(root, toolkit);
  } else {
    writeFileSync(path.join(root, 'package.json'), `${JSON.stringify({ name: 'gitops', private: true, type: 'module' }, null, 2)}\n`);
    const modules = path.join(repoRoot, 'node_modules');
    mkdirSync(path.join(root, 'node_modules'));
    for (const entry of readdirSync(modules)) symlinkSync(path.join(modules, entry), path.join(root, 'node_modules', entry));
  }
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  git('init', '--quiet', '--initial-branch=main');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'add', '--all');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'layout');
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
