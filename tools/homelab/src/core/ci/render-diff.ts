/**
 * PR render diff: what a change does to the manifests ArgoCD would apply, without a cluster. The affected
 * releases are rendered at base (a temporary worktree) and at head (the checkout), both keyless and masked
 * with one shared key (a Secret's marker stays the same when its value does), then compared per resource.
 */
import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import type { AffectedResult, ReleaseRef } from './affected.ts';
import { errorLine } from '../model/errors.ts';
import { EMPTY_TREE, withWorktree } from '../workspace/git.ts';
import { resolveHelm } from '../helm/helm.ts';
import { readLayoutFromNxJson } from '../workspace/layout.ts';
import { unifiedDiff } from '../exec/line-diff.ts';
import { buildDependencies } from '../helm/render.ts';
import { renderAnyRelease } from '../render/index.ts';
import { renderedCharts } from '../model/lookup.ts';
import { openSecrets } from '../secrets/secret-source.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { resolveWorkspace } from '../resolve/workspace.ts';

export interface ResourceChange {
  change: 'added' | 'removed' | 'changed';
  kind: string;
  namespace: string;
  name: string;
  /** Unified diff of the resource's YAML (masked). */
  diff: string;
}

export interface ReleaseDiff extends ReleaseRef {
  status: 'added' | 'removed' | 'changed' | 'unchanged' | 'failed';
  resources: ResourceChange[];
  /** One masked line per side whose render failed. */
  errors: { base?: string; head?: string };
}

export interface RenderDiffReport {
  base: string;
  head: string;
  releases: ReleaseDiff[];
}

interface SideRender {
  ref: ReleaseRef;
  manifest?: string;
  error?: string;
}

export async function renderDiff(root: string, affected: Pick<AffectedResult, 'range' | 'releases'>): Promise<RenderDiffReport> {
  const maskKey = randomBytes(32);
  const { range, releases } = affected;
  const head = await renderSide(root, releases.head, maskKey);
  const base =
    range.base === EMPTY_TREE || releases.base.length === 0
      ? new Map<string, SideRender>()
      : await withWorktree(root, range.base, (dir) => renderSide(dir, releases.base, maskKey));
  const ids = [...new Set([...base.keys(), ...head.keys()])].sort();
  return { base: range.base, head: range.head, releases: ids.map((id) => compareRelease(base.get(id), head.get(id))) };
}

const idOf = (ref: ReleaseRef) => `${ref.cluster}/${ref.name}`;

/** Renders the wanted releases of the workspace at `dir`, keyless; failures become one masked line each. */
async function renderSide(dir: string, refs: ReleaseRef[], maskKey: Buffer): Promise<Map<string, SideRender>> {
  const out = new Map<string, SideRender>();
  if (refs.length === 0) return out;
  const wanted = new Set(refs.map(idOf));
  const { layout } = await readLayoutFromNxJson(dir);
  const resolution = await resolveWorkspace(layout);
  const releases = resolution.releases.filter((r) => wanted.has(idOf(r)));
  const helm = await resolveHelm();
  const { secrets } = await openSecrets(dir, { keyless: true });
  const depsFailed = new Map<string, string>();
  // Each chart's dependencies land in its own charts/ directory: builds of different charts run side by side, like the renders.
  await Promise.all(
    [...new Set(releases.flatMap((r) => renderedCharts(r, resolution.charts)))].map((chart) =>
      buildDependencies(dir, helm, chart).catch((err) => depsFailed.set(chart.dir, errorLine(err))),
    ),
  );
  await Promise.all(
    releases.map(async (release) => {
      const ref = { cluster: release.cluster, name: release.name, chart: release.chart };
      const failed = renderedCharts(release, resolution.charts)
        .map((chart) => depsFailed.get(chart.dir))
        .find((line) => line !== undefined);
      if (failed) return void out.set(idOf(ref), { ref, error: failed });
      try {
        const rendered = await renderAnyRelease({ root: dir, helm, secrets, maskKey }, release);
        out.set(idOf(ref), { ref, manifest: rendered.masker.mask(rendered.manifest) });
      } catch (err) {
        out.set(idOf(ref), { ref, error: errorLine(err) });
      }
    }),
  );
  return out;
}

interface Resource {
  kind: string;
  namespace: string;
  name: string;
  text: string;
}

/** The documents of a helm render, keyed by kind/namespace/name; helm's `# Source:` comments dropped. */
export function splitResources(manifest: string): Map<string, Resource> {
  const resources = new Map<string, Resource>();
  for (const chunk of manifest.split(/^---[ \t]*$/m)) {
    const text = chunk.replace(/^# Source: .*\n?/gm, '').replace(/^\s*\n/, '');
    if (text.trim() === '') continue;
    const doc = parseDocument(text, { version: '1.1' });
    const value: unknown = doc.errors.length === 0 ? doc.toJS() : undefined;
    const metadata = isRecord(value) && isRecord(value.metadata) ? value.metadata : {};
    const kind = isRecord(value) && typeof value.kind === 'string' ? value.kind : '(unparsed)';
    const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
    const name = typeof metadata.name === 'string' ? metadata.name : '';
    let key = `${kind}/${namespace}/${name}`;
    for (let n = 2; resources.has(key); n += 1) key = `${kind}/${namespace}/${name}#${n}`;
    resources.set(key, { kind, namespace, name, text: text.endsWith('\n') ? text : `${text}\n` });
  }
  return resources;
}

function compareRelease(base: SideRender | undefined, head: SideRender | undefined): ReleaseDiff {
  const ref = (head ?? base)!.ref;
  const errors = { ...(base?.error ? { base: base.error } : {}), ...(head?.error ? { head: head.error } : {}) };
  if (errors.base || errors.head) return { ...ref, status: 'failed', resources: [], errors };
  const before = splitResources(base?.manifest ?? '');
  const after = splitResources(head?.manifest ?? '');
  const resources: ResourceChange[] = [];
  const label = (side: 'a' | 'b', r: Resource) => `${side}/${ref.cluster}/${ref.name}/${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
  for (const key of [...new Set([...before.keys(), ...after.keys()])].sort()) {
    const [a, b] = [before.get(key), after.get(key)];
    const r = (b ?? a)!;
    const diff = unifiedDiff(a?.text ?? '', b?.text ?? '', { from: a ? label('a', r) : '/dev/null', to: b ? label('b', r) : '/dev/null' });
    if (diff === '') continue;
    resources.push({ change: !a ? 'added' : !b ? 'removed' : 'changed', kind: r.kind, namespace: r.namespace, name: r.name, diff });
  }
  const status = !base ? 'added' : !head ? 'removed' : resources.length > 0 ? 'changed' : 'unchanged';
  return { ...ref, status, resources, errors };
}

export interface MarkdownOptions {
  /** Diff lines shown in total before the rest is cut (GitHub job summaries stop at 1 MiB). */
  maxDiffLines?: number;
}

/** The report as GitHub-flavoured markdown: a summary line, a table per release, diffs folded. */
export function renderDiffMarkdown(report: RenderDiffReport, options: MarkdownOptions = {}): string {
  let budget = options.maxDiffLines ?? 4000;
  const count = (status: ReleaseDiff['status']) => report.releases.filter((r) => r.status === status).length;
  const lines = [
    `## Render diff ${report.base.slice(0, 7)}..${report.head.slice(0, 7)}`,
    '',
    report.releases.length === 0
      ? 'No release is affected.'
      : `${report.releases.length} affected release(s): ${count('changed')} changed, ${count('added')} added, ${count('removed')} removed, ${count('unchanged')} unchanged, ${count('failed')} failed to render.`,
    '',
    'Rendered keyless: secret values are placeholders (a change of a secret value alone shows no diff) and Secret data is masked.',
  ];
  // What needs a reviewer's eye first: failures and changes, then whole releases coming and going.
  const order: ReleaseDiff['status'][] = ['failed', 'changed', 'added', 'removed', 'unchanged'];
  const releases = [...report.releases].sort((a, b) => order.indexOf(a.status) - order.indexOf(b.status));
  for (const release of releases) {
    lines.push('', `### ${release.cluster}/${release.name} (chart ${release.chart}): ${release.status}`);
    if (release.status === 'failed') {
      if (release.errors.base) lines.push('', `- base: \`${release.errors.base}\``);
      if (release.errors.head) lines.push('', `- head: \`${release.errors.head}\``);
      continue;
    }
    if (release.resources.length === 0) continue;
    lines.push('', '| change | kind | namespace | name |', '| --- | --- | --- | --- |');
    for (const r of release.resources) lines.push(`| ${r.change} | ${r.kind} | ${r.namespace || '-'} | ${r.name} |`);
    for (const r of release.resources) {
      const diffLines = r.diff.trimEnd().split('\n');
      lines.push('', `<details><summary>${r.change} ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}</summary>`, '');
      if (budget <= 0) {
        lines.push('(diff left out: the report reached its size limit; see the render-diff artifact)');
      } else {
        const shown = diffLines.slice(0, budget);
        budget -= shown.length;
        // A fence longer than any backtick run inside, so a manifest cannot close it.
        const fence = '`'.repeat(Math.max(3, ...shown.map((l) => Math.max(0, ...[...l.matchAll(/`+/g)].map((m) => m[0].length)) + 1)));
        lines.push(`${fence}diff`, ...shown, fence);
        if (shown.length < diffLines.length) lines.push(`(${diffLines.length - shown.length} more lines left out)`);
      }
      lines.push('', '</details>');
    }
  }
  return `${lines.join('\n')}\n`;
}
