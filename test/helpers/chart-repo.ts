import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { extractBundledHelm } from '../../tools/homelab/src/core/helm/helm.ts';
import { runTool } from '../../tools/homelab/src/core/exec/process.ts';
import { storeChart, type CachedChart } from '../../tools/homelab/src/core/helm/chart-cache.ts';
import { HomelabError } from '../../tools/homelab/src/core/model/errors.ts';
import { expect } from 'vitest';

/** The secrets of a render that reads none: loading them is a test failure. */
export const noSecrets = {
  load: async () => {
    throw new Error('no secrets here');
  },
};

/** The one line a refused render or fetch ends with (it must be a HomelabError). */
export async function refusal(promise: Promise<unknown>): Promise<string> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(HomelabError);
  return (err as HomelabError).line();
}

export interface ServerOptions {
  /** Refuse every request without these Basic credentials (401 with a Basic challenge). */
  auth?: { username: string; password: string };
}

export interface ChartServer {
  url: string;
  /** Every request path served, in order (to prove a render stayed offline). */
  requests: string[];
  close(): Promise<void>;
}

/** Writes each chart's files under `work/<key>/` and packages it with real `helm package` into `out`. */
export async function packageCharts(charts: Record<string, Record<string, string>>, work: string, out: string): Promise<string[]> {
  const helm = await extractBundledHelm();
  const archives: string[] = [];
  await mkdir(out, { recursive: true });
  for (const [name, files] of Object.entries(charts)) {
    for (const [file, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(work, name, file)), { recursive: true });
      await writeFile(path.join(work, name, file), text);
    }
    const packaged = await runTool(helm, ['package', path.join(work, name), '--destination', out]);
    if (packaged.exitCode !== 0) throw new Error(packaged.stderr);
    archives.push(packaged.stdout.trim().split(': ').at(-1)!);
  }
  return archives;
}

/** Whether a request carries the Basic credentials (or none are required). */
export function authorized(req: http.IncomingMessage, auth: ServerOptions['auth']): boolean {
  if (!auth) return true;
  return req.headers.authorization === `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`;
}

/**
 * A Helm chart repository on localhost (index.yaml + packaged charts, made by real `helm package` and
 * `helm repo index`): stands in for a remote repository or a mirror, with no network. The keys of `charts` are
 * folder names, so one chart can be served in several versions (`podinfo-1.0.0`, `podinfo-1.1.0`).
 */
export async function startChartRepo(charts: Record<string, Record<string, string>>, options: ServerOptions = {}): Promise<ChartServer> {
  const helm = await extractBundledHelm();
  const work = await mkdtemp(path.join(tmpdir(), 'chart-repo-'));
  const out = path.join(work, 'repo');
  await packageCharts(charts, work, out);
  const requests: string[] = [];
  const server = http.createServer(async (req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://repo').pathname;
    requests.push(pathname);
    if (!authorized(req, options.auth)) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' });
      res.end();
      return;
    }
    try {
      const body = await readFile(path.join(out, path.basename(pathname)));
      res.writeHead(200);
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const indexed = await runTool(helm, ['repo', 'index', out, '--url', url]);
  if (indexed.exitCode !== 0) throw new Error(indexed.stderr);
  return {
    url,
    requests,
    // Stopped, it leaves nothing behind: the packaged charts go with the server.
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }).then(() => rm(work, { recursive: true, force: true })),
  };
}

/**
 * Serves `files` (one chart, packaged by real helm) from a loopback repository and stores what it serves in the chart
 * cache of `env` under `repoURL`, as `hack/charts pull` would have: tests of the example, whose Applications name the
 * real public repositories, render from the cache and never contact them.
 */
export async function prefillChartCache(
  coordinates: { repoURL: string; chart: string; revision: string },
  files: Record<string, string>,
  env: NodeJS.ProcessEnv = process.env,
): Promise<CachedChart> {
  const repo = await startChartRepo({ [coordinates.chart]: files });
  try {
    const version = /^version:\s*(\S+)/m.exec(files['Chart.yaml'])![1];
    const response = await fetch(`${repo.url}/${coordinates.chart}-${version}.tgz`);
    return storeChart(coordinates, version, Buffer.from(await response.arrayBuffer()), undefined, env);
  } finally {
    await repo.close();
  }
}
