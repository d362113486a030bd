/**
 * Whether a chart's packaged dependencies (charts/*.tgz) are still what `helm dependency build` would produce, so a
 * hack script does not start helm to package the same library chart again on every run. A stamp under
 * `<root>/node_modules/.cache/homelab/deps/` records, after each build, the content hash of everything that build
 * read — the chart's Chart.yaml and Chart.lock, every file of each `file://` dependency, the helm binary — and of
 * the archives it wrote. The build is skipped only while all of those still hash the same. Charts with a dependency
 * that is not `file://` (a Helm repository) or without Chart.lock get no stamp: helm runs every time.
 * Files are read synchronously: a handful of small files per chart, many charts per batch.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Helm } from './helm.ts';
import type { Chart } from '../model/types.ts';
import { writeCacheEntry } from '../workspace/atomic-write.ts';
import { isRecord, parseYamlDocument } from '../workspace/yaml-docs.ts';

/** What `helm dependency build` reads for a chart whose dependencies are all local. */
export interface LocalDependencies {
  chartYaml: string;
  lock: string;
  /** Chart.yaml `dependencies`, each `repository` resolved to the absolute directory of its `file://` chart. */
  dependencies: Record<string, unknown>[];
}

/** The chart's dependency declaration, or undefined when it has no Chart.lock or a dependency is not `file://`. */
export function localDependencies(root: string, chart: Chart): LocalDependencies | undefined {
  const dir = path.join(root, chart.dir);
  const lock = readOptional(path.join(dir, 'Chart.lock'));
  if (lock === undefined) return undefined;
  const chartYaml = readFileSync(path.join(dir, 'Chart.yaml'), 'utf8');
  const meta = parseYamlDocument(chartYaml, `${chart.dir}/Chart.yaml`);
  const dependencies: Record<string, unknown>[] = [];
  for (const dep of isRecord(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : []) {
    const repository = isRecord(dep) && typeof dep.repository === 'string' ? dep.repository : '';
    if (!repository.startsWith('file://')) return undefined;
    dependencies.push({ ...dep, repository: path.resolve(dir, repository.slice('file://'.length)) });
  }
  return { chartYaml, lock, dependencies };
}

export interface DependencyStamp {
  /** The archives in charts/ are those the last build wrote from the current inputs. */
  fresh(): boolean;
  /** Call after a successful build (or a copy of an identical build). */
  record(): void;
}

interface Stored {
  inputs: string;
  archives: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export function dependencyStamp(root: string, helm: Helm, chart: Chart, local = localDependencies(root, chart)): DependencyStamp | undefined {
  if (local === undefined || !existsSync(path.join(root, 'node_modules'))) return undefined;
  const inputs = createHash('sha256').update(`${helm.bin}\0${helm.version}\0${local.chartYaml}\0${local.lock}\0`);
  for (const dep of local.dependencies) {
    const depDir = dep.repository as string;
    for (const rel of filesBelow(depDir)) inputs.update(`${rel}\0${sha256(readFileSync(path.join(depDir, rel)))}\0`);
  }
  const key = inputs.digest('hex');
  const file = path.join(root, 'node_modules', '.cache', 'homelab', 'deps', `${sha256(chart.dir).slice(0, 16)}.json`);
  const chartsDir = path.join(root, chart.dir, 'charts');
  return {
    fresh() {
      const text = readOptional(file);
      const stored = text === undefined ? undefined : (JSON.parse(text) as Stored);
      return stored?.inputs === key && JSON.stringify(hashArchives(chartsDir)) === JSON.stringify(stored.archives);
    },
    record() {
      writeCacheEntry(file, JSON.stringify({ inputs: key, archives: hashArchives(chartsDir) } satisfies Stored));
    },
  };
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function filesBelow(dir: string): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { recursive: true, withFileTypes: true });
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

function hashArchives(chartsDir: string): Record<string, string> {
  let names: string[];
  try {
    names = readdirSync(chartsDir)
      .filter((n) => n.endsWith('.tgz'))
      .sort();
  } catch {
    return {};
  }
  return Object.fromEntries(names.map((name) => [name, sha256(readFileSync(path.join(chartsDir, name)))]));
}
