/**
 * A dry run changes nothing, through the whole Nx task graph: every cluster target with its dry-run flag runs
 * with the real nx, helm and kubectl against the in-memory API server (declared in a copy of the example
 * workspace), and the server sees no write request at all. Without any cluster it is an offline preview.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createExampleRepo, type ExampleRepo } from './affected/example-repo.ts';
import { startFakeApiServer, type FakeApiServer } from './helpers/fake-apiserver.ts';
import { writeKubeconfig } from './helpers/kubeconfig.ts';
import { childEnv } from './support/workspace.ts';

let repo: ExampleRepo;
/** Whole Nx task graphs of real helm runs: on a loaded 2-core machine more than the default per-test limit. */
const NX_RUN_TIMEOUT = 600_000;
let api: FakeApiServer;
let kubeconfig: string;

beforeAll(async () => {
  api = await startFakeApiServer({ argocd: false });
  repo = createExampleRepo();
  const clusterFile = path.join(repo.root, 'clusters/home/cluster.yaml');
  writeFileSync(clusterFile, readFileSync(clusterFile, 'utf8').replace(/^server: .*$/m, `server: ${api.url}`));
  kubeconfig = await writeKubeconfig([{ name: 'home', server: api.url }]);
});
afterAll(async () => {
  await api?.close();
  repo?.dispose();
});

function nx(args: string[]) {
  return execa(
    process.execPath,
    [path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'), ...args, '--skip-nx-cache', '--output-style=static', '--parallel=1'],
    {
      cwd: repo.root,
      env: childEnv({ KUBECONFIG: kubeconfig }),
      reject: false,
      stdin: 'ignore',
      all: true,
    },
  );
}

const skipped = (chart: string, by: string, action = 'not installed') =>
  `${chart}: lower wave of ${by}, ${action} (pass --withLowerWaves to install lower waves too)`;
/** The upgrades in tier order; releases of one wave may run in any order. */
const tiers = (order: string[]) => [order.slice(0, 2), order.slice(2, 4).sort(), order.slice(4)];
const upgrades = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.startsWith('$ helm upgrade ') && !l.includes('--dry-run=server'))
    .map((l) => l.split(' ')[3]);

describe('every cluster target with its dry-run flag, through the whole task graph', () => {
  const runs: [string, string[], (out: string) => void][] = [
    [
      'install applies the chart named only; its lower waves say so in one line',
      ['run', 'monitoring:install:home', '--dryRun'],
      (out) => {
        expect(out).toContain(skipped('networking', 'monitoring'));
        expect(out).toContain(skipped('system', 'monitoring', 'not bootstrapped'));
        expect(upgrades(out)).toEqual(['monitoring']);
      },
    ],
    [
      '--withLowerWaves plans the lower waves too, the bootstrap first',
      ['run', 'monitoring:install:home', '--dryRun', '--withLowerWaves'],
      (out) => {
        expect(out).not.toContain('lower wave of');
        expect(tiers(upgrades(out))).toEqual([['argocd', 'system'], ['cert-manager', 'networking'], ['monitoring']]);
      },
    ],
    [
      'a release is not forwarded to the lower waves: each installs its own chart',
      ['run', 'monitoring:install:home', '--release=home/monitoring', '--dryRun', '--withLowerWaves'],
      (out) => expect(tiers(upgrades(out))).toEqual([['argocd', 'system'], ['cert-manager', 'networking'], ['monitoring']]),
    ],
    ['the bootstrap chart install is the bootstrap', ['run', 'system:install:home', '--dryRun'], (out) => expect(upgrades(out)).toEqual(['argocd', 'system'])],
    ['bootstrap', ['run', 'system:bootstrap:home', '--dryRun'], (out) => expect(upgrades(out)).toEqual(['argocd', 'system'])],
    ['uninstall', ['run', 'jellyfin:uninstall', '--dryRun'], (out) => expect(out).toContain('$ helm uninstall jellyfin ')],
    ['diff', ['run', 'monitoring:diff:home', '--dryRun'], (out) => expect(out).toContain('$ kubectl --context home ')],
    [
      'run-many -t install asks for every install: all of them run, wave by wave',
      ['run-many', '-t', 'install', '-c', 'home', '--dryRun'],
      (out) => {
        expect(out).not.toContain('lower wave of');
        const order = upgrades(out);
        expect(order.slice(0, 2)).toEqual(['argocd', 'system']);
        // The argocd project's own install (the release the bootstrap installed) has no tier: it runs whenever Nx picks.
        expect(order.filter((name) => name === 'argocd')).toHaveLength(2);
        const tiered = order.slice(2).filter((name) => name !== 'argocd');
        expect(tiered.slice(0, 2).sort()).toEqual(['cert-manager', 'networking']);
        expect(tiered.slice(2, 4).sort()).toEqual(['gitops', 'monitoring']);
        expect(tiered.slice(4).sort()).toEqual(['arr', 'jellyfin']);
      },
    ],
  ];
  for (const [what, args, check] of runs) {
    it(
      `${what}: nx ${args.join(' ')} sends no write request`,
      async () => {
        const before = api.writes().length;
        const result = await nx(args);
        expect(result.exitCode, result.all).toBe(0);
        expect(api.writes().slice(before), result.all).toEqual([]);
        check(result.all);
      },
      NX_RUN_TIMEOUT,
    );
  }
});

describe('environments are independent: lab plans only lab', () => {
  const labLines = (out: string) => out.split('\n').filter((l) => l.startsWith('$ helm upgrade ') && !l.includes('--dry-run=server'));
  const tasks = (out: string) => [...out.matchAll(/nx run (\S+)/g)].map((m) => m[1]);
  it(
    'nx run monitoring:install:lab --dryRun --withLowerWaves: the bootstrap and lower waves of lab, every task :lab, every command --kube-context lab',
    async () => {
      const result = await nx(['run', 'monitoring:install:lab', '--dryRun', '--withLowerWaves']);
      expect(result.exitCode, result.all).toBe(0);
      expect(
        tasks(result.all).every((task) => task.endsWith(':lab')),
        tasks(result.all).join(' '),
      ).toBe(true);
      expect(tasks(result.all)).toContain('system:bootstrap:lab');
      // lab has no cert-manager: its task runs for lab and finds nothing to install.
      expect(upgrades(result.all)).toEqual(['argocd', 'system', 'networking', 'monitoring']);
      expect(labLines(result.all).every((l) => l.includes('--kube-context lab ') && !l.includes('clusters/home/'))).toBe(true);
      expect(result.all).toContain('--values clusters/lab/values/monitoring.yaml --values clusters/lab/versions/monitoring.yaml');
    },
    NX_RUN_TIMEOUT,
  );

  it(
    'nx run-many -t install -c lab --dryRun: the installs of lab, wave by wave, nothing of home',
    async () => {
      const result = await nx(['run-many', '-t', 'install', '-c', 'lab', '--dryRun']);
      expect(result.exitCode, result.all).toBe(0);
      expect(result.all).not.toContain('--kube-context home');
      const order = upgrades(result.all);
      expect(order.slice(0, 2)).toEqual(['argocd', 'system']);
      const tiered = order.slice(2).filter((name) => name !== 'argocd');
      expect(tiered).toEqual(['networking', 'monitoring']);
    },
    NX_RUN_TIMEOUT,
  );
});

describe('install options forwarded to the bootstrap', () => {
  it(
    '--helmDryRun reaches the lower waves; the bootstrap, which has none, refuses it rather than installing for real',
    async () => {
      const skippedOnly = await nx(['run', 'monitoring:install:home', '--dryRun', '--helmDryRun=client']);
      expect(skippedOnly.exitCode, skippedOnly.all).toBe(0);
      expect(skippedOnly.all).toContain(skipped('system', 'monitoring', 'not bootstrapped'));
      const withLower = await nx(['run', 'monitoring:install:home', '--helmDryRun=client', '--withLowerWaves']);
      expect(withLower.exitCode).not.toBe(0);
      expect(withLower.all).toContain('✖ the bootstrap has no helm dry run (--helmDryRun): it would install ArgoCD for real — preview it with --dryRun');
      expect(api.writes()).toEqual([]);
    },
    NX_RUN_TIMEOUT,
  );
});

describe('a newcomer without a cluster previews offline', () => {
  const noCluster = async () => {
    const env = childEnv({ HOME: await mkdtemp(path.join(tmpdir(), 'no-kubeconfig-')) });
    delete env.KUBECONFIG;
    return env;
  };
  const offline = (home: string) =>
    `Cluster home: OFFLINE PREVIEW: kube-context home is not in the kubeconfig (${path.join(home, '.kube', 'config')}): no context check, no server-side dry run, the commands below name the declared context`;

  it('nx run monitoring:install:home --dryRun --withLowerWaves and hack/install --dry-run: no kubeconfig needed, the invocations printed', async () => {
    const env = await noCluster();
    const viaNx = await execa(
      process.execPath,
      [
        path.join(repo.root, 'node_modules/nx/dist/bin/nx.js'),
        'run',
        'monitoring:install:home',
        '--dryRun',
        '--withLowerWaves',
        '--skip-nx-cache',
        '--output-style=static',
      ],
      {
        cwd: repo.root,
        env,
        extendEnv: false,
        reject: false,
        all: true,
      },
    );
    expect(viaNx.exitCode, viaNx.all).toBe(0);
    expect(viaNx.all).toContain(offline(env.HOME));
    expect(tiers(upgrades(viaNx.all))).toEqual([['argocd', 'system'], ['cert-manager', 'networking'], ['monitoring']]);
    const viaHack = await execa(process.execPath, [path.join(repo.root, 'hack/install'), 'monitoring', '--cluster', 'home', '--dry-run'], {
      cwd: repo.root,
      env,
      extendEnv: false,
      reject: false,
    });
    expect(viaHack.exitCode, viaHack.stderr).toBe(0);
    expect(viaHack.stdout.split('\n')[0]).toBe(offline(env.HOME));
    expect(upgrades(viaHack.stdout)).toEqual(['monitoring']);
  });

  it('KUBECONFIG naming a missing file is refused in one line, dry run or not', async () => {
    const missing = path.join(tmpdir(), 'no-such-dir', 'kubeconfig');
    const result = await execa(process.execPath, [path.join(repo.root, 'hack/install'), 'home/monitoring', '--dry-run'], {
      cwd: repo.root,
      env: childEnv({ KUBECONFIG: missing }),
      reject: false,
    });
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      `✖ KUBECONFIG=${missing}: file not found — point KUBECONFIG at an existing kubeconfig file, or unset it to read ~/.kube/config`,
    );
  });
});
