import { writeFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { errorLine } from '../model/errors.ts';
import { templateArgs } from '../helm/commands.ts';
import { helmTimeoutMs } from '../helm/helm.ts';
import { buildHelmValues, type SecretSource } from '../helm/values.ts';
import { errorSummary, shellQuote } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import type { Release } from '../model/types.ts';
import { placeholderFile } from '../secrets/index.ts';
import type { Workspace } from '../resolve/workspace.ts';
import { renderReleases } from './template.ts';
import { isManifestSource } from '../render/index.ts';
import { extractedChart, lookupChart, PULL_COMMAND } from '../helm/chart-cache.ts';
import { firstObjectDifference, kubectlDirectory, kubectlKustomize, type ArgocdRun } from './verify-manifests.ts';

export interface VerifyRequest {
  /** Only releases of this cluster directory. */
  cluster?: string;
}

export type VerifyStatus = 'equal' | 'differs' | 'failed' | 'skipped';

export interface VerifyLine {
  release: Release;
  status: VerifyStatus;
  /** The helm command ArgoCD's repo-server runs, as a shell line (`$REPO` = the checkout, `$TMP` = its temp dir). */
  command: string;
  /** Where the renders part, or why the release failed or was skipped. */
  detail?: string;
}

export interface VerifyReport {
  lines: VerifyLine[];
  counts: Record<VerifyStatus, number>;
}

/**
 * The fidelity harness: for every release ArgoCD deploys, the `helm template` its repo-server runs
 * (reposerver/repository `helmTemplate` → util/helm/cmd.go: `helm template . --name-template <release>` in the
 * chart's folder, value files as files, helm.values/valuesObject as one more file in a temp dir), run for real in a
 * scratch copy of the charts and value files, against the toolkit's own render. Both are keyless: each `secrets://`
 * file becomes its placeholder document — the whole file, as helm-secrets decrypts it, while the toolkit hands a
 * release only its chart's key of secrets.yaml — so neither side holds a secret and both are compared unmasked.
 * An upstream chart runs the same helm template in the chart the cache holds (ArgoCD pulls and extracts it); a
 * directory or Kustomize source is read by kubectl instead (verify-manifests.ts).
 */
export async function verifyReleases(ws: Workspace, request: VerifyRequest, write: (line: string) => void): Promise<VerifyReport> {
  const counts: Record<VerifyStatus, number> = { equal: 0, differs: 0, failed: 0, skipped: 0 };
  const lines: VerifyLine[] = [];
  const report = (line: VerifyLine) => {
    counts[line.status]++;
    lines.push(line);
    const label = `${line.release.cluster}/${line.release.name}`;
    write(`${line.status.padEnd(7)} ${label}${line.detail ? `: ${line.detail}` : ''}${line.command ? `  $ ${line.command}` : ''}\n`);
  };
  const releases = ws.resolution.releases.filter((r) => r.origin !== 'convention' && (!request.cluster || r.cluster === request.cluster));
  const scratch = await mkdtemp(path.join(tmpdir(), 'homelab-verify-'));
  try {
    const repo = path.join(scratch, 'repo');
    const extras = path.join(scratch, 'tmp');
    await mkdir(extras, { recursive: true });
    const rendered = await Promise.all(
      releases.map(async (release) => {
        if (isKustomizeInflation(release)) return undefined;
        return renderReleases(ws, [release], { keyless: true }).then(
          ([r]) => ({ manifest: r.manifest }),
          (err: unknown) => ({ error: errorLine(err) }),
        );
      }),
    );
    // After the toolkit's renders: their dependency builds put the charts' charts/*.tgz in place, as ArgoCD's would.
    await copyInputs(ws, releases, repo);
    for (const [i, release] of releases.entries()) {
      const ours = rendered[i];
      if (!ours) {
        report({ release, status: 'skipped', command: '', detail: inflationReason(release) });
        continue;
      }
      const argocd = await argocdRun(ws, release, repo, extras, i);
      const tool = isManifestSource(release) ? 'kubectl' : 'helm';
      if (argocd.skip !== undefined) report({ release, status: 'skipped', command: argocd.command, detail: argocd.skip });
      else if ('error' in ours) report({ release, status: 'failed', command: argocd.command, detail: `toolkit render failed: ${ours.error}` });
      else if (argocd.error !== undefined) report({ release, status: 'failed', command: argocd.command, detail: `${tool} failed: ${argocd.error}` });
      else {
        const stdout = argocd.stdout ?? '';
        const difference = release.source?.kind === 'directory' ? firstObjectDifference(ours.manifest, stdout) : firstDifference(ours.manifest, stdout);
        report({ release, status: difference ? 'differs' : 'equal', command: argocd.command, detail: difference });
      }
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  write(`verify: ${counts.equal} equal, ${counts.differs} differ, ${counts.failed} failed, ${counts.skipped} skipped (${releases.length} releases)\n`);
  return { lines, counts };
}

/** A chart inflated by a kustomization's helmCharts: kustomize runs that helm, in the kustomization's own release. */
function isKustomizeInflation(release: Release): boolean {
  return release.source === undefined && release.definedIn.some(isKustomization);
}

function isKustomization(file: string): boolean {
  return /(^|\/)(kustomization\.ya?ml|Kustomization)$/.test(file);
}

function inflationReason(release: Release): string {
  return `inflated by ${release.definedIn.find(isKustomization)}: ArgoCD runs kustomize build --enable-helm (compare with kubectl kustomize --enable-helm)`;
}

/** ArgoCD's side for one release: kubectl for a directory or Kustomize source, helm template for a chart. */
async function argocdRun(ws: Workspace, release: Release, repo: string, extras: string, index: number): Promise<ArgocdRun> {
  const source = release.source;
  if (source?.kind === 'directory') return kubectlDirectory(ws.root, source);
  if (source?.kind === 'kustomize') return kubectlKustomize(ws.root, release, source, ws.helm);
  if (source?.kind !== 'upstream') return argocdTemplate(ws, release, repo, extras, index, path.join(repo, release.chartDir));
  const cached = lookupChart({ repoURL: source.repoURL, chart: source.chart, revision: source.targetRevision });
  if (!cached) {
    return {
      command: '',
      skip: `${source.chart} ${source.targetRevision} from ${source.repoURL} is not in the chart cache and could not be fetched: run ${PULL_COMMAND}, then verify again`,
    };
  }
  // ArgoCD pulls the archive and runs helm template in the extracted chart, in its temp dir.
  const chartDir = path.join(extras, `${source.chart}-${cached.version}`);
  await cp(await extractedChart(cached), chartDir, { recursive: true });
  return argocdTemplate(ws, release, repo, extras, index, chartDir);
}

/** The charts (whole, dependencies built) and every value and file-parameter file of the releases, at their paths. */
async function copyInputs(ws: Workspace, releases: Release[], repo: string): Promise<void> {
  const paths = new Set<string>(ws.resolution.charts.map((c) => c.dir));
  for (const release of releases) {
    for (const file of release.valueFiles) if (!file.inChart) paths.add(file.path);
    for (const file of release.fileParameters) paths.add(file.path);
  }
  for (const p of paths) {
    await cp(path.join(ws.root, p), path.join(repo, p), { recursive: true, dereference: false, errorOnExist: false }).catch((err: unknown) => {
      // A missing value file is helm's to report, with ArgoCD's words.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    });
  }
  // helm-secrets decrypts the whole file; keyless, that is the placeholder document (no secret reaches the disk).
  const secretFiles = new Set(releases.flatMap((r) => r.valueFiles.filter((v) => v.secret).map((v) => v.path)));
  for (const file of secretFiles) {
    const placeholder = await placeholderFile(path.join(ws.root, file)).catch(() => undefined);
    if (placeholder) await writeFile(path.join(repo, file), placeholder);
  }
}

/** Runs ArgoCD's `helm template` for one release in the scratch copy; the command is printed as ArgoCD builds it. */
async function argocdTemplate(ws: Workspace, release: Release, repo: string, extras: string, index: number, chartDir: string): Promise<ArgocdRun> {
  const shown = new Map<string, string>();
  // The placeholder files are already in the copy: helm reads them at their paths.
  const secrets: SecretSource = { load: async (file) => ({ plaintext: await readFile(file), leaves: [] }) };
  let values: Awaited<ReturnType<typeof buildHelmValues>>;
  try {
    values = await buildHelmValues(
      repo,
      release,
      secrets,
      (content, file) => {
        if (file) {
          const at = path.join(repo, file.path);
          shown.set(at, file.raw);
          return at;
        }
        const at = path.join(extras, `values-${index}.yaml`);
        shown.set(at, `$TMP/values-${index}.yaml`);
        // ArgoCD writes helm.values/valuesObject to a file in its temp dir; placeholders only, never a secret.
        writeFileSync(at, content);
        return at;
      },
      chartDir,
    );
  } catch (err) {
    return { command: '', error: errorLine(err) };
  }
  const args = templateArgs({ release, values, chartPath: '.' });
  const relabel = (a: string) => {
    if (a === extras || a.startsWith(`${extras}/`)) return `$TMP${a.slice(extras.length)}`;
    return a === repo || a.startsWith(`${repo}/`) ? `$REPO${a.slice(repo.length)}` : a;
  };
  const display = args.map((a) => shown.get(a) ?? relabel(a));
  const command = `cd ${relabel(chartDir)} && helm ${display.map((a) => (a.startsWith('$') ? a : shellQuote(a))).join(' ')}`;
  const timeoutMs = helmTimeoutMs('render');
  const result = await runTool(ws.helm.bin, args, { cwd: chartDir, timeoutMs });
  if (result.timedOut) return { command, error: `timed out after ${timeoutMs} ms` };
  if (result.exitCode !== 0) return { command, error: errorSummary(result.stderr) };
  return { command, stdout: result.stdout };
}

/** `line N: toolkit "…" ≠ argocd "…"` for the first line where the two renders part; undefined when equal. */
export function firstDifference(ours: string, theirs: string): string | undefined {
  if (ours === theirs) return undefined;
  const a = ours.split('\n');
  const b = theirs.split('\n');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  const show = (line: string | undefined) => (line === undefined ? 'end of output' : JSON.stringify(line.length > 120 ? `${line.slice(0, 120)}…` : line));
  return `line ${i + 1}: toolkit ${show(a[i])} ≠ argocd ${show(b[i])}`;
}
