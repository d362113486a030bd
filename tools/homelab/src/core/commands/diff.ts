import { existsSync } from 'node:fs';
import { HomelabError } from '../errors.ts';
import { formatInvocation, formatTail, invocation, streamInvocation, type Invocation } from '../invocation.ts';
import { isUnreachable, kubectlArgs, unreachable, type KubeTarget } from '../kube.ts';
import { failureLine } from '../process.ts';
import type { Release } from '../types.ts';
import { selectReleases, type Workspace } from '../workspace.ts';
import { DRY_RUN_BANNER, openTargets, releaseHeading, type ClusterRequest, type Write } from './cluster.ts';
import { renderReleases } from './template.ts';

export interface DiffRequest extends ClusterRequest {
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
}

export interface DiffResult {
  /** Some release differs from the cluster. The shells exit 1 then (0: no drift; errors: 2). */
  drift: boolean;
  releases: { release: Release; drift: boolean }[];
}

/**
 * kubectl's diff writes the live and merged objects to a temp dir: on Linux put it in memory-backed
 * /dev/shm (kubectl masks Secret data itself; other rendered values may be derived from secrets).
 */
function diffEnv(target: KubeTarget): Record<string, string> | undefined {
  const env = { ...target.env, ...(existsSync('/dev/shm') ? { TMPDIR: '/dev/shm' } : {}) };
  return Object.keys(env).length ? env : undefined;
}

export function kubectlDiff(root: string, target: KubeTarget, release: Release, manifest: Buffer): Invocation {
  const args = kubectlArgs(target, ['diff', '--server-side', '--force-conflicts', '--namespace', release.namespace, '-f', '-']);
  return invocation('kubectl', target.kubectl, args, root, {
    inputs: [manifest],
    inputLabels: [`the render of ${release.cluster}/${release.name} (helm template as ArgoCD runs it, real values)`],
    env: diffEnv(target),
  });
}

/**
 * The resolved render against the live cluster: `kubectl diff --server-side -f -`, output masked. Like kubectl
 * diff: no drift, drift (the result), or an error carrying exit code 2 (so 1 always means drift).
 */
export async function diff(ws: Workspace, request: DiffRequest, write: Write): Promise<DiffResult> {
  try {
    return await diffReleases(ws, request, write);
  } catch (err) {
    if (err instanceof HomelabError && err.exitCode === 1) throw new HomelabError(err.message, err.hint, 2);
    throw err;
  }
}

async function diffReleases(ws: Workspace, request: DiffRequest, write: Write): Promise<DiffResult> {
  const releases = selectReleases(ws, request.target, request.cluster);
  const targetOf = await openTargets(ws, releases, request, write);
  if (request.dryRun) write(DRY_RUN_BANNER);
  const rendered = await renderReleases(ws, releases, { keyless: Boolean(request.dryRun), skipDependencyBuild: request.skipDependencyBuild });
  const results: DiffResult['releases'] = [];
  for (const { release, manifest, masker } of rendered) {
    const target = targetOf(release);
    write(releaseHeading('diff', release));
    const call = kubectlDiff(ws.root, target, release, Buffer.from(manifest));
    write(formatInvocation(call));
    if (request.dryRun) continue;
    const result = await streamInvocation(call, { masker, write });
    if (result.exitCode > 1 || (result.exitCode === 1 && result.stdout.trim() === '')) {
      if (isUnreachable(result.stderr)) throw unreachable(target, result.stderr);
      write(formatTail('kubectl', result.tail));
      throw new HomelabError(`kubectl diff failed for ${release.cluster}/${release.name}: ${masker.mask(failureLine(result.stderr))}`, 'see the output above', 2);
    }
    const drift = result.exitCode === 1;
    write(drift ? `drift: ${release.cluster}/${release.name} differs from git\n` : `in sync: ${release.cluster}/${release.name}\n`);
    results.push({ release, drift });
  }
  return { drift: results.some((r) => r.drift), releases: results };
}
