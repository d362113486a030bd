import { describe, expect, it } from 'vitest';
import { createRelease } from '../model/release.ts';
import { dependencyBuildArgs, lintArgs, templateArgs, versionArgs } from './commands.ts';
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

  it('dependency build: offline, inside the chart', () => {
    expect(dependencyBuildArgs()).toEqual(['dependency', 'build', '--skip-refresh', '.']);
  });

  it('version: only the version string', () => {
    expect(versionArgs()).toEqual(['version', '--template', '{{.Version}}']);
  });
});
