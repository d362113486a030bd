/**
 * Fetches an upstream chart the way ArgoCD's repo-server does, into the chart cache (chart-cache.ts):
 * - a Helm repository (`repoURL` + `chart`): its index.yaml, the revision resolved in it (semver.ts), the archive
 *   from the entry's URL, checked against the index's digest. Basic-auth credentials come only from the user's
 *   `helm repo add` entry for the same URL, and go only to that host.
 * - an OCI registry (`oci://…`, or a scheme-less registry host with `chart`): real `helm pull` in a private helm
 *   home (helm-home.ts), with the user's `helm registry login` credentials; helm resolves ranges from the tags.
 * A cached revision is never fetched again; with `HOMELAB_OFFLINE=1` (or when the repository cannot be reached) a
 * miss is one line naming the chart, version, repository and `npx homelab charts pull`.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { errorSummary } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { chartCacheDir, lookupChart, PULL_COMMAND, storeChart, type CachedChart, type ChartCoordinates } from './chart-cache.ts';
import { pullArgs } from './commands.ts';
import { helmTimeoutMs, type Helm } from './helm.ts';
import { fetchFailure, isOffline, OFFLINE_ENV } from './network.ts';
import { privateHelmHome, repositoryCredentials, userHelmConfig } from './helm-home.ts';
import { resolveRevision } from './semver.ts';

export interface FetchOptions {
  /** Resolve the revision again even when the cache has it (what `charts pull` does for ranges). */
  refresh?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Where helm finds the chart: an OCI reference, or a Helm repository URL and chart name. */
export type ChartLocation = { kind: 'oci'; reference: string; host: string } | { kind: 'repository'; url: string };

/** ArgoCD's rule: `oci://` is a registry, and so is a `repoURL` with no scheme (a bare registry host). */
export function chartLocation(c: Pick<ChartCoordinates, 'repoURL' | 'chart'>): ChartLocation {
  const repo = c.repoURL.replace(/\/+$/, '');
  const oci = repo.startsWith('oci://') ? repo.slice('oci://'.length) : /^[a-z][a-z0-9+.-]*:\/\//i.test(repo) ? undefined : repo;
  if (oci === undefined) return { kind: 'repository', url: repo };
  const reference = c.chart ? `oci://${oci}/${c.chart}` : `oci://${oci}`;
  return { kind: 'oci', reference, host: oci.split('/')[0] };
}

/** The chart's name as helm names its archive: the last segment of an OCI reference, else `chart`. */
export function chartName(c: Pick<ChartCoordinates, 'repoURL' | 'chart'>): string {
  const location = chartLocation(c);
  return location.kind === 'oci' ? path.posix.basename(location.reference) : c.chart;
}

/** The chart from the cache, fetching it first when it is not there (or when `refresh` asks to resolve again). */
export async function fetchChart(helm: Helm, c: ChartCoordinates, options: FetchOptions = {}): Promise<CachedChart> {
  const env = options.env ?? process.env;
  if (!options.refresh) {
    const cached = lookupChart(c, env);
    if (cached) return cached;
  }
  const what = `chart ${chartName(c)} ${c.revision || '(latest)'} from ${c.repoURL}`;
  if (isOffline(env)) {
    throw new HomelabError(
      `${what} is not in the chart cache (${chartCacheDir(env)}) and ${OFFLINE_ENV} is set`,
      `run ${PULL_COMMAND} where the repository is reachable, then render again`,
    );
  }
  const location = chartLocation(c);
  return location.kind === 'oci' ? pullOci(helm, c, location, what, env) : fetchFromRepository(c, location.url, what, env);
}

async function fetchFromRepository(c: ChartCoordinates, url: string, what: string, env: NodeJS.ProcessEnv): Promise<CachedChart> {
  const credentials = repositoryCredentials(url, env);
  const origin = new URL(`${url}/`).origin;
  const get = async (target: string, label: string): Promise<Buffer> => {
    const headers: Record<string, string> = {};
    // Like helm without pass_credentials_all: the repository's credentials never go to another host.
    if (credentials && new URL(target).origin === origin) {
      headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await fetch(target, { headers, signal: AbortSignal.timeout(helmTimeoutMs('render', env)) });
    } catch (err) {
      throw unreachable(what, `${label}: ${fetchFailure(err)}`, env);
    }
    if (response.status === 401 || response.status === 403) throw refused(what, url, `${response.status} ${response.statusText}`, credentials?.name, env);
    if (!response.ok) {
      throw new HomelabError(
        `${what}: ${label} answered ${response.status} ${response.statusText}`,
        'check the Application’s repoURL and chart against the repository',
      );
    }
    return Buffer.from(await response.arrayBuffer());
  };
  const indexText = (await get(`${url}/index.yaml`, `${url}/index.yaml`)).toString('utf8');
  let index: unknown;
  try {
    index = parse(indexText);
  } catch (err) {
    throw new HomelabError(`${what}: ${url}/index.yaml is not YAML (${errorLine(err)})`, 'check the Application’s repoURL: it must be a Helm repository');
  }
  const listed = isRecord(index) && isRecord(index.entries) ? index.entries[c.chart] : undefined;
  const entries = Array.isArray(listed) ? listed.filter(isRecord) : undefined;
  if (!entries) {
    throw new HomelabError(`${what}: the repository has no chart ${c.chart}`, 'check the Application’s chart name against the repository’s index.yaml');
  }
  const versions = entries.map((e) => String(e.version ?? ''));
  const version = resolveRevision(c.revision, versions);
  if (version === undefined) {
    throw new HomelabError(
      `${what}: no published version matches "${c.revision}" (newest: ${versions.slice(0, 5).join(', ')})`,
      'set targetRevision to a published version or a range that admits one',
    );
  }
  const entry = entries.find((e) => String(e.version) === version)!;
  const urls = Array.isArray(entry.urls) ? entry.urls.map(String) : [];
  if (urls.length === 0) throw new HomelabError(`${what}: the index entry of ${version} lists no URL`, 'report the broken index to the repository');
  const archiveURL = new URL(urls[0], `${url}/`).href;
  const archive = await get(archiveURL, archiveURL);
  return storeChart(c, version, archive, typeof entry.digest === 'string' ? entry.digest : undefined, env);
}

async function pullOci(
  helm: Helm,
  c: ChartCoordinates,
  location: Extract<ChartLocation, { kind: 'oci' }>,
  what: string,
  env: NodeJS.ProcessEnv,
): Promise<CachedChart> {
  const home = await privateHelmHome(env);
  const destination = await mkdtemp(path.join(tmpdir(), 'homelab-pull-'));
  try {
    const timeoutMs = helmTimeoutMs('render', env);
    const args = pullArgs({ reference: location.reference, version: c.revision, destination, plainHttp: isLoopback(location.host) });
    const result = await runTool(helm.bin, args, { env: home.env, timeoutMs });
    if (result.exitCode !== 0 || result.timedOut) {
      const summary = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : errorSummary(result.stderr);
      if (/\b(401|403)\b|unauthori[sz]ed|denied|basic credential not found/i.test(summary)) throw refused(what, location.host, summary, undefined, env);
      if (/not found|manifest unknown|no tag|could not locate|invalid_reference/i.test(summary)) {
        throw new HomelabError(`${what}: ${summary}`, 'check the Application’s repoURL, chart and targetRevision against the registry');
      }
      throw unreachable(what, summary, env);
    }
    const [file] = (await readdir(destination)).filter((name) => name.endsWith('.tgz'));
    const name = path.posix.basename(location.reference);
    if (!file?.startsWith(`${name}-`)) throw new HomelabError(`${what}: helm pull wrote no ${name}-<version>.tgz`, 'run the helm pull by hand to see why');
    return storeChart(c, file.slice(name.length + 1, -'.tgz'.length), await readFile(path.join(destination, file)), undefined, env);
  } finally {
    await Promise.all([home.dispose(), rm(destination, { recursive: true, force: true })]);
  }
}

/** Registries on loopback are spoken to over plain HTTP, as docker does for its local registries. */
function isLoopback(host: string): boolean {
  const name = host.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return name === 'localhost' || name === '::1' || /^127\./.test(name);
}

function unreachable(what: string, reason: string, env: NodeJS.ProcessEnv): HomelabError {
  return new HomelabError(
    `${what} is not in the chart cache (${chartCacheDir(env)}) and cannot be fetched: ${reason}`,
    `run ${PULL_COMMAND} where the repository is reachable, then render again`,
  );
}

function refused(what: string, where: string, reason: string, userName: string | undefined, env: NodeJS.ProcessEnv): HomelabError {
  const { repositoryConfig, registryConfig } = userHelmConfig(env);
  const oci = !/^https?:\/\//.test(where);
  const fix = oci
    ? `log in with helm registry login ${where} (credentials are read from ${registryConfig}, never from the repository)`
    : userName
      ? `the credentials of helm repository ${userName} in ${repositoryConfig} were refused: update them with helm repo add --force-update ${userName} ${where} --username <user> --password-stdin`
      : `add the repository with its credentials: helm repo add <name> ${where} --username <user> --password-stdin (read from ${repositoryConfig}, never from the repository)`;
  return new HomelabError(`${what}: the ${oci ? 'registry' : 'repository'} refused access (${reason})`, fix);
}
