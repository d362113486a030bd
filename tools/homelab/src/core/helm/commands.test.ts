import { describe, expect, it } from 'vitest';
import { createRelease } from '../model/release.ts';
import {
  dependencyBuildArgs,
  getManifestArgs,
  historyArgs,
  libraryLintArgs,
  lintArgs,
  packageArgs,
  pullArgs,
  rollbackArgs,
  serverDryRunArgs,
  templateArgs,
  uninstallArgs,
  upgradeInstallArgs,
  versionArgs,
} from './commands.ts';
import type { HelmValues } from './values.ts';

const values: HelmValues = { args: ['--values', 'values.yaml', '--set', 'a=b'], inputs: [], secrets: [], usesSecrets: false };
const plain = createRelease({ cluster: 'home', name: 'web', chart: 'web', chartDir: 'charts/web', namespace: 'apps' });
const flagged = createRelease({
  cluster: 'home',
  name: 'web',
  chart: 'web',
  chartDir: 'charts/web',
  namespace: 'apps',
  kubeVersion: '1.31.0',
  apiVersions: ['monitoring.coreos.com/v1'],
  skipCrds: true,
  skipSchemaValidation: true,
  skipTests: true,
});

describe('helm command argv', () => {
  it('template: ArgoCD order, CRDs included unless skipped, chart path defaults to the working directory', () => {
    expect(templateArgs({ release: plain, values })).toEqual([
      'template',
      '.',
      '--name-template',
      'web',
      '--namespace',
      'apps',
      '--values',
      'values.yaml',
      '--set',
      'a=b',
      '--include-crds',
    ]);
    expect(templateArgs({ release: flagged, values, chartPath: 'charts/web' })).toEqual([
      'template',
      'charts/web',
      '--name-template',
      'web',
      '--namespace',
      'apps',
      '--kube-version',
      '1.31.0',
      '--values',
      'values.yaml',
      '--set',
      'a=b',
      '--api-versions',
      'monitoring.coreos.com/v1',
      '--skip-schema-validation',
      '--skip-tests',
    ]);
  });

  it('lint: --strict with the template flags lint accepts', () => {
    expect(lintArgs({ release: plain, values, chartPath: 'charts/web' })).toEqual([
      'lint',
      'charts/web',
      '--strict',
      '--namespace',
      'apps',
      '--values',
      'values.yaml',
      '--set',
      'a=b',
    ]);
    expect(lintArgs({ release: flagged, values })).toEqual([
      'lint',
      '.',
      '--strict',
      '--namespace',
      'apps',
      '--kube-version',
      '1.31.0',
      '--values',
      'values.yaml',
      '--set',
      'a=b',
      '--skip-schema-validation',
    ]);
  });

  it("lint of an upstream chart: without --strict (its warnings are its maintainers' to fix)", () => {
    const upstream = { ...plain, source: { kind: 'upstream' as const, repoURL: 'https://charts.example.invalid', chart: 'web', targetRevision: 'v1.0.0' } };
    expect(lintArgs({ release: upstream, values })).toEqual(['lint', '.', '--namespace', 'apps', '--values', 'values.yaml', '--set', 'a=b']);
  });

  it('lint of a library chart on its own: the chart path and --strict only', () => {
    expect(libraryLintArgs('charts/common')).toEqual(['lint', 'charts/common', '--strict']);
  });

  it('dependency build: offline, inside the chart; refreshing only when asked', () => {
    expect(dependencyBuildArgs()).toEqual(['dependency', 'build', '--skip-refresh', '.']);
    expect(dependencyBuildArgs({ refresh: true })).toEqual(['dependency', 'build', '.']);
  });

  it('pull: an OCI reference into a folder, the revision as --version, plain HTTP only when asked', () => {
    expect(pullArgs({ reference: 'oci://ghcr.io/org/app', version: '^1.2', destination: '/tmp/x' })).toEqual([
      'pull',
      'oci://ghcr.io/org/app',
      '--destination',
      '/tmp/x',
      '--version',
      '^1.2',
    ]);
    expect(pullArgs({ reference: 'oci://127.0.0.1:5000/app', version: '', destination: '/tmp/x', plainHttp: true })).toEqual([
      'pull',
      'oci://127.0.0.1:5000/app',
      '--destination',
      '/tmp/x',
      '--plain-http',
    ]);
  });

  it('package: a file:// dependency into charts/', () => {
    expect(packageArgs('/repo/charts/lib', '/repo/charts/web/charts')).toEqual(['package', '/repo/charts/lib', '--destination', '/repo/charts/web/charts']);
  });

  it('version: only the version string', () => {
    expect(versionArgs()).toEqual(['version', '--template', '{{.Version}}']);
  });
});

describe('helm cluster command argv', () => {
  const kube = { context: 'home', namespace: 'apps' };
  const wait = { wait: 'watcher', timeout: '90s' } as const;
  const argv = (line: string) => line.split(' ');

  it('upgrade --install: namespace and context named, a chart from the chart cache, adoption, Helm 4 flags; a server dry run prints JSON', () => {
    const chart = { chart: '/cache/homelab/charts/extracted/0f/argo-cd' };
    const options = { release: flagged, kube, major: 4, chart, values, flags: wait };
    expect(upgradeInstallArgs(options)).toEqual(
      argv(
        'upgrade web /cache/homelab/charts/extracted/0f/argo-cd --install --namespace apps --kube-context home --create-namespace --values values.yaml --set a=b --take-ownership --skip-crds --skip-schema-validation --rollback-on-failure --wait=watcher --timeout 90s',
      ),
    );
    expect(serverDryRunArgs(options)).toEqual([...upgradeInstallArgs(options), '--dry-run=server', '-o', 'json']);
  });

  it('Helm 3 spells rollback-on-failure --atomic and waits without a strategy', () => {
    const options = { release: plain, kube, major: 3, chart: { chart: 'charts/web' }, values, flags: { ...wait, helmDryRun: 'client' as const } };
    expect(upgradeInstallArgs(options)).toEqual(
      argv(
        'upgrade web charts/web --install --namespace apps --kube-context home --create-namespace --values values.yaml --set a=b --take-ownership --atomic --wait --timeout 90s --dry-run=client',
      ),
    );
  });

  it('history, get manifest, rollback and uninstall name the release, its namespace and the context', () => {
    expect(historyArgs({ release: plain, kube })).toEqual(argv('history web --namespace apps --kube-context home --max 20 -o json'));
    expect(getManifestArgs({ release: plain, kube })).toEqual(argv('get manifest web --namespace apps --kube-context home'));
    const rollback = { release: plain, kube, major: 4, flags: { wait: 'legacy', timeout: '5m' } as const, revision: 3 };
    expect(rollbackArgs(rollback)).toEqual(argv('rollback web 3 --namespace apps --kube-context home --wait=legacy --timeout 5m'));
    expect(uninstallArgs({ release: plain, kube, major: 3, flags: wait })).toEqual(
      argv('uninstall web --namespace apps --kube-context home --wait --timeout 90s'),
    );
  });

  it('refuses a timeout that is not a Go duration, naming it', () => {
    expect(() => uninstallArgs({ release: plain, kube, major: 4, flags: { wait: 'watcher', timeout: '5 minutes' } })).toThrow(/invalid timeout "5 minutes"/);
  });
});
