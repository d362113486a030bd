import { appendFile } from 'node:fs/promises';
import * as helmRelease from '../cluster/helm-release.ts';
import { isReleaseNotFound, parseHistory } from '../cluster/helm-release.ts';
import { createGuard, isUnreachable, kubectlArgs, unreachable, type KubeTarget } from '../cluster/kube.ts';
import { captureInvocation, formatInvocation, invocation } from '../exec/invocation.ts';
import { failureLine } from '../exec/process.ts';
import type { WaitFlags } from '../helm/commands.ts';
import { chartArgument } from '../helm/render.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
import { requireCluster } from '../model/lookup.ts';
import { parsePullRequest, previewRelease } from '../model/preview.ts';
import type { Release } from '../model/types.ts';
import { isManifestSource } from '../render/index.ts';
import { copyFootprint } from '../render/shared-objects.ts';
import { selectReleases, type Workspace } from '../resolve/workspace.ts';
import { openSecrets } from '../secrets/index.ts';
import { declaredCrds } from '../workspace/crds.ts';
import { DRY_RUN_BANNER, openTargets, type ClusterRequest, type Write } from './cluster.ts';
import { applyChange, installFlags, prepareChange } from './install.ts';
import { renderReleases } from './template.ts';

export interface PreviewRequest extends Omit<ClusterRequest, 'target' | 'namespace'>, Partial<WaitFlags> {
  /** Charts or releases, as install takes them (`chart`, `release`, `cluster/release`). */
  targets: string[];
  /** The pull request number (Nx passes `--pr 42` as a number). */
  pr?: number | string;
  /** Uninstall the previews and delete their namespaces instead of installing them. */
  teardown?: boolean;
  /** Append a markdown report to this file (a pull request comment, a job summary). */
  summary?: string;
  /** Aborted (Ctrl-C): no further release is started. */
  abort?: AbortSignal;
}

/** One row of the report: a release, its preview, and what happened to it. */
export interface PreviewOutcome {
  release: Release;
  preview?: Release;
  result: string;
}

/**
 * A copy of each release in its own namespace `<release>-pr-<n>` of the release's cluster (the context guard of
 * clusters/<cluster>/cluster.yaml applies), installed with install's helm path, or with `teardown` uninstalled and
 * its namespace deleted. A release whose copy would share objects with the release itself (cluster-scoped ones, or
 * ones a template pins to a namespace) is not previewed: helm would take them over and the teardown delete them.
 */
export async function preview(ws: Workspace, request: PreviewRequest, write: Write): Promise<PreviewOutcome[]> {
  const pr = parsePullRequest(request.pr);
  if (request.targets.length === 0) throw new HomelabError('preview takes one or more charts or releases', 'e.g. preview monitoring --pr 42');
  const outcomes: PreviewOutcome[] = [];
  const candidates: Release[] = [];
  for (const release of selectAll(ws, request)) {
    if (isManifestSource(release)) {
      outcomes.push({
        release,
        result: `not previewed: a ${release.source?.kind === 'directory' ? 'directory' : 'Kustomize'} source has no Helm release to copy`,
      });
    } else candidates.push(release);
  }
  const previews = new Map(candidates.map((r) => [r, previewRelease(r, pr)]));
  const targetOf = await openTargets(ws, [...previews.values()], { ...request, target: request.targets.join(' ') }, write);
  try {
    if (request.teardown) {
      if (request.dryRun) write(DRY_RUN_BANNER);
      for (const [release, copy] of previews) {
        request.abort?.throwIfAborted();
        outcomes.push({ release, preview: copy, result: await teardown(ws, targetOf(copy), copy, request, write) });
      }
    } else {
      await install(ws, previews, targetOf, request, write, outcomes);
    }
  } finally {
    const { text, markdown } = report(pr, request, outcomes);
    write(text);
    if (request.summary) await appendFile(request.summary, markdown);
  }
  return outcomes;
}

function selectAll(ws: Workspace, request: PreviewRequest): Release[] {
  const seen = new Set<string>();
  return request.targets
    .flatMap((target) => selectReleases(ws, target, request.cluster))
    .filter((r) => {
      const key = `${r.cluster}/${r.name}/${r.namespace}`;
      return !seen.has(key) && seen.add(key);
    });
}

async function install(
  ws: Workspace,
  previews: Map<Release, Release>,
  targetOf: (release: Release) => KubeTarget,
  request: PreviewRequest,
  write: Write,
  /** Filled as releases are decided and installed: a failure half-way still reports what happened before it. */
  outcomes: PreviewOutcome[],
): Promise<void> {
  // Keyless renders of each release and its copy: placeholders keep every object, and no key is needed to compare.
  const releases = [...previews.keys()];
  const rendered = await renderReleases(ws, [...releases, ...previews.values()], { keyless: true });
  const crds = new Map<string, string[]>();
  const installable: [Release, Release][] = [];
  for (const [index, release] of releases.entries()) {
    const copy = previews.get(release)!;
    if (!crds.has(release.cluster))
      crds.set(release.cluster, await declaredCrds(ws.root, ws.resolution.charts, requireCluster(ws.resolution.clusters, release.cluster)));
    const footprint = copyFootprint(
      { manifest: rendered[index].manifest, namespace: release.namespace },
      { manifest: rendered[index + releases.length].manifest, namespace: copy.namespace },
      crds.get(release.cluster),
    );
    if (footprint.shared.length > 0) {
      const result = `not previewed: the copy would share ${footprint.shared.join(', ')} with the release itself`;
      write(`# ${release.cluster}/${release.name} ${result}\n`);
      outcomes.push({ release, result });
      continue;
    }
    for (const object of footprint.outside) write(`# ${copy.name} also creates ${object} outside its namespace (its helm uninstall removes it)\n`);
    installable.push([release, copy]);
  }
  // Nothing previewable is an answer, not a failure: the lines above say why (a pull request changing only the
  // system chart still gets its comment, and a green check).
  if (installable.length === 0) return;
  if (request.dryRun) write(DRY_RUN_BANNER);
  const flags = installFlags(request);
  const secrets = await openSecrets(ws.root, { keyless: Boolean(request.dryRun) });
  for (const [release, copy] of installable) {
    request.abort?.throwIfAborted();
    const target = targetOf(copy);
    write(`# preview ${release.cluster}/${release.name} as ${copy.name} (namespace ${copy.namespace}, chart ${copy.chartDir})\n`);
    const outcome: PreviewOutcome = { release, preview: copy, result: '' };
    outcomes.push(outcome);
    try {
      const change = await prepareChange(ws.root, copy, { chart: await chartArgument(ws.root, ws.helm, copy) }, secrets);
      await applyChange(ws, target, change, { ...flags, dryRun: request.dryRun }, write);
    } catch (err) {
      outcome.result = `failed: ${errorLine(err)}`;
      throw err;
    }
    outcome.result = request.dryRun ? 'dry run: nothing installed' : await deployedState(ws, target, copy);
  }
}

/** `deployed, revision 1 (monitoring-0.1.0)`: what helm recorded for the preview. */
async function deployedState(ws: Workspace, target: KubeTarget, copy: Release): Promise<string> {
  const result = await captureInvocation(helmRelease.history({ helm: ws.helm, root: ws.root, release: copy, target }));
  const current = result.exitCode === 0 ? parseHistory(result.stdout).at(-1) : undefined;
  return current ? `${current.status}, revision ${current.revision} (${current.chart})` : `unknown (helm history: ${failureLine(result.stderr)})`;
}

/** What helm left each preview in, for the line after an interrupted run: `home/demo-pr-7 deployed, revision 1 (demo-0.1.0)`. */
export async function previewStates(ws: Workspace, request: PreviewRequest): Promise<string> {
  const pr = parsePullRequest(request.pr);
  const guard = createGuard(ws.resolution.clusters, request);
  const states: string[] = [];
  for (const release of selectAll(ws, request).filter((r) => !isManifestSource(r))) {
    const copy = previewRelease(release, pr);
    states.push(`${copy.cluster}/${copy.name} ${await deployedState(ws, await guard(copy.cluster), copy)}`);
  }
  return states.join(', ');
}

/** helm uninstall of the copy (none is fine: the preview may never have been installed), then its namespace. */
async function teardown(ws: Workspace, target: KubeTarget, copy: Release, request: PreviewRequest, write: Write): Promise<string> {
  write(`# teardown ${copy.cluster}/${copy.name} (namespace ${copy.namespace})\n`);
  const { wait, timeout } = installFlags(request);
  const flags = { wait, timeout };
  const uninstall = helmRelease.uninstall({ helm: ws.helm, root: ws.root, release: copy, target }, flags);
  const deleteNamespace = invocation(
    'kubectl',
    target.kubectl,
    kubectlArgs(target, ['delete', 'namespace', copy.namespace, '--ignore-not-found', `--timeout=${flags.timeout}`]),
    ws.root,
    { env: target.env },
  );
  write(formatInvocation(uninstall));
  if (request.dryRun) {
    write(formatInvocation(deleteNamespace));
    return 'dry run: nothing removed';
  }
  const removed = await captureInvocation(uninstall);
  if (removed.exitCode !== 0) {
    if (isUnreachable(removed.stderr)) throw unreachable(target, removed.stderr);
    if (!isReleaseNotFound(removed.stderr)) {
      throw new HomelabError(
        `helm uninstall of preview ${copy.name} failed: ${failureLine(removed.stderr)}`,
        'run the printed helm command to see why, then tear down again',
      );
    }
    write(`# no helm release ${copy.name} in namespace ${copy.namespace}: nothing to uninstall\n`);
  }
  write(formatInvocation(deleteNamespace));
  const deleted = await captureInvocation(deleteNamespace);
  if (deleted.exitCode !== 0) {
    if (isUnreachable(deleted.stderr)) throw unreachable(target, deleted.stderr);
    throw new HomelabError(
      `deleting namespace ${copy.namespace} failed: ${failureLine(deleted.stderr)}`,
      'run the printed kubectl command to see why, then tear down again',
    );
  }
  return 'removed';
}

/** The lines that end the output, and the same as markdown for a pull request comment. */
function report(pr: number, request: PreviewRequest, outcomes: PreviewOutcome[]): { text: string; markdown: string } {
  const action = request.teardown ? 'teardown' : 'preview';
  const lines = outcomes.map(
    (o) => `${o.release.cluster}/${o.release.name}${o.preview ? ` → ${o.preview.name} (namespace ${o.preview.namespace})` : ''}: ${o.result}`,
  );
  const text = `# ${action} of pull request #${pr}:\n${lines.map((l) => `#   ${l}\n`).join('')}`;
  const rows = outcomes.map(
    (o) => `| \`${o.release.cluster}/${o.release.name}\` | ${o.preview ? `\`${o.preview.namespace}\`` : '–'} | ${o.result.replaceAll('|', '\\|')} |`,
  );
  const markdown = [`### Preview environments of #${pr}: ${action}`, '', '| release | namespace | result |', '|---|---|---|', ...rows, ''].join('\n');
  return { text, markdown: `${markdown}\n` };
}
