import { HomelabError } from '../model/errors.ts';
import { captureInvocation, formatInvocation, formatTail, invocation, type Invocation } from '../exec/invocation.ts';
import { isUnreachable, kubectlArgs, unreachable, type KubeTarget } from '../cluster/kube.ts';
import { diffObjects, kubectlObjects, namespaceGroups } from '../cluster/live-diff.ts';
import type { Masker } from '../exec/mask.ts';
import { failureLine } from '../exec/process.ts';
import type { Release } from '../model/types.ts';
import type { ValueOverlay } from '../helm/commands.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { DRY_RUN_BANNER, openTargets, releaseHeading, type ClusterRequest, type Write } from './cluster.ts';
import { renderReleases } from './template.ts';

export interface DiffRequest extends ClusterRequest {
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
  /** The user's own values after the Application's (hack --set/-f): the diff is of that render, not ArgoCD's. */
  overlay?: ValueOverlay;
}

export interface DiffResult {
  /** Some release differs from the cluster. The shells exit 1 then (0: no drift; errors: 2). */
  drift: boolean;
  releases: { release: Release; drift: boolean }[];
}

/** The two reads of one namespace of a release: its live objects, and what applying the render would make of them. */
function kubectlDiffReads(root: string, target: KubeTarget, release: Release, namespace: string, manifest: Buffer): { live: Invocation; merged: Invocation } {
  const read = (args: string[]) =>
    invocation('kubectl', target.kubectl, kubectlArgs(target, [...args, '--namespace', namespace, '--output', 'json', '-f', '-']), root, {
      inputs: [manifest],
      inputLabels: [`the render of ${release.cluster}/${release.name}, its objects in namespace ${namespace} (helm template as ArgoCD runs it, real values)`],
      ...(target.env ? { env: target.env } : {}),
    });
  return {
    live: read(['get', '--ignore-not-found']),
    // kubectl diff --server-side's own dry run: the same field manager, conflicts with other managers shown rather than fatal.
    merged: read(['apply', '--server-side', '--dry-run=server', '--force-conflicts', '--field-manager=kubectl']),
  };
}

/**
 * The resolved render against the live cluster, as `kubectl diff --server-side` shows it but computed in memory
 * (core/cluster/live-diff.ts: kubectl writes nothing to disk), output masked. No drift, drift (the result), or an error
 * carrying exit code 2 (so 1 always means drift).
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
  const releases = selectReleases(ws, request.target, request.cluster, request.namespace);
  const targetOf = await openTargets(ws, releases, request, write);
  if (request.dryRun) write(DRY_RUN_BANNER);
  const rendered = await renderReleases(ws, releases, {
    keyless: Boolean(request.dryRun),
    skipDependencyBuild: request.skipDependencyBuild,
    overlay: request.overlay,
  });
  const results: DiffResult['releases'] = [];
  for (const { release, manifest, masker } of rendered) {
    const target = targetOf(release);
    write(releaseHeading('diff', release));
    const live: Record<string, unknown>[] = [];
    const merged: Record<string, unknown>[] = [];
    for (const group of namespaceGroups(manifest, release.namespace)) {
      const reads = kubectlDiffReads(ws.root, target, release, group.namespace, Buffer.from(group.manifest));
      write(formatInvocation(reads.live) + formatInvocation(reads.merged));
      if (request.dryRun) continue;
      const where = { target, id: `${release.cluster}/${release.name}`, namespace: group.namespace, masker, write };
      live.push(...(await runRead(reads.live, 'kubectl get', where)));
      merged.push(...(await runRead(reads.merged, 'the server-side dry run (kubectl apply --dry-run=server)', where)));
    }
    if (request.dryRun) continue;
    const diffs = diffObjects(live, merged, masker);
    for (const d of diffs) write(d.diff);
    const drift = diffs.length > 0;
    write(drift ? `drift: ${release.cluster}/${release.name} differs from git\n` : `in sync: ${release.cluster}/${release.name}\n`);
    results.push({ release, drift });
  }
  return { drift: results.some((r) => r.drift), releases: results };
}

/** The objects kubectl answers with; a failure is one masked line (kubectl's last lines printed above it). */
async function runRead(
  call: Invocation,
  what: string,
  where: { target: KubeTarget; id: string; namespace: string; masker: Masker; write: Write },
): Promise<Record<string, unknown>[]> {
  const result = await captureInvocation(call);
  if (result.exitCode === 0) return kubectlObjects(result.stdout, `${what} for ${where.id}`);
  if (isUnreachable(result.stderr)) throw unreachable(where.target, result.stderr);
  const tail = result.stderr
    .split('\n')
    .filter((l) => l.trim())
    .slice(-20);
  where.write(
    formatTail(
      'kubectl',
      tail.map((l) => where.masker.mask(l)),
    ),
  );
  const line = where.masker.mask(failureLine(result.stderr)).replace(/^error:\s*/i, '');
  // A kind the cluster does not serve yet: objects of it cannot be read or dry-run until its CRD exists.
  const unknownKind = /no matches for kind "([^"]+)" in version "([^"]+)"/.exec(result.stderr);
  const hint = unknownKind ? `install the CRD of ${unknownKind[1]} (${unknownKind[2]}) first, then diff again` : 'see the output above';
  throw new HomelabError(`${what} failed for ${where.id} in namespace ${where.namespace}: ${line}`, hint, 2);
}
