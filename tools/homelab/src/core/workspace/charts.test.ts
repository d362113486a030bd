import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverCharts, readChart } from './charts.ts';
import { HomelabError } from '../model/errors.ts';
import { normalizeLayout } from './layout.ts';

const BASIC = resolve(import.meta.dirname, '../../../../../test/fixtures/resolution/basic');

let tmp: string | undefined;
afterEach(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

async function repo(files: Record<string, string>): Promise<string> {
  tmp = await mkdtemp(join(tmpdir(), 'homelab-charts-'));
  for (const [path, text] of Object.entries(files)) {
    await mkdir(dirname(join(tmp, path)), { recursive: true });
    await writeFile(join(tmp, path), text);
  }
  return tmp;
}

const chartYaml = (name: string, extra = '') => `apiVersion: v2\nname: ${name}\nversion: 0.1.0\n${extra}`;

describe('discoverCharts', () => {
  it('finds the charts matching the default glob, with types and local dependencies', async () => {
    const charts = await discoverCharts(normalizeLayout(BASIC));
    expect(charts.map((c) => c.name)).toEqual(['api', 'blog', 'common', 'db', 'legacy', 'tools', 'web']);
    expect(charts.find((c) => c.name === 'web')).toEqual({
      name: 'web',
      dir: 'charts/web',
      type: 'application',
      version: '1.0.0',
      localDependencies: [{ name: 'common', dir: 'charts/common' }],
      hasDependencies: true,
    });
    expect(charts.find((c) => c.name === 'common')?.type).toBe('library');
  });

  it('supports ** and treats charts inside a chart as its subcharts', async () => {
    const root = await repo({
      'charts/a/Chart.yaml': chartYaml('a', 'dependencies:\n  - name: remote\n    version: 1.0.0\n    repository: https://charts.example.com\n'),
      'charts/a/charts/sub/Chart.yaml': chartYaml('sub'),
      'charts/group/b/Chart.yaml': chartYaml('b'),
      'charts/group/not-a-chart/values.yaml': '{}\n',
      'charts/.hidden/Chart.yaml': chartYaml('hidden'),
    });
    const charts = await discoverCharts(normalizeLayout(root, { charts: ['charts/**'] }));
    expect(charts.map((c) => [c.name, c.dir, c.hasDependencies, c.localDependencies.length])).toEqual([
      ['a', 'charts/a', true, 0],
      ['b', 'charts/group/b', false, 0],
    ]);
  });

  it('names charts whose directory names clash after the path that tells them apart', async () => {
    const root = await repo({
      'charts/x/Chart.yaml': chartYaml('x'),
      'apps/x/Chart.yaml': chartYaml('x'),
      'k8s/a/root/Chart.yaml': chartYaml('root'),
      'k8s/b/root/Chart.yaml': chartYaml('root'),
      'charts/y/Chart.yaml': chartYaml('y'),
    });
    const charts = await discoverCharts(normalizeLayout(root, { charts: ['charts/*', 'apps/*', 'k8s/*/*'] }));
    expect(charts.map((c) => `${c.name}=${c.dir}`)).toEqual(['a-root=k8s/a/root', 'apps-x=apps/x', 'b-root=k8s/b/root', 'charts-x=charts/x', 'y=charts/y']);
  });

  it('names every chart by its whole path with projectNames: path, and hands two charts getting one name to onBroken', async () => {
    const root = await repo({
      'apps/root/Chart.yaml': chartYaml('root'),
      'shared/root/Chart.yaml': chartYaml('root'),
      'charts/web/Chart.yaml': chartYaml('web'),
      'k8s/a-b/c/Chart.yaml': chartYaml('c'),
      'k8s/a/b-c/Chart.yaml': chartYaml('b-c'),
    });
    const layout = normalizeLayout(root, { charts: ['apps/*', 'shared/*', 'charts/*', 'k8s/*/*'], projectNames: 'path' });
    const broken: string[] = [];
    const charts = await discoverCharts(layout, undefined, (dir, err) => broken.push(`${dir}: ${(err as HomelabError).line()}`));
    expect(charts.map((c) => `${c.name}=${c.dir}`)).toEqual(['apps-root=apps/root', 'charts-web=charts/web', 'shared-root=shared/root']);
    expect(broken).toEqual([
      'k8s/a-b/c: charts k8s/a-b/c and k8s/a/b-c both get the project name k8s-a-b-c — rename one of the directories',
      'k8s/a/b-c: charts k8s/a/b-c and k8s/a-b/c both get the project name k8s-a-b-c — rename one of the directories',
    ]);
    expect(() => normalizeLayout(root, { projectNames: 'dirname' })).toThrow('nx.json: @homelab/nx option projectNames is "dirname"');
  });

  it('hands a broken Chart.yaml to onBroken and discovers the others', async () => {
    const root = await repo({ 'charts/good/Chart.yaml': chartYaml('good'), 'charts/bad/Chart.yaml': 'apiVersion: v2\nname: [bad\n' });
    const broken: string[] = [];
    const charts = await discoverCharts(normalizeLayout(root), undefined, (dir, err) => broken.push(`${dir}: ${(err as Error).message}`));
    expect(charts.map((c) => c.name)).toEqual(['good']);
    expect(broken).toEqual([expect.stringMatching(/^charts\/bad: charts\/bad\/Chart\.yaml:\d+: YAML syntax error/)]);
    await expect(discoverCharts(normalizeLayout(root))).rejects.toThrow('charts/bad/Chart.yaml');
  });
});

describe('readChart', () => {
  it('rejects a file:// dependency that is not a chart', async () => {
    const root = await repo({ 'charts/a/Chart.yaml': chartYaml('a', 'dependencies:\n  - name: lib\n    repository: file://../lib\n') });
    await expect(readChart(root, 'charts/a')).rejects.toThrow('charts/a/Chart.yaml: dependency lib (file://../lib) is not a chart in the workspace');
  });

  it('rejects a Chart.yaml without version and reports YAML errors with the line', async () => {
    const root = await repo({ 'charts/a/Chart.yaml': 'apiVersion: v2\nname: a\n', 'charts/b/Chart.yaml': 'name: b\nversion: [\n' });
    await expect(readChart(root, 'charts/a')).rejects.toThrow('charts/a/Chart.yaml: version is missing');
    const err = await readChart(root, 'charts/b').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HomelabError);
    expect((err as HomelabError).message).toMatch(/^charts\/b\/Chart\.yaml:\d+: YAML syntax error/);
  });
});
