// ArgoCD's rule in every adopted layout: one broken Application breaks only itself. Each layout of
// test/adoption/layouts.ts gets one Application with a sync-wave that is not an integer, deploying one of its charts;
// Nx must still infer every project (the same as without it), every other release must resolve exactly as in the clean layout (so it renders
// as init.test.ts proves), and only the broken chart's targets fail, with the finding's one line.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import type { Resolution } from '../../tools/homelab/src/core/resolve/releases.ts';
import { LAYOUTS, materialize, type Layout } from './layouts.ts';
import { installedToolkit, type InstalledToolkit } from '../support/packed-toolkit.ts';

// As users run it: the packed package, built JavaScript only (loading a .ts file would fail), their helm.
let helmBin: string;
const env = (root: string) => ({
  ...process.env,
  HELM_BIN: helmBin,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: '0',
  NX_SKIP_NX_CACHE: 'true',
  NX_WORKSPACE_ROOT_PATH: root,
  NODE_OPTIONS: '--no-experimental-strip-types',
});
const nx = (root: string, ...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'node_modules/nx/dist/bin/nx.js'), ...args], { cwd: root, env: env(root), encoding: 'utf8' });

let toolkit: InstalledToolkit;
beforeAll(async () => {
  [toolkit, { bin: helmBin }] = await Promise.all([installedToolkit(), resolveHelm()]);
}, 600_000);
afterAll(() => toolkit?.dispose());

describe.each(LAYOUTS.map((make) => make()))('a broken Application in a repository with $name', (layout: Layout) => {
  let clean: { root: string; dispose(): void };
  let dirty: { root: string; dispose(): void };
  let before: Resolution;
  let after: Resolution;
  // The broken Application deploys the chart of the layout's first release, from the first cluster directory.
  const victim = layout.releases[0];
  const clusterDir = layout.clusterGlobs[0].replace('*', 'home');
  const file = `${clusterDir}/zz-broken.yaml`;
  const broken =
    `apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: ${victim.name}-extra\n  namespace: argocd\n` +
    `  annotations:\n    argocd.argoproj.io/sync-wave: soon\nspec:\n  project: default\n  source:\n` +
    `    repoURL: https://git.example.invalid/homelab.git\n    path: ${victim.chart}\n` +
    `  destination:\n    server: https://kubernetes.default.svc\n    namespace: ${victim.name}-extra\n`;

  beforeAll(async () => {
    clean = materialize(layout, toolkit);
    dirty = materialize(layout, toolkit);
    writeFileSync(path.join(dirty.root, file), broken);
    for (const root of [clean.root, dirty.root]) {
      const init = nx(root, 'g', '@homelab/nx:init', '--skipInstall', ...layout.initArgs);
      expect(init.status, init.stdout + init.stderr).toBe(0);
    }
    before = (await openWorkspace(clean.root)).resolution;
    after = (await openWorkspace(dirty.root)).resolution;
  });
  afterAll(() => {
    clean?.dispose();
    dirty?.dispose();
  });

  it('is one finding naming its file, beside whatever the clean layout reports', () => {
    const added = after.findings.filter((f) => !before.findings.some((b) => b.message === f.message));
    expect(added.map((f) => [f.file, f.chartDirs])).toEqual([[file, [victim.chart]]]);
    expect(added[0].message).toBe(`${file}: Application ${victim.name}-extra: annotation argocd.argoproj.io/sync-wave is "soon", not an integer`);
    expect(after.findings.length).toBe(before.findings.length + 1);
  });

  it('leaves every release of every other chart exactly as resolved without it', () => {
    const others = (res: Resolution) => res.releases.filter((r) => r.chartDir !== victim.chart);
    expect(others(after)).toEqual(others(before));
  });

  // Four Nx runs with real helm: minutes on a loaded machine.
  it('leaves Nx inferring every project; the broken chart fails its targets with the line, another chart runs', () => {
    const projects = (root: string) => {
      const shown = nx(root, 'show', 'projects', '--json');
      expect(shown.status, shown.stderr).toBe(0);
      return (JSON.parse(shown.stdout) as string[]).sort();
    };
    expect(projects(dirty.root)).toEqual(projects(clean.root));
    expect(projects(dirty.root)).toEqual(expect.arrayContaining(layout.projects));

    const chartOf = (dir: string) => after.charts.find((c) => c.dir === dir)!.name;
    const failing = nx(dirty.root, 'run', `${chartOf(victim.chart)}:template`, '--configuration=ci');
    expect(failing.status).not.toBe(0);
    expect(failing.stdout + failing.stderr).toContain(`${file}: Application ${victim.name}-extra: annotation argocd.argoproj.io/sync-wave is "soon"`);

    const other = layout.releases.find((r) => r.chart !== victim.chart && !r.secrets)!;
    const working = nx(dirty.root, 'run', `${chartOf(other.chart)}:template`, '--configuration=ci');
    expect(working.status, working.stdout + working.stderr).toBe(0);
    expect(working.stdout).toContain('kind: ');
  }, 600_000);
});
