/**
 * PR render diff: what a change does to the manifests ArgoCD would apply, without a cluster. The affected
 * releases are rendered at base (a temporary worktree) and at head (the checkout), both keyless and masked
 * with one shared key (a Secret's marker stays the same when its value does), then compared per resource.
 * Keyless placeholders tell ciphertexts apart, so a changed secret value that a release prints changes its render.
 * When the changed secrets files were compared decrypted (the age key is here), a release reading one is also
 * rendered with the real values on both sides, and those renders decide whether it changed: they are compared as
 * HMACs under a key made for this run, in memory, and neither stored nor printed (a value used only in a condition,
 * or re-encryption alone, is judged right only this way).
 * A local chart release whose inputs are byte-identical on both sides is the same without rendering it; a render
 * whose inputs were rendered before comes from the render cache; the worktree is made only when a base render is left.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { parseDocument } from 'yaml';
import { resolutionsOf, type AffectedResult, type ReleaseRef } from './affected.ts';
import { errorLine } from '../model/errors.ts';
import { EMPTY_TREE, withWorktree } from '../workspace/git.ts';
import { resolveHelm, type Helm } from '../helm/helm.ts';
import { readLayoutFromNxJson } from '../workspace/layout.ts';
import { unifiedDiff } from '../exec/line-diff.ts';
import { dependencyBuilder } from '../helm/dependency-builds.ts';
import { renderAnyRelease } from '../render/index.ts';
import { renderedCharts } from '../model/lookup.ts';
import { openSecrets } from '../secrets/index.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { resolveWorkspace } from '../resolve/workspace.ts';
import type { Resolution } from '../resolve/releases.ts';
import { toolkitFingerprint } from '../workspace/toolkit-fingerprint.ts';
import type { Release } from '../model/types.ts';
import type { SecretSource } from '../helm/values.ts';
import { openRenderCache, type RenderCache } from './render-cache.ts';
import { commitTree, renderDigest, workingTree, type RenderIdentity, type SideTree } from './render-inputs.ts';

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
  /** What the renders cost: releases rendered per side, taken from the cache, or skipped as byte-identical inputs. */
  work: { rendered: { base: number; head: number }; cached: number; identical: number };
}

interface SideRender {
  ref: ReleaseRef;
  manifest?: string;
  error?: string;
  /** Rendered with the real secret values: each resource's HMAC under the run's key, or the HMAC of the error. */
  sealed?: Map<string, string> | { error: string };
}

/** One side's wanted releases as resolved there, each with the digest of its inputs where it has one. */
interface SidePlan {
  refs: ReleaseRef[];
  /** Undefined: the side is resolved where it is rendered (a base computeAffected could not resolve). */
  resolution?: Resolution;
  releases: { release: Release; digest?: string }[];
}

/** Runs `use` on a directory holding the side's files: the checkout itself, or a temporary worktree. */
type Checkout = (use: (dir: string) => Promise<void>) => Promise<void>;

interface RenderRun {
  helm: Helm;
  cache: RenderCache;
  work: RenderDiffReport['work'];
  /** Secrets files whose changed values were compared decrypted: their readers are also rendered with the key. */
  sealedFiles: Set<string>;
  /** This run's HMAC key for renders with the real values (never stored: their HMACs mean nothing after the run). */
  sealKey: Buffer;
}

export async function renderDiff(
  root: string,
  affected: Pick<AffectedResult, 'range' | 'releases'> & Partial<Pick<AffectedResult, 'secretChanges'>>,
): Promise<RenderDiffReport> {
  const { range, releases } = affected;
  const helm = await resolveHelm();
  const sealedFiles = new Set((affected.secretChanges ?? []).filter(({ change }) => change.decrypted).map(({ file }) => file));
  const run: RenderRun = {
    helm,
    cache: openRenderCache(),
    work: { rendered: { base: 0, head: 0 }, cached: 0, identical: 0 },
    sealedFiles,
    sealKey: randomBytes(32),
  };
  const identity: RenderIdentity = { helmVersion: helm.version, toolkit: toolkitFingerprint() };
  // computeAffected resolved both sides already; a base it could not resolve is resolved again in its worktree.
  const known = resolutionsOf(affected as AffectedResult);
  const noBase = range.base === EMPTY_TREE || releases.base.length === 0;
  const [head, base] = await Promise.all([
    plan(releases.head, known?.head ?? (await resolveAt(root)), workingTree(root), identity),
    noBase ? plan([], undefined, undefined, identity) : plan(releases.base, known?.base, await commitTree(root, range.base), identity),
  ]);
  // Byte-identical inputs render the same: neither side is rendered.
  const headDigests = new Map(head.releases.map(({ release, digest }) => [idOf(release), digest]));
  const identical = new Map(
    base.releases.filter(({ release, digest }) => digest && headDigests.get(idOf(release)) === digest).map(({ release }) => [idOf(release), refOf(release)]),
  );
  run.work.identical = identical.size;
  const left = (side: SidePlan): SidePlan => ({ ...side, releases: side.releases.filter(({ release }) => !identical.has(idOf(release))) });
  const headRenders = await renderSide(left(head), 'head', (use) => use(root), run);
  const baseRenders = await renderSide(left(base), 'base', (use) => withWorktree(root, range.base, use), run);
  const ids = [...new Set([...baseRenders.keys(), ...headRenders.keys(), ...identical.keys()])].sort();
  const compared = ids.map((id): ReleaseDiff => {
    const same = identical.get(id);
    return same ? { ...same, status: 'unchanged', resources: [], errors: {} } : compareRelease(baseRenders.get(id), headRenders.get(id));
  });
  return { base: range.base, head: range.head, releases: compared, work: run.work };
}

const idOf = (ref: ReleaseRef) => `${ref.cluster}/${ref.name}`;
const refOf = (release: Release): ReleaseRef => ({ cluster: release.cluster, name: release.name, chart: release.chart });

async function resolveAt(dir: string): Promise<Resolution> {
  return resolveWorkspace((await readLayoutFromNxJson(dir)).layout);
}

async function plan(refs: ReleaseRef[], resolution: Resolution | undefined, tree: SideTree | undefined, identity: RenderIdentity): Promise<SidePlan> {
  if (!resolution || !tree) return { refs, resolution, releases: [] };
  const wanted = new Set(refs.map(idOf));
  const releases = resolution.releases.filter((r) => wanted.has(idOf(r)));
  const digests = await Promise.all(releases.map((release) => renderDigest(release, resolution.charts, tree, identity)));
  return { refs, resolution, releases: releases.map((release, i) => ({ release, digest: digests[i] })) };
}

/**
 * Renders a side's releases keyless and masked: from the cache where their digest is stored, else with helm in the
 * side's checkout (made only then), storing what it rendered. Failures become one masked line each. Readers of a
 * secrets file in `run.sealedFiles` are rendered with the key as well (`sealed`), never from or into the cache.
 */
async function renderSide(side: SidePlan, name: 'base' | 'head', checkout: Checkout, run: RenderRun): Promise<Map<string, SideRender>> {
  const out = new Map<string, SideRender>();
  const left: SidePlan['releases'] = [];
  const sealing = (release: Release) => release.valueFiles.some((v) => v.secret && run.sealedFiles.has(v.path));
  for (const entry of side.releases) {
    const stored = entry.digest === undefined ? undefined : await run.cache.get(entry.digest);
    if (stored === undefined || sealing(entry.release)) left.push(entry);
    if (stored !== undefined) out.set(idOf(entry.release), { ref: refOf(entry.release), manifest: stored });
  }
  run.work.cached += out.size;
  const unresolved = !side.resolution && side.refs.length > 0;
  if (left.length === 0 && !unresolved) return out;
  await checkout(async (dir) => {
    let todo = left;
    let charts = side.resolution?.charts ?? [];
    if (!side.resolution) {
      const resolution = await resolveAt(dir);
      const wanted = new Set(side.refs.map(idOf));
      todo = resolution.releases.filter((r) => wanted.has(idOf(r))).map((release) => ({ release }));
      charts = resolution.charts;
    }
    const { secrets } = await openSecrets(dir, { keyless: true, distinct: true });
    const keyed = todo.some(({ release }) => sealing(release)) ? (await openSecrets(dir, { keyless: false })).secrets : undefined;
    // Charts built on the same library get one helm dependency build and copies of its archives.
    const build = dependencyBuilder(dir, run.helm);
    const depsFailed = new Map<string, string>();
    await Promise.all(
      [...new Set(todo.flatMap(({ release }) => renderedCharts(release, charts)))].map((chart) =>
        build(chart).catch((err) => depsFailed.set(chart.dir, errorLine(err))),
      ),
    );
    await eachLimited(todo, availableParallelism() * 2, async ({ release, digest }) => {
      const ref = refOf(release);
      const failed = renderedCharts(release, charts)
        .map((chart) => depsFailed.get(chart.dir))
        .find((line) => line !== undefined);
      if (failed) return void out.set(idOf(ref), { ref, error: failed });
      const sealed = keyed && sealing(release) ? await sealedRender(dir, release, keyed, run) : undefined;
      const stored = out.get(idOf(ref));
      if (stored) return void out.set(idOf(ref), { ...stored, sealed });
      try {
        const rendered = await renderAnyRelease({ root: dir, helm: run.helm, secrets, maskKey: run.cache.maskKey }, release);
        const manifest = rendered.masker.mask(rendered.manifest);
        out.set(idOf(ref), { ref, manifest, sealed });
        run.work.rendered[name] += 1;
        if (digest !== undefined) await run.cache.put(digest, manifest);
      } catch (err) {
        out.set(idOf(ref), { ref, error: errorLine(err), sealed });
      }
    });
  });
  return out;
}

/**
 * A render with the real secret values, reduced at once to an HMAC per resource (or of the error): what is compared
 * across sides without any decrypted value leaving memory.
 */
async function sealedRender(dir: string, release: Release, secrets: SecretSource, run: RenderRun): Promise<SideRender['sealed']> {
  const seal = (text: string) => createHmac('sha256', run.sealKey).update(text).digest('hex');
  try {
    const rendered = await renderAnyRelease({ root: dir, helm: run.helm, secrets, maskKey: run.sealKey }, release);
    return new Map([...splitResources(rendered.manifest)].map(([id, resource]) => [id, seal(resource.text)]));
  } catch (err) {
    return { error: seal(String((err as Error).message)) };
  }
}

/** At most `limit` calls of `fn` at a time (helm processes beyond the cores only queue for them). */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
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
  if (base?.sealed && head?.sealed) return { ...ref, ...bySealed(base.sealed, head.sealed, resources) };
  const status = !base ? 'added' : !head ? 'removed' : resources.length > 0 ? 'changed' : 'unchanged';
  return { ...ref, status, resources, errors };
}

/**
 * The verdict of the renders with the real values: the resources whose HMACs differ, each shown by its keyless diff
 * when it has one (a placeholder that changed only by re-encryption shows none), else by a line saying why not.
 */
function bySealed(
  base: NonNullable<SideRender['sealed']>,
  head: NonNullable<SideRender['sealed']>,
  keyless: ResourceChange[],
): Omit<ReleaseDiff, keyof ReleaseRef> {
  if (!(base instanceof Map) || !(head instanceof Map)) {
    if (!(base instanceof Map) && !(head instanceof Map) && base.error === head.error) return { status: 'unchanged', resources: [], errors: {} };
    const line = 'failed to render with the age key (the message is not shown: it may quote a secret value)';
    return { status: 'failed', resources: [], errors: { ...(base instanceof Map ? {} : { base: line }), ...(head instanceof Map ? {} : { head: line }) } };
  }
  const resources: ResourceChange[] = [];
  for (const key of [...new Set([...base.keys(), ...head.keys()])].sort()) {
    if (base.get(key) === head.get(key)) continue;
    const change = !base.has(key) ? 'added' : !head.has(key) ? 'removed' : 'changed';
    const [kind, namespace, name] = key.split('/');
    const shown = keyless.find((r) => `${r.kind}/${r.namespace}/${r.name}` === key.replace(/#\d+$/, ''));
    resources.push(shown ?? { change, kind, namespace, name, diff: '(only secret values differ: compared with the age key, not shown)\n' });
  }
  return { status: resources.length > 0 ? 'changed' : 'unchanged', resources, errors: {} };
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
    'Rendered keyless: secret values are placeholders (a changed value shows as a changed placeholder) and Secret data is masked.',
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
