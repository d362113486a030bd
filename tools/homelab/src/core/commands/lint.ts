import { HomelabError } from '../model/errors.ts';
import { createMasker } from '../exec/mask.ts';
import { runTool } from '../exec/process.ts';
import { buildDependencies, chartArgument } from '../helm/render.ts';
import { openSecrets } from '../secrets/index.ts';
import type { Chart, Release } from '../model/types.ts';
import { buildHelmValues } from '../helm/values.ts';
import { libraryLintArgs, lintArgs } from '../helm/commands.ts';
import { notDeployedLine, selectReleases, type Workspace } from '../resolve/workspace.ts';
import { chartNamed, chartAt } from '../model/lookup.ts';

export interface LintRequest {
  /** Chart name (a library chart is linted on its own), release name or `<cluster>/<release>`. */
  target: string;
  cluster?: string;
  /** Nx already ran the helm-deps target. */
  skipDependencyBuild?: boolean;
}

export interface LintResult {
  /** `home/arr`, or the chart directory of a library chart. */
  subject: string;
  ok: boolean;
}

/**
 * `helm lint --strict` the way ArgoCD renders: per release, with its value files in ArgoCD's order, inline values
 * and parameters, namespace and Kubernetes version. Secrets are keyless placeholders (no key needed, nothing to
 * leak); output still goes through the masker. Helm 4 lints templates in a mode where `required` and `fail`
 * only log, so render errors are the `template`/`validate` targets' to find.
 */
export async function lint(ws: Workspace, request: LintRequest, write: (text: string) => void): Promise<LintResult[]> {
  const chart = chartNamed(ws.resolution.charts, request.target);
  const results =
    chart?.type === 'library' ? [await lintLibrary(ws, chart, request, write)] : await lintReleases(ws, selected(ws, request, write), request, write);
  const failed = results.filter((r) => !r.ok).map((r) => r.subject);
  if (failed.length > 0) {
    throw new HomelabError(`helm lint --strict failed for ${failed.join(', ')}`, 'fix the [ERROR] and [WARNING] lines above (--strict fails on warnings)');
  }
  return results;
}

function selected(ws: Workspace, request: LintRequest, write: (text: string) => void): Release[] {
  const releases = selectReleases(ws, request.target, request.cluster);
  if (releases.length === 0) write(notDeployedLine(ws, request.target, 'lint', request.cluster));
  return releases;
}

async function lintReleases(ws: Workspace, releases: Release[], request: LintRequest, write: (text: string) => void): Promise<LintResult[]> {
  if (!request.skipDependencyBuild) {
    for (const dir of new Set(releases.map((r) => r.chartDir))) {
      const chart = chartAt(ws.resolution.charts, dir);
      if (chart) await buildDependencies(ws.root, ws.helm, chart);
    }
  }
  const { secrets, maskKey } = await openSecrets(ws.root, { keyless: true });
  const runs = await Promise.all(
    releases.map(async (release) => {
      const chartPath = await chartArgument(ws.root, ws.helm, release);
      const values = await buildHelmValues(ws.root, release, secrets, undefined, release.source ? chartPath : undefined);
      const masker = createMasker({ secrets: values.secrets, key: maskKey });
      const output = await helmLint(ws, lintArgs({ release, values, chartPath }), values.inputs);
      return { release, ok: output.ok, text: masker.mask(output.text) };
    }),
  );
  return runs.map(({ release, ok, text }) => {
    write(`# helm lint release ${release.cluster}/${release.name} (namespace ${release.namespace})\n${text}`);
    return { subject: `${release.cluster}/${release.name}`, ok };
  });
}

async function lintLibrary(ws: Workspace, chart: Chart, request: LintRequest, write: (text: string) => void): Promise<LintResult> {
  if (!request.skipDependencyBuild) await buildDependencies(ws.root, ws.helm, chart);
  const { maskKey } = await openSecrets(ws.root, { keyless: true });
  const output = await helmLint(ws, libraryLintArgs(chart.dir), []);
  write(`# helm lint library chart ${chart.name}, on its own\n${createMasker({ secrets: [], key: maskKey }).mask(output.text)}`);
  return { subject: chart.dir, ok: output.ok };
}

/** Runs from the workspace root (helm names the chart by its path); stdout and stderr interleaved as helm wrote them. */
async function helmLint(ws: Workspace, args: string[], inputs: Buffer[]): Promise<{ ok: boolean; text: string }> {
  const lines: string[] = [];
  const result = await runTool(ws.helm.bin, args, { cwd: ws.root, inputs, onLine: (line) => lines.push(line) });
  return { ok: result.exitCode === 0, text: lines.map((l) => `${l}\n`).join('') };
}
