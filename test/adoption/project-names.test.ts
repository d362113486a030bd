// Charts whose directories share a name (test/fixtures/adoption/clashing-names: apps/root, shared/root, charts/web),
// named under both `projectNames` settings of nx.json: the real Nx and the package's `homelab` command must agree on
// every name, and a name renders its chart byte-identically to the hand-written helm command.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { repoRoot } from '../support/workspace.ts';
import { KUBE_VERSION, materialize } from './layouts.ts';

const FIXTURE = path.join(repoRoot, 'test/fixtures/adoption/clashing-names');
const CHART_GLOBS = ['apps/*', 'shared/*', 'charts/*'];

function fixtureFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(FIXTURE, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name === 'README.md') continue;
    const file = path.join(entry.parentPath, entry.name);
    files.set(path.relative(FIXTURE, file).split(path.sep).join('/'), readFileSync(file, 'utf8'));
  }
  return files;
}

let helmBin: string;
beforeAll(async () => {
  helmBin = (await resolveHelm()).bin;
});

const env = () => ({ ...process.env, HELM_BIN: helmBin, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', FORCE_COLOR: '0' });
const run = (root: string, args: string[]) => spawnSync(process.execPath, args, { cwd: root, env: env(), encoding: 'utf8' });
const nx = (root: string, ...args: string[]) => run(root, [path.join(root, 'node_modules/nx/dist/bin/nx.js'), ...args]);
const homelab = (root: string, ...args: string[]) => run(root, [path.join(root, 'node_modules/@homelab/nx/dist/src/bin/homelab.js'), ...args]);

/** What ArgoCD's repo-server runs for an Application deploying `chart` as `name` into the namespace `name`. */
function helmByHand(root: string, name: string, chart: string): string {
  const result = spawnSync(helmBin, ['template', name, chart, '--namespace', name, '--kube-version', KUBE_VERSION, '--include-crds'], {
    cwd: root,
    encoding: 'utf8',
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe.each([
  { naming: undefined, names: { 'apps/root': 'apps-root', 'shared/root': 'shared-root', 'charts/web': 'web' } },
  { naming: 'path', names: { 'apps/root': 'apps-root', 'shared/root': 'shared-root', 'charts/web': 'charts-web' } },
])('charts whose directory names clash, projectNames $naming', ({ naming, names }) => {
  let repo: { root: string; dispose(): void };
  beforeAll(() => {
    repo = materialize({ name: 'clashing-names', files: fixtureFiles(), initArgs: [], chartGlobs: [], clusterGlobs: [], projects: [], releases: [] });
    const options = { chartGlobs: CHART_GLOBS, ...(naming ? { projectNames: naming } : {}) };
    writeFileSync(path.join(repo.root, 'nx.json'), `${JSON.stringify({ plugins: [{ plugin: '@homelab/nx', options }] }, null, 2)}\n`);
  });
  afterAll(() => repo?.dispose());

  it('are the same projects for Nx and the homelab command, each rendering its own chart', () => {
    const shown = nx(repo.root, 'show', 'projects', '--json');
    expect(shown.status, shown.stderr).toBe(0);
    expect((JSON.parse(shown.stdout) as string[]).sort()).toEqual([...Object.values(names), 'workspace'].sort());
    const releases: Record<string, string> = { 'apps/root': 'platform', 'shared/root': 'team', 'charts/web': 'web' };
    for (const [dir, project] of Object.entries(names)) {
      const rendered = homelab(repo.root, 'template', project);
      expect(rendered.status, rendered.stderr).toBe(0);
      expect(rendered.stdout).toBe(helmByHand(repo.root, releases[dir], dir));
    }
  });

  it('refuses the clashing directory name itself in one line listing the names', () => {
    const refused = homelab(repo.root, 'template', 'root');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr.trim()).toBe(`✖ unknown chart or release "root" — known charts: ${Object.values(names).sort().join(', ')}`);
  });
});

describe('an unknown projectNames in nx.json', () => {
  it('is one warning for the homelab command, which keeps the default naming', () => {
    const repo = materialize({ name: 'clashing-names', files: fixtureFiles(), initArgs: [], chartGlobs: [], clusterGlobs: [], projects: [], releases: [] });
    try {
      const options = { chartGlobs: CHART_GLOBS, projectNames: 'dirname' };
      writeFileSync(path.join(repo.root, 'nx.json'), `${JSON.stringify({ plugins: [{ plugin: '@homelab/nx', options }] })}\n`);
      const rendered = homelab(repo.root, 'template', 'web');
      expect(rendered.status, rendered.stderr).toBe(0);
      expect(rendered.stderr).toContain('nx.json: @homelab/nx option projectNames must be one of basename, path; using basename');
      expect(rendered.stdout).toBe(helmByHand(repo.root, 'web', 'charts/web'));
    } finally {
      repo.dispose();
    }
  });
});
