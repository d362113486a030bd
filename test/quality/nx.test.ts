// The real Nx targets on the example workspace: `nx run-many -t lint validate` and `nx run workspace:check`.
// Run in the checkout itself (the plugin's tooling inputs are files of this workspace), with Nx's cache and
// workspace data in a temp dir so the run neither reads nor pollutes a developer's cache.
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from './workspaces.ts';

/** nx's own entry point, run by this Node (>= 22.18: the plugin is type-stripped TypeScript). */
const nxPackage = path.join(repoRoot, 'node_modules/nx');
const nxBin = path.join(nxPackage, (JSON.parse(readFileSync(path.join(nxPackage, 'package.json'), 'utf8')) as { bin: { nx: string } }).bin.nx);

let nxDirs: string;
beforeAll(async () => {
  nxDirs = await mkdtemp(path.join(tmpdir(), 'quality-nx-'));
});
afterAll(async () => {
  await rm(nxDirs, { recursive: true, force: true });
});

function nx(args: string[]) {
  return execa(process.execPath, [nxBin, ...args], {
    cwd: repoRoot,
    reject: false,
    all: true,
    env: {
      NX_DAEMON: 'false',
      NX_NO_CLOUD: 'true',
      NX_TUI: 'false',
      FORCE_COLOR: '0',
      NX_CACHE_DIRECTORY: path.join(nxDirs, 'cache'),
      NX_WORKSPACE_DATA_DIRECTORY: path.join(nxDirs, 'data'),
    },
  });
}

describe('Nx targets on the example workspace', () => {
  it('nx run-many -t lint validate passes for every chart', async () => {
    const run = await nx(['run-many', '-t', 'lint', 'validate', '--output-style=static']);
    expect(run.all).toMatch(/Successfully ran targets lint, validate for \d+ projects/);
    expect(run.all).toContain('home/monitoring: valid for Kubernetes 1.33.0');
    expect(run.all).toContain('==> Linting charts/common');
    expect(run.exitCode).toBe(0);
  });

  it('nx run workspace:check passes', async () => {
    const run = await nx(['run', 'workspace:check', '--output-style=static']);
    expect(run.all).toContain('home: sync waves -10 argocd | -1 system | 0 cert-manager, networking | 10 gitops, monitoring | 20 arr, jellyfin, whoami');
    expect(run.all).toContain('check: charts and clusters are wired correctly');
    expect(run.exitCode).toBe(0);
  });

  it('nx affected is precise: an Application file affects its chart, the root app that applies it, and check, nothing else', async () => {
    const graph = await nx(['affected', '-t', 'lint', 'validate', 'check', '--files=clusters/home/apps/networking.yaml', '--graph=stdout']);
    const tasks = Object.keys((JSON.parse(graph.stdout) as { tasks: { tasks: Record<string, unknown> } }).tasks.tasks);
    // helm-deps tasks are there only because the affected targets depend on them.
    expect(tasks.filter((t) => !t.endsWith(':helm-deps')).sort()).toEqual(['networking:lint', 'networking:validate', 'root:validate', 'workspace:check']);
  });
});
