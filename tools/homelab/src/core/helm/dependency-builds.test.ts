import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readChart } from '../workspace/charts.ts';
import { dependencyBuilder } from './dependency-builds.ts';
import { buildDependencies } from './render.ts';
import { HomelabError } from '../model/errors.ts';
import { resolveHelm, type Helm } from './helm.ts';

const REPO = path.resolve(import.meta.dirname, '../../../../..');
const APPS = ['arr', 'gitops', 'jellyfin', 'monitoring', 'networking', 'system'];
let realHelm: Helm;
const dirs: string[] = [];

beforeAll(async () => {
  realHelm = await resolveHelm();
});
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The example's charts (all built on charts/common, declared alike), without any built archive. */
function exampleCharts(withNodeModules = false): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dependency-builds-'));
  dirs.push(root);
  if (withNodeModules) mkdirSync(path.join(root, 'node_modules'));
  for (const chart of ['common', ...APPS]) {
    cpSync(path.join(REPO, 'charts', chart), path.join(root, 'charts', chart), { recursive: true, filter: (src) => !src.endsWith('.tgz') });
  }
  return root;
}

/** The real helm behind a shell script that notes each invocation (directory and arguments) in a log file. */
function loggingHelm(root: string): { helm: Helm; calls: () => string[] } {
  const log = path.join(root, 'helm-calls.log');
  const bin = path.join(root, 'helm');
  writeFileSync(bin, `#!/bin/sh\necho "$(basename "$PWD") $*" >> '${log}'\nexec '${realHelm.bin}' "$@"\n`);
  chmodSync(bin, 0o755);
  return { helm: { ...realHelm, bin }, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

const render = (root: string, chart: string) =>
  execFileSync(realHelm.bin, ['template', chart, '.', '--namespace', chart], { cwd: path.join(root, 'charts', chart) }).toString();

describe('dependencyBuilder', () => {
  it('runs helm once for charts declaring the same local dependencies; the others render exactly as after their own build', async () => {
    const shared = exampleCharts();
    const { helm, calls } = loggingHelm(shared);
    const build = dependencyBuilder(shared, helm);
    await Promise.all(APPS.map(async (chart) => build(await readChart(shared, `charts/${chart}`))));
    expect(calls()).toHaveLength(1);
    expect(calls()[0]).toMatch(/ dependency build --skip-refresh \.$/);

    const own = exampleCharts();
    for (const chart of APPS) execFileSync(realHelm.bin, ['dependency', 'build', '--skip-refresh', '.'], { cwd: path.join(own, 'charts', chart) });
    for (const chart of APPS) {
      expect(existsSync(path.join(shared, 'charts', chart, 'charts', 'common-0.1.0.tgz'))).toBe(true);
      expect(render(shared, chart)).toBe(render(own, chart));
    }
  });

  it('runs helm itself for a chart without Chart.lock (helm writes one) or with an unpacked subchart in charts/', async () => {
    const root = exampleCharts();
    rmSync(path.join(root, 'charts/jellyfin/Chart.lock'));
    mkdirSync(path.join(root, 'charts/arr/charts/vendored'), { recursive: true });
    writeFileSync(path.join(root, 'charts/arr/charts/vendored/Chart.yaml'), 'apiVersion: v2\nname: vendored\nversion: 1.0.0\n');
    const { helm, calls } = loggingHelm(root);
    const build = dependencyBuilder(root, helm);
    for (const chart of APPS) await build(await readChart(root, `charts/${chart}`));
    expect(
      calls()
        .map((c) => c.split(' ')[0])
        .sort(),
    ).toEqual(['arr', 'gitops', 'jellyfin']);
    expect(existsSync(path.join(root, 'charts/jellyfin/Chart.lock'))).toBe(true);
    expect(existsSync(path.join(root, 'charts/arr/charts/vendored/Chart.yaml'))).toBe(true);
  });

  it('when the shared build fails, every chart runs helm and reports its own error', async () => {
    const root = exampleCharts();
    // The library no longer satisfies the charts' `version: ~0.1.0`.
    const library = path.join(root, 'charts/common/Chart.yaml');
    writeFileSync(library, readFileSync(library, 'utf8').replace(/^version: .*$/m, 'version: 9.9.9'));
    const { helm, calls } = loggingHelm(root);
    const build = dependencyBuilder(root, helm);
    const results = await Promise.allSettled(APPS.map(async (chart) => build(await readChart(root, `charts/${chart}`))));
    expect(calls()).toHaveLength(APPS.length);
    results.forEach((result, i) => {
      expect(result.status).toBe('rejected');
      const err = (result as PromiseRejectedResult).reason as HomelabError;
      expect(err).toBeInstanceOf(HomelabError);
      expect(err.message).toContain(`helm dependency build failed for charts/${APPS[i]}`);
    });
  });
});

describe('buildDependencies with a stamp (node_modules/.cache/homelab/deps)', () => {
  it('skips helm while Chart.yaml, Chart.lock, the library files, helm and the archives are unchanged', async () => {
    const root = exampleCharts(true);
    const { helm, calls } = loggingHelm(root);
    const chart = await readChart(root, 'charts/monitoring');
    const build = () => buildDependencies(root, helm, chart);
    await build();
    const before = render(root, 'monitoring');
    const archive = path.join(root, 'charts/monitoring/charts/common-0.1.0.tgz');
    const firstArchive = readFileSync(archive);
    await build();
    expect(calls()).toHaveLength(1);
    expect(render(root, 'monitoring')).toBe(before);

    // A library template changes: helm packages it again and the render shows it.
    const names = path.join(root, 'charts/common/templates/_names.tpl');
    writeFileSync(names, readFileSync(names, 'utf8').replace(/^(app\.kubernetes\.io\/managed-by: .*)$/m, '$1\nbench/stamp: "1"'));
    await build();
    expect(calls()).toHaveLength(2);
    expect(render(root, 'monitoring')).toContain('bench/stamp: "1"');

    // The archive changed behind our back (an older build put back), or Chart.lock did: helm again.
    writeFileSync(archive, firstArchive);
    await build();
    expect(render(root, 'monitoring')).toContain('bench/stamp: "1"');
    edit(path.join(root, 'charts/monitoring/Chart.lock'), (t) => t.replace(/^generated: .*$/m, 'generated: "2030-01-01T00:00:00Z"'));
    await build();
    await build();
    expect(calls()).toHaveLength(4);
  });

  it('always runs helm without node_modules, or for a chart without Chart.lock', async () => {
    for (const [withNodeModules, removeLock] of [
      [false, false],
      [true, true],
    ]) {
      const root = exampleCharts(withNodeModules);
      if (removeLock) rmSync(path.join(root, 'charts/arr/Chart.lock'));
      const { helm, calls } = loggingHelm(root);
      const chart = await readChart(root, 'charts/arr');
      await buildDependencies(root, helm, chart);
      if (removeLock) rmSync(path.join(root, 'charts/arr/Chart.lock'));
      await buildDependencies(root, helm, chart);
      expect(calls()).toHaveLength(2);
    }
  });
});

function edit(file: string, change: (text: string) => string): void {
  writeFileSync(file, change(readFileSync(file, 'utf8')));
}
