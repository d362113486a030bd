/**
 * The chart cache: upstream chart archives stored once by content (`archives/<sha256>.tgz`) under the user's cache
 * directory (`$XDG_CACHE_HOME/homelab/charts`, else `~/.cache/homelab/charts`), with one small record per
 * repository + chart + `targetRevision` naming the exact version and digest it resolved to. A render finds its chart
 * here without touching the network; only a miss fetches (chart-fetch.ts). A range is resolved once and remembered
 * until `charts pull` resolves it again, so renders of the same commit stay reproducible and offline.
 * Archives are extracted once per digest, as ArgoCD's repo-server extracts a pulled chart before `helm template`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';
import { runTool } from '../exec/process.ts';
import { HomelabError } from '../model/errors.ts';
import { recordName } from './chart-record.ts';
import { writeFileAtomically } from '../workspace/atomic-write.ts';

/**
 * The command that fills the cache, named in every miss: the package's bin, which every repository using the toolkit
 * has (this one's `hack/charts pull` is the same command).
 */
export const PULL_COMMAND = 'npx homelab charts pull';

/** `$XDG_CACHE_HOME/homelab` (else `~/.cache/homelab`): what this toolkit keeps per user, across checkouts. */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'homelab');
}

/** Where an upstream chart comes from, as the Application names it. */
export interface ChartCoordinates {
  repoURL: string;
  chart: string;
  /** The Application's targetRevision: an exact version or a range. */
  revision: string;
}

/** A chart in the cache: the exact version the revision resolved to and the archive's sha256. */
export interface CachedChart extends ChartCoordinates {
  version: string;
  /** `sha256:<hex>` of the archive, as Helm indexes and OCI registries name it. */
  digest: string;
  /** Absolute path of the archive. */
  archive: string;
}

interface Record_ {
  repoURL: string;
  chart: string;
  revision: string;
  version: string;
  digest: string;
}

export function chartCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(userCacheDir(env), 'charts');
}

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

function recordFile(dir: string, c: ChartCoordinates): string {
  return path.join(dir, 'refs', recordName(c));
}

function archiveFile(dir: string, digest: string): string {
  return path.join(dir, 'archives', `${digest.replace(/^sha256:/, '')}.tgz`);
}

/** The cached chart a revision resolved to, or undefined (never cached, or its archive is gone). */
export function lookupChart(c: ChartCoordinates, env: NodeJS.ProcessEnv = process.env): CachedChart | undefined {
  const dir = chartCacheDir(env);
  let stored: Record_;
  try {
    stored = JSON.parse(readFileSync(recordFile(dir, c), 'utf8')) as Record_;
  } catch {
    return undefined;
  }
  const archive = archiveFile(dir, stored.digest);
  if (!existsSync(archive)) return undefined;
  return { ...c, version: stored.version, digest: stored.digest, archive };
}

/**
 * Stores an archive fetched for `c` (verified against `expectedDigest` when the source published one) and records
 * the revision, and the exact version too, so a later pin of the same version is found offline.
 */
export function storeChart(c: ChartCoordinates, version: string, archive: Buffer, expectedDigest?: string, env: NodeJS.ProcessEnv = process.env): CachedChart {
  const digest = `sha256:${sha256(archive)}`;
  if (expectedDigest && expectedDigest.replace(/^sha256:/, '') !== digest.slice('sha256:'.length)) {
    throw new HomelabError(
      `chart ${c.chart} ${version} from ${c.repoURL}: the archive's digest ${digest} is not the ${expectedDigest} the repository published`,
      `the download was corrupted or the repository changed the archive: run ${PULL_COMMAND} again, and check the repository`,
    );
  }
  const dir = chartCacheDir(env);
  const file = archiveFile(dir, digest);
  writeFileAtomically(file, archive);
  const record: Record_ = { repoURL: c.repoURL.replace(/\/+$/, ''), chart: c.chart, revision: c.revision, version, digest };
  for (const revision of new Set([c.revision, version])) {
    writeFileAtomically(recordFile(dir, { ...c, revision }), Buffer.from(`${JSON.stringify({ ...record, revision })}\n`));
  }
  return { ...c, version, digest, archive: file };
}

/**
 * The chart's directory, extracted once per digest under `extracted/<sha256>/`: what helm template runs in.
 * Parallel renders race here; each extracts into its own directory and the first rename wins.
 */
export async function extractedChart(cached: CachedChart, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const dir = chartCacheDir(env);
  const target = path.join(dir, 'extracted', cached.digest.replace(/^sha256:/, ''));
  const chartDir = (root: string) => {
    const entries = readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory());
    if (entries.length !== 1) {
      throw new HomelabError(
        `chart archive ${cached.archive} (${cached.chart} ${cached.version}) does not hold exactly one chart directory`,
        'the repository published a malformed chart: report it upstream, or pin another version',
      );
    }
    return path.join(root, entries[0].name);
  };
  if (existsSync(target)) return chartDir(target);
  mkdirSync(path.dirname(target), { recursive: true });
  const temp = await mkdtemp(`${target}.`);
  const result = await runTool('tar', ['-xzf', cached.archive, '-C', temp, '--no-same-owner']);
  if (result.exitCode !== 0) {
    await rm(temp, { recursive: true, force: true });
    throw new HomelabError(
      `cannot extract ${cached.archive} (${cached.chart} ${cached.version}): ${result.stderr.trim().split('\n')[0]}`,
      `delete the file and run ${PULL_COMMAND} to fetch it again`,
    );
  }
  try {
    await rename(temp, target);
  } catch {
    await rm(temp, { recursive: true, force: true }); // another process extracted it first
  }
  return chartDir(target);
}
