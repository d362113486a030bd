import { describe, expect, it } from 'vitest';
import { createRelease } from '../model/release.ts';
import { dependencyBuildArgs, lintArgs, packageArgs, pullArgs, templateArgs, versionArgs } from './commands.ts';
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
