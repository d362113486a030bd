import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HomelabError } from '../model/errors.ts';
import { helmTimedOut, helmTimeoutMs, type Helm } from './helm.ts';
import { errorSummary } from '../exec/invocation.ts';
import { createMasker, type Masker } from '../exec/mask.ts';
import { runTool } from '../exec/process.ts';
import { readChart } from '../workspace/charts.ts';
import { dependencyStamp } from './dependency-stamp.ts';
import type { Chart, Release } from '../model/types.ts';
import { parseYamlDocuments } from '../workspace/yaml-docs.ts';
import { buildHelmValues, type SecretSource } from './values.ts';
import { dependencyBuildArgs, templateArgs, type ValueOverlay } from './commands.ts';
import { extractedChart } from './chart-cache.ts';
import { fetchChart } from './chart-fetch.ts';
import { buildRemoteDependencies, remoteDependencies } from './remote-dependencies.ts';

export interface RenderContext {
  root: string;
  helm: Helm;
  secrets: SecretSource;
  /** Key for the masker's stable markers (derived from the age identity in memory). */
  maskKey: Buffer;
  /** Only these templates of a chart (helm --show-only). */
  showOnly?: readonly string[];
  /** The user's own values after the Application's (hack --set/-f). */
  overlay?: ValueOverlay;
}

export interface Rendered {
  release: Release;
  /** helm's exact output: may hold secrets, never print it — print `masker.mask(manifest)`. */
  manifest: string;
  masker: Masker;
}

export async function renderRelease(ctx: RenderContext, release: Release): Promise<Rendered> {
  const chartRoot = await chartDirectory(ctx.root, ctx.helm, release);
  const values = await buildHelmValues(ctx.root, release, ctx.secrets, undefined, chartRoot);
  const masker = createMasker({ secrets: values.secrets, key: ctx.maskKey });
  const timeoutMs = helmTimeoutMs('render');
  const result = await runTool(ctx.helm.bin, templateArgs({ release, values, showOnly: ctx.showOnly, overlay: ctx.overlay }), {
    cwd: chartRoot,
    inputs: values.inputs,
    timeoutMs,
  });
  if (result.timedOut) throw helmTimedOut(`helm template of ${release.cluster}/${release.name} (${chartLabel(release)})`, timeoutMs);
  if (result.exitCode !== 0) {
    throw new HomelabError(
      `helm template failed for ${release.cluster}/${release.name} (${chartLabel(release)}): ${masker.mask(errorSummary(result.stderr))}`,
      'fix the chart or its values, then run `hack/template` again to see the full render',
    );
  }
  return { release, manifest: result.stdout, masker };
}

/** How errors name a release's chart: its folder, or the upstream chart and revision. */
export function chartLabel(release: Release): string {
  const source = release.source;
  return source?.kind === 'upstream' ? `${source.chart} ${source.targetRevision} from ${source.repoURL}` : release.chartDir;
}

/**
 * Where helm template runs for a release, as ArgoCD's repo-server does: the chart's folder in this repository, or
 * for an upstream chart its extracted archive from the chart cache (fetched on a miss).
 */
export async function chartDirectory(root: string, helm: Helm, release: Release): Promise<string> {
  const source = release.source;
  if (source?.kind !== 'upstream') return path.resolve(root, release.chartDir);
  return extractedChart(await fetchChart(helm, { repoURL: source.repoURL, chart: source.chart, revision: source.targetRevision }));
}

/**
 * The chart argument of helm commands run from the repository root (lint, upgrade --install): a local chart's folder
 * as written (relative), an upstream chart's extracted folder in the chart cache.
 */
export async function chartArgument(root: string, helm: Helm, release: Release): Promise<string> {
  return release.source?.kind === 'upstream' ? chartDirectory(root, helm, release) : release.chartDir;
}

/**
 * `helm dependency build --skip-refresh`: packages `file://` dependencies into the chart's charts/ folder,
 * offline. Charts with dependencies do not render without it. Skipped while the archives there are still what
 * the last build made from the same inputs (dependency-stamp.ts). Charts with remote dependencies are built from
 * the chart cache (remote-dependencies.ts).
 */
export async function buildDependencies(root: string, helm: Helm, chart: Chart): Promise<void> {
  if (!chart.hasDependencies) return;
  if (remoteDependencies(root, chart).length > 0) return buildRemoteDependencies(root, helm, chart);
  const stamp = dependencyStamp(root, helm, chart);
  if (stamp?.fresh()) return;
  const timeoutMs = helmTimeoutMs('render');
  const result = await runTool(helm.bin, dependencyBuildArgs(), { cwd: path.resolve(root, chart.dir), timeoutMs });
  if (result.timedOut) throw helmTimedOut(`helm dependency build of ${chart.dir}`, timeoutMs);
  if (result.exitCode !== 0) {
    const summary = errorSummary(result.stderr);
    const unloadable = /cannot load ([^\s:]+):/.exec(summary)?.[1];
    if (unloadable) {
      throw (
        yamlError(root, chart, unloadable) ??
        new HomelabError(`helm dependency build failed for ${chart.dir}: ${summary}`, `fix ${unloadable} of ${chart.dir} or of its file:// dependencies`)
      );
    }
    throw new HomelabError(
      `helm dependency build failed for ${chart.dir}: ${summary}`,
      'check the dependencies in Chart.yaml (file:// paths must point at charts in this repo)',
    );
  }
  stamp?.record();
}

/**
 * helm packages whole charts, so a file it cannot load (a malformed values.yaml) fails the dependency build first,
 * in words that do not say whose file it is: the chart's own, or a file:// dependency's. Our parser names it.
 */
function yamlError(root: string, chart: Chart, name: string): HomelabError | undefined {
  for (const dir of [chart.dir, ...chart.localDependencies.map((d) => d.dir)]) {
    const file = `${dir}/${name}`;
    let text: string;
    try {
      text = readFileSync(path.join(root, file), 'utf8');
    } catch {
      continue;
    }
    try {
      parseYamlDocuments(text, file);
    } catch (err) {
      if (err instanceof HomelabError) return err;
      throw err;
    }
  }
  return undefined;
}

/**
 * Renders an app-of-apps chart so the resolver can read the Applications it produces. Such charts carry no
 * secrets; a `secrets://` file there is refused rather than decrypted during resolution.
 */
export async function renderAppOfApps(root: string, helm: Helm, release: Release): Promise<string> {
  await buildDependencies(root, helm, await readChart(root, release.chartDir));
  const noSecrets: SecretSource = {
    load: async (file) => {
      throw new HomelabError(
        `app-of-apps chart ${release.chartDir} reads secrets file ${path.relative(root, file)}`,
        'app-of-apps charts must not need secrets to render their Applications',
      );
    },
  };
  const rendered = await renderRelease({ root, helm, secrets: noSecrets, maskKey: Buffer.alloc(0) }, release);
  return rendered.manifest;
}
