// Adopting repositories whose way in is not a manifest inside the tree (test/fixtures/adoption, written from scratch
// the way real homelabs are laid out): an install script applying the root Application, an app-of-apps chart that
// deploys itself, argocd-apps values installed by a task runner, an umbrella chart of argo-cd and argocd-apps installed
// by an Ansible playbook, argocd-apps values (list form) installed by helmfile, ApplicationSets a kustomization builds
// (patched per cluster) applied by a Makefile.
// init must find the root, write it into cluster.yaml, and the real resolver must then find exactly what ArgoCD
// deploys: parked and disabled apps are not releases, the broken app next to the good ones is one finding, and
// every release renders byte-identically to its hand-written helm command.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { logger } from '@nx/devkit';
import { createTree } from '@nx/devkit/testing';
import { FsTree, flushChanges } from 'nx/src/generators/tree.js';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { renderReleases } from '../../tools/homelab/src/core/commands/template.ts';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import initGenerator, { type InitGeneratorSchema } from '../../tools/homelab/src/generators/init/generator.ts';
import { repoRoot } from '../support/workspace.ts';

interface Expected {
  fixture: string;
  root: string;
  reason: string;
  chartGlobs: string[];
  clusterGlobs: string[];
  /** `helm template` argv after the subcommand, from the repository root, as ArgoCD's values make it. */
  releases: Record<string, string[]>;
  /** Releases of Applications syncing plain manifests (the root syncing a directory of Applications). */
  directories: string[];
  /** The one broken Application: a finding whose message contains this. */
  broken: string;
  /** Charts nothing deploys (parked, disabled), named by init and never counted. */
  undeployed: string[];
}

const LAYOUTS: Expected[] = [
  {
    fixture: 'scripted-root',
    root: 'kubernetes/bootstrap/root.yaml',
    reason: 'bootstrap.sh:11',
    chartGlobs: ['kubernetes/apps/*/*'],
    clusterGlobs: ['kubernetes/bootstrap'],
    releases: {
      jellyfin: [
        'jellyfin',
        'kubernetes/apps/media/jellyfin',
        '--namespace',
        'media',
        '-f',
        'kubernetes/apps/media/jellyfin/values.yaml',
        '-f',
        'kubernetes/values/common.yaml',
      ],
      ingress: ['ingress', 'kubernetes/apps/infra/traefik', '--namespace', 'ingress', '-f', '-'],
    },
    directories: ['root'],
    broken: 'kubernetes/argocd-apps/media/audiobooks.yaml: Application audiobooks: source path "kubernetes/apps/media/audiobookshelf"',
    undeployed: ['kubernetes/apps/media/old-plex'],
  },
  {
    fixture: 'self-managed-chart',
    root: 'gitops/apps',
    reason: 'app-of-apps chart deploying itself',
    chartGlobs: ['gitops/apps', 'gitops/charts/*'],
    clusterGlobs: ['gitops'],
    releases: {
      apps: ['apps', 'gitops/apps', '--namespace', 'argocd'],
      whoami: ['whoami', 'gitops/charts/whoami', '--namespace', 'web', '-f', 'gitops/charts/whoami/values.yaml', '-f', 'gitops/charts/whoami/values-lab.yaml'],
    },
    directories: [],
    broken: 'value file values-status.yaml (gitops/charts/whoami/values-status.yaml) does not exist',
    undeployed: ['gitops/charts/blog'],
  },
  {
    fixture: 'argocd-apps-values',
    root: 'argocd/bootstrap/values.yaml',
    reason: 'Taskfile.yml:7',
    chartGlobs: ['apps/*', 'platform/*'],
    clusterGlobs: ['argocd/bootstrap'],
    releases: {
      whoami: ['whoami', 'apps/whoami', '--namespace', 'whoami', '-f', 'apps/whoami/values.yaml', '-f', 'argocd/bootstrap/shared.yaml'],
      podinfo: ['podinfo', 'apps/podinfo', '--namespace', 'podinfo', '-f', 'apps/podinfo/values.yaml', '-f', 'argocd/bootstrap/shared.yaml'],
      cm: ['cm', 'platform/cert-manager', '--namespace', 'cert-manager', '--set', 'replicas=2'],
    },
    directories: [],
    broken: 'argocd/bootstrap/values.yaml: Application external-dns: source path "platform/external-dns"',
    undeployed: ['apps/legacy.disabled'],
  },
  {
    fixture: 'umbrella-argocd',
    root: 'gitops/argocd',
    reason: 'chart with argocd-apps values',
    chartGlobs: ['gitops/*/*', 'gitops/argocd'],
    clusterGlobs: ['gitops'],
    releases: {
      traefik: ['traefik', 'gitops/core/traefik', '--namespace', 'ingress', '--set', 'replicas=2'],
      whoami: ['whoami', 'gitops/apps/whoami', '--namespace', 'whoami'],
      podinfo: ['podinfo', 'gitops/apps/podinfo', '--namespace', 'podinfo'],
    },
    directories: [],
    broken: 'gitops/argocd/values.yaml: Application grafana: value file values-lab.yaml (gitops/core/grafana/values-lab.yaml) does not exist',
    undeployed: ['gitops/argocd', 'gitops/core/grafana', 'gitops/apps/wiki-old'],
  },
  {
    fixture: 'helmfile-list',
    root: 'cluster/bootstrap/apps.yaml',
    reason: 'helmfile.yaml (argocd-apps release)',
    chartGlobs: ['charts/*'],
    clusterGlobs: ['cluster/bootstrap'],
    releases: {
      grafana: ['grafana', 'charts/grafana-lite', '--namespace', 'monitoring', '-f', '-'],
      loki: ['loki', 'charts/loki-lite', '--namespace', 'monitoring', '--set', 'retention=14d', '--set', 'tenants=a\\,b'],
    },
    directories: ['platform'],
    broken: 'cluster/platform/alloy.yaml',
    undeployed: ['charts/unused'],
  },
  {
    fixture: 'kustomized-appsets',
    root: 'clusters/prod/bootstrap',
    reason: 'Makefile:6',
    chartGlobs: ['workloads/*/*'],
    clusterGlobs: ['clusters/prod'],
    releases: {
      echo: ['echo', 'workloads/prod/echo', '--namespace', 'echo'],
      api: ['api', 'workloads/prod/api', '--namespace', 'api'],
    },
    directories: [],
    broken: 'clusterDecisionResource',
    undeployed: ['workloads/staging/echo', 'workloads/prod/wip'],
  },
];

const readJson = (file: string): unknown => JSON.parse(readFileSync(file, 'utf8'));

/** Inline values (helm.values, valuesObject) a hand-written command pipes in as `-f -`. */
const STDIN: Record<string, string> = {
  ingress: 'replicas: 2\ndashboard:\n  enabled: true\n',
  grafana: 'adminUser: ops\nplugins:\n  - piechart\n',
};

const roots: string[] = [];
afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

/** A fixture as a fresh git repository (ArgoCD reads git; so does the resolver's change detection). */
function checkout(fixture: string): string {
  const root = mkdtempSync(path.join(tmpdir(), `homelab-adopt-${fixture}-`));
  roots.push(root);
  cpSync(path.join(repoRoot, 'test/fixtures/adoption', fixture), root, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  git('init', '--quiet', '--initial-branch=main');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'add', '--all');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'lab');
  return root;
}

function commitAll(root: string): void {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'ignore', env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1' } });
  git('add', '--all');
  git('-c', 'user.email=t@example.invalid', '-c', 'user.name=t', '-c', 'commit.gpgsign=false', 'commit', '--quiet', '-m', 'homelab init');
}

/** Runs the init generator on a directory as `nx g` does (FsTree, then the changes flushed); returns what it logged. */
async function init(root: string, schema: InitGeneratorSchema = {}): Promise<{ info: string; warn: string }> {
  const info = vi.spyOn(logger, 'info').mockImplementation(() => {});
  const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
  try {
    const tree = new FsTree(root, false);
    await initGenerator(tree, { skipInstall: true, skipPackageJson: true, ...schema });
    flushChanges(root, tree.listChanges());
    return { info: info.mock.calls.map((c) => c.join(' ')).join('\n'), warn: warn.mock.calls.map((c) => c.join(' ')).join('\n') };
  } finally {
    info.mockRestore();
    warn.mockRestore();
  }
}

describe.each(LAYOUTS)('adopting $fixture', (layout) => {
  const root = checkout(layout.fixture);

  it('init finds the root, declares it in cluster.yaml, counts only what ArgoCD deploys, and a second run changes nothing', async () => {
    const { info } = await init(root);
    expect(info).toContain(`homelab: root ${layout.root} (found: ${layout.reason})`);
    const nxJson = JSON.parse(readFileSync(path.join(root, 'nx.json'), 'utf8')) as { plugins: unknown[] };
    expect(nxJson.plugins).toEqual([{ plugin: '@homelab/nx', options: { chartGlobs: layout.chartGlobs, clusterGlobs: layout.clusterGlobs } }]);
    expect(readFileSync(path.join(root, layout.clusterGlobs[0], 'cluster.yaml'), 'utf8')).toContain(`\nroots:\n  - ${layout.root}\n`);
    const count = Object.keys(layout.releases).length + layout.directories.length;
    expect(info).toContain(`, ${count} releases from ArgoCD manifests; nothing deploys ${layout.undeployed.join(', ')}`);

    commitAll(root);
    const again = await init(root);
    expect(again.info).not.toContain('cluster.yaml');
    expect(execFileSync('git', ['status', '--porcelain'], { cwd: root }).toString()).toBe('');
  });

  it('the resolver finds exactly the releases ArgoCD deploys, and the broken Application as one finding', async () => {
    const ws = await openWorkspace(root);
    const deployed = ws.resolution.releases.filter((r) => r.origin !== 'convention' && r.source === undefined);
    expect(deployed.map((r) => r.name).sort()).toEqual(Object.keys(layout.releases).sort());
    const manifests = ws.resolution.releases.filter((r) => r.source?.kind === 'directory');
    expect(manifests.map((r) => r.name)).toEqual(layout.directories);
    const findings = ws.resolution.findings.map((f) => f.message);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toContain(layout.broken);
  });

  it.runIf(layout.fixture === 'scripted-root')('nx run <chart>:template renders the release as the resolver found it', async () => {
    // The package as `npm i -D` leaves it: in node_modules and in the lock file (Nx hashes it as an external dependency).
    mkdirSync(path.join(root, 'node_modules'));
    for (const entry of readdirSync(path.join(repoRoot, 'node_modules')))
      symlinkSync(path.join(repoRoot, 'node_modules', entry), path.join(root, 'node_modules', entry));
    const installed = readdirSync(path.join(repoRoot, 'node_modules')).flatMap((entry) =>
      entry.startsWith('@') ? readdirSync(path.join(repoRoot, 'node_modules', entry)).map((name) => `${entry}/${name}`) : entry.startsWith('.') ? [] : [entry],
    );
    const version = (name: string) => (readJson(path.join(root, 'node_modules', name, 'package.json')) as { version?: string }).version ?? '0.0.0';
    const versions = Object.fromEntries(['@homelab/nx', '@nx/devkit', 'nx'].map((name) => [name, version(name)]));
    const packages = Object.fromEntries(
      installed
        .filter((name) => existsSync(path.join(root, 'node_modules', name, 'package.json')))
        .map((name) => [`node_modules/${name}`, { version: version(name), dev: true }]),
    );
    writeFileSync(path.join(root, 'package.json'), `${JSON.stringify({ name: 'lab', private: true, devDependencies: versions })}\n`);
    writeFileSync(
      path.join(root, 'package-lock.json'),
      `${JSON.stringify({ name: 'lab', lockfileVersion: 3, requires: true, packages: { '': { name: 'lab', devDependencies: versions }, ...packages } })}\n`,
    );
    const out = execFileSync(process.execPath, [path.join(root, 'node_modules/nx/dist/bin/nx.js'), 'run', 'jellyfin:template'], {
      cwd: root,
      env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0', NX_CACHE_DIRECTORY: path.join(root, '.nx/cache') },
    }).toString('utf8');
    const { bin } = await resolveHelm();
    const byHand = execFileSync(bin, ['template', ...layout.releases.jellyfin, '--include-crds'], { cwd: root }).toString('utf8');
    expect(out).toContain(byHand);
  });

  it('every release renders byte-identically to its hand-written helm command', async () => {
    const ws = await openWorkspace(root);
    const { bin } = await resolveHelm();
    for (const [name, args] of Object.entries(layout.releases)) {
      const release = ws.resolution.releases.find((r) => r.name === name)!;
      const [ours] = await renderReleases(ws, [release], { keyless: true });
      const crds = release.skipCrds ? [] : ['--include-crds'];
      const byHand = execFileSync(bin, ['template', ...args, ...crds], { cwd: root, input: STDIN[name] ?? '' }).toString('utf8');
      expect(ours.manifest, `${layout.fixture}: ${name}`).toBe(byHand);
    }
  });
});

describe('init options', () => {
  it('--root and --clusterGlobs put the roots where the user says, even with manifests spread over the repository root', async () => {
    const root = checkout('self-managed-chart');
    const { info } = await init(root, { root: ['gitops/apps'], clusterGlobs: ['clusters/lab'], kubeVersion: '1.33.0' });
    expect(info).not.toContain('found:');
    const declaration = readFileSync(path.join(root, 'clusters/lab/cluster.yaml'), 'utf8');
    expect(declaration).toContain('kubeContext: lab\n');
    expect(declaration).toContain('kubeVersion: "1.33.0"\n');
    expect(declaration).toContain('\nroots:\n  - gitops/apps\n');
    const ws = await openWorkspace(root);
    expect(ws.resolution.releases.filter((r) => r.origin !== 'convention').map((r) => `${r.cluster}/${r.name}`)).toEqual(['lab/apps', 'lab/whoami']);
  });

  it('warns loudly when nothing resolves to a release, and honours --clusterGlobs where detection would refuse', async () => {
    const tree = createTree();
    tree.write('charts/web/Chart.yaml', 'apiVersion: v2\nname: web\nversion: 0.1.0\n');
    // ApplicationSets at the root and in a subdirectory (detection cannot pick a cluster directory on its own) whose
    // generators find no directory: no Application, no release.
    const appset = (name: string) =>
      `apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: ${name}}\nspec:\n  generators:\n    - git: {repoURL: https://git.example.invalid/lab.git, revision: HEAD, directories: [{path: apps/*}]}\n  template:\n    metadata: {name: '{{path.basename}}'}\n    spec:\n      source: {repoURL: https://git.example.invalid/lab.git, path: '{{path}}'}\n      destination: {namespace: '{{path.basename}}'}\n`;
    tree.write('root.yaml', appset('root'));
    tree.write('lab/apps.yaml', appset('apps'));
    await expect(initGenerator(tree, { skipInstall: true, skipPackageJson: true })).rejects.toThrow('ArgoCD manifests are spread over the repository root');
    const warn = vi.spyOn(logger, 'warn').mockImplementation(() => {});
    const info = vi.spyOn(logger, 'info').mockImplementation(() => {});
    try {
      await initGenerator(tree, { skipInstall: true, skipPackageJson: true, clusterGlobs: ['lab'] });
      expect(warn.mock.calls.map((c) => c.join(' ')).join('\n')).toContain(
        'homelab: WARNING: 0 releases resolved: no ArgoCD Application reached from lab deploys a chart of charts/*',
      );
      expect(info.mock.calls.map((c) => c.join(' ')).join('\n')).toContain('0 releases from ArgoCD manifests; nothing deploys charts/web');
    } finally {
      warn.mockRestore();
      info.mockRestore();
    }
  });
});
