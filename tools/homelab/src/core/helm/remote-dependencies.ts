/**
 * Charts of this repository whose Chart.yaml depends on a chart in a Helm repository or OCI registry. `helm
 * dependency build --skip-refresh` cannot build them (helm has no index for the URL: "no cached repository"), and a
 * refreshing build downloads every time. So:
 * - every remote dependency pinned by Chart.lock and present in the chart cache: charts/ is assembled offline from
 *   the cache (the same archives helm would download), `file://` dependencies packaged by `helm package`;
 * - otherwise `helm dependency build` refreshes, in a private helm home (helm-home.ts: helm adds the dependencies'
 *   repositories there itself; the user's helm config is only read, for credentials), and the remote archives it
 *   downloaded go into the chart cache, so the next build is offline.
 * Chart.lock is honoured as helm honours it: its versions are the ones assembled; without one, helm resolves the
 * ranges and writes it.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { errorSummary } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import { HomelabError } from '../model/errors.ts';
import type { Chart } from '../model/types.ts';
import { isRecord, parseYamlDocument } from '../workspace/yaml-docs.ts';
import { lookupChart, PULL_COMMAND, storeChart } from './chart-cache.ts';
import { fetchChart } from './chart-fetch.ts';
import { dependencyBuildArgs, packageArgs } from './commands.ts';
import { helmTimedOut, helmTimeoutMs, type Helm } from './helm.ts';
import { privateHelmHome } from './helm-home.ts';
import { isOffline, OFFLINE_ENV } from './network.ts';

export interface RemoteDependency {
  name: string;
  repository: string;
  /** Chart.lock's version, or undefined when the chart has no lock entry for it. */
  locked?: string;
  /** Chart.yaml's version (a range). */
  wanted: string;
}

interface Declared {
  remote: RemoteDependency[];
  /** `file://` dependencies: absolute chart directories. */
  local: string[];
}

const isRemote = (repository: string) => /^(https?|oci):\/\//.test(repository);

/** The chart's remote dependencies with their locked versions (empty when all are `file://`). */
export function remoteDependencies(root: string, chart: Chart): RemoteDependency[] {
  return declared(root, chart).remote;
}

function declared(root: string, chart: Chart): Declared {
  const dir = path.join(root, chart.dir);
  const meta = parseYamlDocument(readFileSync(path.join(dir, 'Chart.yaml'), 'utf8'), `${chart.dir}/Chart.yaml`);
  const lockText = readOptional(path.join(dir, 'Chart.lock'));
  const lock = lockText === undefined ? undefined : parseYamlDocument(lockText, `${chart.dir}/Chart.lock`);
  const locked = isRecord(lock) && Array.isArray(lock.dependencies) ? lock.dependencies.filter(isRecord) : [];
  const result: Declared = { remote: [], local: [] };
  for (const dep of isRecord(meta) && Array.isArray(meta.dependencies) ? meta.dependencies.filter(isRecord) : []) {
    const repository = typeof dep.repository === 'string' ? dep.repository : '';
    const name = String(dep.name);
    if (repository.startsWith('file://')) result.local.push(path.resolve(dir, repository.slice('file://'.length)));
    else if (isRemote(repository)) {
      const entry = locked.find((l) => l.name === name && String(l.repository).replace(/\/+$/, '') === repository.replace(/\/+$/, ''));
      result.remote.push({ name, repository, wanted: String(dep.version ?? ''), locked: entry ? String(entry.version) : undefined });
    }
  }
  return result;
}

/** Builds charts/ for a chart with remote dependencies (see the file comment). */
export async function buildRemoteDependencies(root: string, helm: Helm, chart: Chart, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const deps = declared(root, chart);
  const cached = deps.remote.map((d) => (d.locked === undefined ? undefined : lookupChart({ repoURL: d.repository, chart: d.name, revision: d.locked }, env)));
  const chartsDir = path.join(root, chart.dir, 'charts');
  if (cached.every((c) => c !== undefined)) {
    await assembleOffline(
      helm,
      chart,
      chartsDir,
      deps.local,
      cached.map((c, i) => ({ archive: c.archive, file: `${deps.remote[i].name}-${c.version}.tgz` })),
    );
    return;
  }
  const missing = deps.remote.filter((_, i) => cached[i] === undefined);
  if (isOffline(env)) {
    const d = missing[0];
    throw new HomelabError(
      `${chart.dir}: dependency ${d.name} ${d.locked ?? d.wanted} from ${d.repository} is not in the chart cache and ${OFFLINE_ENV} is set`,
      `run ${PULL_COMMAND} where the repository is reachable, then render again`,
    );
  }
  const home = await privateHelmHome(env);
  try {
    const timeoutMs = helmTimeoutMs('render', env);
    const result = await runTool(helm.bin, dependencyBuildArgs({ refresh: true }), { cwd: path.join(root, chart.dir), env: home.env, timeoutMs });
    if (result.timedOut) throw helmTimedOut(`helm dependency build of ${chart.dir}`, timeoutMs);
    if (result.exitCode !== 0) {
      const d = missing[0];
      throw new HomelabError(
        `${chart.dir}: helm dependency build could not fetch ${d.name} ${d.locked ?? d.wanted} from ${d.repository}: ${errorSummary(result.stderr)}`,
        `check the dependency in ${chart.dir}/Chart.yaml and that the repository is reachable (or run ${PULL_COMMAND} where it is)`,
      );
    }
  } finally {
    await home.dispose();
  }
  // What helm downloaded goes into the cache, under the versions the (possibly new) Chart.lock pins.
  for (const d of declared(root, chart).remote) {
    const file = d.locked && path.join(chartsDir, `${d.name}-${d.locked}.tgz`);
    if (file && existsSync(file)) storeChart({ repoURL: d.repository, chart: d.name, revision: d.locked! }, d.locked!, readFileSync(file), undefined, env);
  }
}

/** What helm's build leaves in charts/: the old archives replaced by one archive per dependency. */
async function assembleOffline(helm: Helm, chart: Chart, chartsDir: string, local: string[], remote: { archive: string; file: string }[]): Promise<void> {
  mkdirSync(chartsDir, { recursive: true });
  for (const name of readdirSync(chartsDir)) if (name.endsWith('.tgz')) rmSync(path.join(chartsDir, name));
  for (const r of remote) copyFileSync(r.archive, path.join(chartsDir, r.file));
  const timeoutMs = helmTimeoutMs('render');
  for (const dir of local) {
    const result = await runTool(helm.bin, packageArgs(dir, chartsDir), { timeoutMs });
    if (result.timedOut) throw helmTimedOut(`helm package of ${dir} for ${chart.dir}`, timeoutMs);
    if (result.exitCode !== 0) {
      throw new HomelabError(`${chart.dir}: packaging its file:// dependency ${dir} failed: ${errorSummary(result.stderr)}`, `fix ${dir}`);
    }
  }
}

/** Fills the chart cache with every locked remote dependency (charts pull); charts without a lock are built once. */
export async function pullRemoteDependencies(root: string, helm: Helm, chart: Chart): Promise<string[]> {
  const deps = remoteDependencies(root, chart);
  if (deps.some((d) => d.locked === undefined)) {
    await buildRemoteDependencies(root, helm, chart);
    return remoteDependencies(root, chart).map((d) => `${d.name} ${d.locked ?? d.wanted} from ${d.repository}`);
  }
  const pulled: string[] = [];
  for (const d of deps) {
    const c = await fetchChart(helm, { repoURL: d.repository, chart: d.name, revision: d.locked! });
    pulled.push(`${d.name} ${c.version} from ${d.repository} (${c.digest})`);
  }
  return pulled;
}

function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
