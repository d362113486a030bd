import { errorLine, HomelabError } from '../model/errors.ts';
import { chartCacheDir } from '../helm/chart-cache.ts';
import { fetchChart } from '../helm/chart-fetch.ts';
import { pullRemoteDependencies, remoteDependencies } from '../helm/remote-dependencies.ts';
import { parseVersion } from '../helm/semver.ts';
import type { Workspace } from '../resolve/workspace.ts';

/**
 * `charts pull`: every upstream chart the repository uses (upstream Applications, charts Kustomize `helmCharts` pull
 * from a repository, remote dependencies of its charts) into the chart cache, so renders, CI runs and air-gapped machines need no repository afterwards. Ranges are
 * resolved again (the newest version they admit now); pinned versions already cached are not fetched twice. One line
 * per chart; a chart that cannot be pulled is one line too, the others are still pulled, and the command fails.
 */
export async function chartsPull(ws: Workspace, write: (text: string) => void): Promise<void> {
  const jobs: { label: string; run: () => Promise<string> }[] = [];
  const seen = new Set<string>();
  for (const release of ws.resolution.releases) {
    const source = release.source;
    const pulled =
      source?.kind === 'upstream'
        ? [{ repoURL: source.repoURL, chart: source.chart, revision: source.targetRevision }]
        : source?.kind === 'kustomize'
          ? source.pulls.map((pull) => ({ repoURL: pull.repoURL, chart: pull.chart, revision: pull.version }))
          : [];
    for (const coordinates of pulled) {
      const key = `${coordinates.repoURL}\0${coordinates.chart}\0${coordinates.revision}`;
      if (seen.has(key)) continue;
      seen.add(key);
      jobs.push({
        label: `${release.cluster}/${release.name}`,
        run: async () => {
          const cached = await fetchChart(ws.helm, coordinates, { refresh: parseVersion(coordinates.revision) === undefined });
          return `${cached.chart} ${cached.version} from ${cached.repoURL} (${cached.digest})`;
        },
      });
    }
  }
  for (const chart of ws.resolution.charts) {
    if (!chart.hasDependencies || remoteDependencies(ws.root, chart).length === 0) continue;
    jobs.push({ label: chart.dir, run: async () => (await pullRemoteDependencies(ws.root, ws.helm, chart)).join(', ') });
  }
  let failed = 0;
  for (const job of jobs) {
    try {
      write(`${job.label}: ${await job.run()}\n`);
    } catch (err) {
      failed++;
      write(`${job.label}: ✖ ${errorLine(err)}\n`);
    }
  }
  if (failed > 0) {
    throw new HomelabError(`${failed} of ${jobs.length} upstream charts could not be pulled into ${chartCacheDir()}`, 'see the lines above for each one');
  }
  write(jobs.length === 0 ? 'no upstream charts: nothing to pull\n' : `${jobs.length} upstream charts in ${chartCacheDir()}\n`);
}
