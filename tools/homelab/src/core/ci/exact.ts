/**
 * The second stage of `affected`: the file-level answer is a superset; rendering makes it exact. Every release of a
 * candidate chart is rendered at base and head (render-diff.ts, keyless and masked; readers of a changed secrets file
 * also with the real values when the age key is here) and a chart project stays only when one of its releases changed
 * output, appeared, disappeared or failed to render on a side, or when renders cannot tell: keyless, a changed secret
 * key its templates read by name, or through `tpl` with placeholder renders that do not differ (a condition on it
 * shows in no placeholder), or something it deploys could not be resolved on a side (a broken or doubly defined
 * Application: what ArgoCD would deploy is unknown). Per release: a value change to one release of a chart leaves the
 * chart's other releases out of `releases`.
 */
import { unrefutedByRenders, type AffectedResult, type ReleaseRef } from './affected.ts';
import { renderDiff, type ReleaseDiff, type RenderDiffReport } from './render-diff.ts';

export interface ExactAffected {
  /** Releases whose render differs (changed, added, removed, failed on a side), with what changed. */
  releases: ReleaseDiff[];
  /** Candidate releases that render the same at base and head. */
  unchanged: ReleaseRef[];
  /** Candidate projects left out: every release they have renders the same. */
  dropped: { project: string; why: string }[];
  /** Projects kept whatever their renders show, with the file-level reasons renders cannot check. */
  unrendered: { project: string; why: string[] }[];
  /** The whole report, for `render-diff`'s markdown. */
  report: RenderDiffReport;
}

/** Narrows `affected` (in place: projects, reasons, skipped) to what rendering shows changed; returns the details. */
export async function refineByRendering(root: string, affected: AffectedResult): Promise<ExactAffected> {
  const report = await renderDiff(root, affected);
  // The renders used the real values only when every changed secrets file could be decrypted.
  const decrypted = affected.secretChanges.every(({ change }) => change.decrypted);
  const changed = report.releases.filter((r) => r.status !== 'unchanged');
  const unchanged = report.releases.filter((r) => r.status === 'unchanged').map(({ cluster, name, chart }) => ({ cluster, name, chart }));
  const byProject = new Map<string, ReleaseDiff[]>();
  for (const release of changed) byProject.set(release.chart, [...(byProject.get(release.chart) ?? []), release]);
  const rendered = new Set(report.releases.map((r) => r.chart));
  const dropped: ExactAffected['dropped'] = [];
  const unrendered: ExactAffected['unrendered'] = [];
  const reasons: Record<string, string[]> = {};
  for (const project of affected.projects) {
    const diffs = byProject.get(project);
    const unseen = affected.reasons[project].flatMap((why) => unrefutedByRenders(why, decrypted, diffs !== undefined) ?? []);
    if (unseen.length > 0) unrendered.push({ project, why: unseen });
    // A project with no release here (the library chart, the workspace checks) cannot be refined by rendering.
    if (!rendered.has(project)) reasons[project] = affected.reasons[project];
    else if (diffs || unseen.length > 0) reasons[project] = [...unseen, ...(diffs ?? []).map(describeChange)];
    else dropped.push({ project, why: `every release renders the same at base and head (file-level: ${affected.reasons[project].join('; ')})` });
  }
  // A release moved to a chart the file-level stage did not name (its new chart exists at head).
  for (const [project, diffs] of byProject) {
    if (!reasons[project] && !affected.removedCharts.includes(project)) reasons[project] = diffs.map(describeChange);
  }
  affected.projects = Object.keys(reasons).sort();
  affected.reasons = Object.fromEntries(affected.projects.map((p) => [p, reasons[p]]));
  affected.skipped = [...affected.skipped, ...dropped];
  return { releases: changed, unchanged, dropped, unrendered, report };
}

/** One line per release: how its render changed. */
export function describeChange(release: ReleaseDiff): string {
  const id = `${release.cluster}/${release.name}`;
  if (release.status === 'failed') {
    const sides = Object.entries(release.errors).map(([side, line]) => `at ${side}: ${line}`);
    return `render: ${id} failed to render ${sides.join('; ')}`;
  }
  if (release.status === 'added' || release.status === 'removed') return `render: release ${id} was ${release.status}`;
  const count = (change: string) => release.resources.filter((r) => r.change === change).length;
  const parts = ['changed', 'added', 'removed'].filter((c) => count(c) > 0).map((c) => `${count(c)} ${c}`);
  return `render: ${id} output changed (resources: ${parts.join(', ')})`;
}
