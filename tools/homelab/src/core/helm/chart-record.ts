// Where the chart cache records what a repository + chart + targetRevision resolved to, and a shell command reading it:
// Nx hashes that record into an upstream release's targets on every run, which a Node start per chart made slow.
import { createHash } from 'node:crypto';
import type { ChartCoordinates } from './chart-cache.ts';

/** The record's file name under `<chart cache>/refs`. */
export function recordName(c: ChartCoordinates): string {
  const key = `${c.repoURL.replace(/\/+$/, '')}\0${c.chart}\0${c.revision}`;
  return `${createHash('sha256').update(key).digest('hex').slice(0, 32)}.json`;
}

/**
 * A POSIX sh command printing the record for `c` (its exact version and archive digest) while its archive is in the
 * cache, as lookupChart finds it, else `not cached`: shell built-ins only, no process of its own.
 */
export function cachedChartCommand(c: ChartCoordinates): string {
  const dir = '${XDG_CACHE_HOME:-$HOME/.cache}/homelab/charts';
  return (
    [
      `{ IFS= read -r c < "${dir}/refs/${recordName(c)}"; } 2>/dev/null`,
      `d=\${c#*'"digest":"sha256:'}`,
      `d=\${d%%'"'*}`,
      `[ -f "${dir}/archives/$d.tgz" ]`,
      `printf '%s\\n' "$c"`,
    ].join(' && ') + ' || echo not cached'
  );
}
