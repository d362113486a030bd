import { errorLine, HomelabError } from '../model/errors.ts';
import { resolveHelm } from '../helm/helm.ts';
import { readLayoutFromNxJson, type WorkspaceLayout } from '../workspace/layout.ts';
import { buildDependencies } from '../helm/render.ts';
import { renderAnyRelease } from '../render/index.ts';
import { createsReleases, renderedCharts } from '../model/lookup.ts';
import { RepoFiles } from '../workspace/repo-files.ts';
import { openSecrets } from '../secrets/index.ts';
import type { Release } from '../model/types.ts';
import { findingLine, Findings, whereDeclared, type CheckFinding } from '../check/findings.ts';
import { resolveForCheck, type CheckedResolution } from '../check/resolution.ts';
import { checkSecretFiles, checkSecretKeys } from '../check/secrets.ts';
import { checkTiers, tierSummary } from '../check/tiers.ts';
import { checkDeployed, checkNamespaces, checkPaths } from '../check/wiring.ts';

export type { CheckFinding, CheckRule } from '../check/findings.ts';

export interface CheckRequest {
  /** Default: the layout of nx.json's plugin options (charts/*, clusters/*). */
  layout?: WorkspaceLayout;
  /** Nx already ran the helm-deps targets. */
  skipDependencyBuild?: boolean;
}

export interface CheckReport {
  findings: CheckFinding[];
  /** One line per cluster: its tiers (sync waves and their Applications). */
  tiers: string[];
  /** Non-fatal notes (a broken nx.json, an empty destination namespace). */
  warnings: string[];
}

/**
 * Checks the wiring between charts/ and clusters/ and reports every finding (docs/quality.md lists the rules).
 * Offline and keyless: secrets files are read for their key names only, renders use placeholders.
 */
export async function checkWorkspace(root: string, request: CheckRequest = {}): Promise<CheckReport> {
  const warnings: string[] = [];
  let layout = request.layout;
  if (!layout) {
    const fromNx = await readLayoutFromNxJson(root);
    layout = fromNx.layout;
    if (fromNx.warning) warnings.push(fromNx.warning);
  }
  const state = await resolveForCheck(layout);
  warnings.push(...state.resolution.warnings);

  const files = new RepoFiles(layout.root);
  const findings = new Findings();
  for (const err of state.errors) findings.add('resolve', err.message, err.hint);
  await checkDeployed(state, files, findings);
  const missingFiles = await checkPaths(state, files, findings);
  checkNamespaces(state, findings);
  const deployed = state.resolution.releases.filter((r) => r.origin !== 'convention');
  const trees = await checkSecretFiles(deployed, files, findings);
  await checkSecretKeys(state.charts, deployed, trees, files, findings);
  // Releases already reported as unable to render (a missing file parameter, an unusable secrets file) are
  // not rendered for the tier order: that would only repeat their finding.
  // Upstream charts are not rendered here: check stays offline, and they may not be in the chart cache.
  // The root app creates the tiers rather than taking part in them.
  const tiered = deployed.filter((r) => !createsReleases(r, state.resolution.releases));
  const renderable = tiered.filter((r) => !fetchesChart(r) && !missingFiles.has(r) && r.valueFiles.every((v) => !v.secret || trees.has(v.path)));
  checkTiers(await renderAll(layout.root, state, renderable, request, findings), findings);
  return { findings: findings.list, tiers: tierSummary(tiered), warnings };
}

/**
 * A release whose render needs a chart from a repository (an upstream chart, or one its kustomization pulls): check
 * stays offline, so these take no part in the rendered tier order.
 */
function fetchesChart(release: Release): boolean {
  return release.source?.kind === 'upstream' || (release.source?.kind === 'kustomize' && release.source.pulls.length > 0);
}

/** Prints warnings, the tiers and every finding; throws when there is any finding (the shells exit non-zero). */
export async function check(root: string, request: CheckRequest, write: (text: string) => void): Promise<CheckReport> {
  const report = await checkWorkspace(root, request);
  for (const warning of report.warnings) write(`warning: ${warning}\n`);
  for (const line of report.tiers) write(`${line}\n`);
  for (const finding of report.findings) write(`${findingLine(finding)}\n`);
  if (report.findings.length > 0) {
    const n = report.findings.length;
    throw new HomelabError(
      `check found ${n} problem${n === 1 ? '' : 's'} in the wiring of charts and clusters`,
      'fix each line above; docs/quality.md explains every rule',
    );
  }
  write('check: charts and clusters are wired correctly\n');
  return report;
}

/** Keyless renders of every deployed release; a release that does not render is a finding, not a stop. */
async function renderAll(
  root: string,
  state: CheckedResolution,
  releases: Release[],
  request: CheckRequest,
  findings: Findings,
): Promise<{ release: Release; manifest: string }[]> {
  if (releases.length === 0) return [];
  const helm = await resolveHelm();
  const unbuilt = new Set<string>();
  if (!request.skipDependencyBuild) {
    for (const chart of new Set(releases.flatMap((r) => renderedCharts(r, state.charts)))) {
      try {
        await buildDependencies(root, helm, chart);
      } catch (err) {
        unbuilt.add(chart.dir);
        findings.add('render', messageOf(err), 'without its dependencies the chart does not render, and its sync-wave order stays unchecked');
      }
    }
  }
  const secrets = await openSecrets(root, { keyless: true });
  const built = releases.filter((r) => !renderedCharts(r, state.charts).some((chart) => unbuilt.has(chart.dir)));
  const results = await Promise.allSettled(built.map((release) => renderAnyRelease({ root, helm, ...secrets }, release)));
  const rendered: { release: Release; manifest: string }[] = [];
  results.forEach((result, i) => {
    const release = built[i];
    if (result.status === 'fulfilled') rendered.push({ release, manifest: result.value.manifest });
    else
      findings.add(
        'render',
        `${whereDeclared(release)}: ${messageOf(result.reason)}`,
        `its sync-wave order stays unchecked; run the lint target of ${release.chart} for details`,
      );
  });
  return rendered;
}

/** The message alone: the finding brings its own hint. */
function messageOf(err: unknown): string {
  return err instanceof HomelabError ? err.message : errorLine(err);
}
