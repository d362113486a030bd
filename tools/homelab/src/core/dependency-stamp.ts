/**
 * Whether a chart's packaged dependencies (charts/*.tgz) are still what `helm dependency build` would produce, so a
 * hack script does not start helm to package the same library chart again on every run. A stamp under
 * `<root>/node_modules/.cache/homelab/deps/` records, after each build, the content hash of everything that build
 * read — the chart's Chart.yaml and Chart.lock, every file of each `file://` dependency, the helm binary — and of
 * the archives it wrote. The build is skipped only while all of those still hash the same. Charts with a dependency
 * that is not `file://` (a Helm repository) or without Chart.lock get no stamp: helm runs every time.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Helm } from './helm.ts';
import type { Chart } from './types.ts';
import { isRecord, parseYamlDocument } from './yaml-docs.ts';

export interface DependencyStamp {
  /** The archives in charts/ are those the last build wrote from the current inputs. */
  fresh(): Promise<boolean>;
  /** Call after a successful build (or a copy of an identical build). */
  record(): Promise<void>;
}

interface Stored {
  inputs: string;
  archives: Record<string, string>;
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

export async function dependencyStamp(root: string, helm: Helm, chart: Chart): Promise<DependencyStamp | undefined> {
  if (!existsSync(path.join(root, 'node_modules'))) return undefined;
  const inputs = await buildInputs(root, helm, chart);
  if (inputs === undefined) return undefined;
  const file = path.join(root, 'node_modules', '.cache', 'homelab', 'deps', `${sha256(chart.dir).slice(0, 16)}.json`);
  const chartsDir = path.join(root, chart.dir, 'charts');
  return {
    async fresh() {
      const stored = await readFile(file, 'utf8').then((text) => JSON.parse(text) as Stored, () => undefined);
      if (stored?.inputs !== inputs) return false;
      const archives = await hashArchives(chartsDir);
      return JSON.stringify(archives) === JSON.stringify(stored.archives);
    },
    async record() {
      const stored: Stored = { inputs, archives: await hashArchives(chartsDir) };
      const temp = `${file}.${process.pid}.tmp`;
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(temp, JSON.stringify(stored));
        await rename(temp, file);
      } catch {
        // A cache that cannot be written only costs the next build.
      }
    },
  };
}

/** Hash of everything `helm dependency build` reads for this chart, or undefined when that is not all local. */
async function buildInputs(root: string, helm: Helm, chart: Chart): Promise<string | undefined> {
  const dir = path.join(root, chart.dir);
  const [chartYaml, lock] = await Promise.all([readFile(path.join(dir, 'Chart.yaml'), 'utf8'), readFile(path.join(dir, 'Chart.lock'), 'utf8').catch(() => undefined)]);
  if (lock === undefined) return undefined;
  const meta = parseYamlDocument(chartYaml, `${chart.dir}/Chart.yaml`);
  const dependencies = isRecord(meta) && Array.isArray(meta.dependencies) ? meta.dependencies : [];
  const hash = createHash('sha256').update(`${helm.bin}\0${helm.version}\0${chartYaml}\0${lock}\0`);
  for (const dep of dependencies) {
    const repository = isRecord(dep) && typeof dep.repository === 'string' ? dep.repository : '';
    if (!repository.startsWith('file://')) return undefined;
    const depDir = path.resolve(dir, repository.slice('file://'.length));
    for (const rel of await filesBelow(depDir)) hash.update(`${rel}\0${sha256(await readFile(path.join(depDir, rel)))}\0`);
  }
  return hash.digest('hex');
}

async function filesBelow(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

async function hashArchives(chartsDir: string): Promise<Record<string, string>> {
  const names = (await readdir(chartsDir).catch(() => [] as string[])).filter((n) => n.endsWith('.tgz')).sort();
  const out: Record<string, string> = {};
  for (const name of names) out[name] = sha256(await readFile(path.join(chartsDir, name)));
  return out;
}
