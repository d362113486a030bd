import path from 'node:path';
import { errorSummary, shellQuote } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import { helmTimeoutMs, kustomizeHelm, type Helm } from '../helm/helm.ts';
import { errorLine } from '../model/errors.ts';
import type { Release } from '../model/types.ts';
import { resolveKubectl } from '../cluster/kube.ts';
import { readDirectorySource, type DirectorySource } from '../render/directory.ts';
import { kustomizeArgs, kustomizeVersion, type KustomizeSource } from '../render/kustomize.ts';
import { hasEdits } from '../render/kustomize-edit.ts';
import { splitManifests } from '../validate/documents.ts';

/** What ArgoCD's side of a comparison gave: its output, or why it failed or cannot be run here. */
export interface ArgocdRun {
  command: string;
  stdout?: string;
  error?: string;
  skip?: string;
}

/**
 * A directory source as kubectl reads the same files (`kubectl patch --local` with an empty merge patch prints each
 * object unchanged, offline, Lists flattened item by item, as the repo-server flattens them). The files are the ones
 * the toolkit's walk selected (recurse, include/exclude, the skip marker), so the walk itself is not re-checked; what
 * is checked independently is the decoding of every document. kubectl prints JSON, not the files' bytes, so the two
 * are compared object by object (compareObjects).
 */
export async function kubectlDirectory(root: string, source: DirectorySource): Promise<ArgocdRun> {
  let files: string[];
  try {
    files = [...new Set(readDirectorySource(root, source).map((o) => o.file))];
  } catch (err) {
    return { command: '', error: errorLine(err) };
  }
  const args = ['patch', '--local', '--type', 'merge', '-p', '{}', '-o', 'json', ...files.flatMap((f) => ['-f', path.join(root, f)])];
  const command = `kubectl ${args.map((a) => (a.startsWith(`${root}/`) ? `$REPO/${a.slice(root.length + 1)}` : shellQuote(a))).join(' ')}`;
  if (files.length === 0) return { command: '(no manifest files)', stdout: '' };
  const timeoutMs = helmTimeoutMs('render');
  // No cluster is read: --local never connects, and an unreachable kubeconfig keeps it that way.
  const result = await runTool(await resolveKubectl(), args, { cwd: root, timeoutMs, env: { KUBECONFIG: path.join(root, '.homelab-verify-no-cluster') } });
  if (result.timedOut) return { command, error: `timed out after ${timeoutMs} ms` };
  if (result.exitCode !== 0) return { command, error: errorSummary(result.stderr) };
  return { command, stdout: result.stdout };
}

/**
 * A Kustomize source as ArgoCD builds it: `kubectl kustomize <path>` with the cluster's build options (and, with
 * --enable-helm, the kube version, API versions and helm ArgoCD passes), run on the repository as it is. Applications
 * with `source.kustomize` edits and builds that pull charts are not run here: ArgoCD runs `kustomize edit`, which
 * kubectl does not have, and a pull needs the network.
 */
export async function kubectlKustomize(root: string, release: Release, source: KustomizeSource, helm: Helm): Promise<ArgocdRun> {
  if (hasEdits(source.options)) {
    return {
      command: '',
      skip: 'source.kustomize edits: ArgoCD runs kustomize edit before the build, which kubectl does not have (compare with kustomize edit + kubectl kustomize)',
    };
  }
  if (source.pulls.length > 0)
    return { command: '', skip: `helmCharts pulled from a repository (${source.pulls.map((p) => p.chart).join(', ')}): kustomize would pull them` };
  const kubectl = await resolveKubectl();
  const enablesHelm = source.buildOptions.includes('--enable-helm');
  const helmCommand = enablesHelm ? await kustomizeHelm(helm, await kustomizeVersion(kubectl)) : undefined;
  const dir = path.join(root, source.path);
  const args = kustomizeArgs(dir, source, release, helmCommand);
  const command = `kubectl ${args.map((a) => (a === dir ? `$REPO/${source.path}` : a === helmCommand ? 'helm' : shellQuote(a))).join(' ')}`;
  const timeoutMs = helmTimeoutMs('render');
  const result = await runTool(kubectl, args, { cwd: root, timeoutMs });
  if (result.timedOut) return { command, error: `timed out after ${timeoutMs} ms` };
  if (result.exitCode !== 0) return { command, error: errorSummary(result.stderr) };
  return { command, stdout: result.stdout };
}

/**
 * `object N: toolkit <kind/name> ≠ argocd <kind/name>` for the first object where the toolkit's render (a YAML
 * stream) and kubectl's JSON objects part, compared as data (keys in any order); undefined when equal.
 */
export function firstObjectDifference(ours: string, theirs: string): string | undefined {
  const a = splitManifests(ours).map((d) => d.value);
  const b = theirs
    .split(/\n(?=\{\n)/)
    .filter((s) => s.trim())
    .map((s): unknown => JSON.parse(s));
  const label = (o: unknown) => {
    if (o === undefined) return 'no object';
    const { kind, metadata } = o as { kind?: unknown; metadata?: { name?: unknown } };
    return `${String(kind)}/${String(metadata?.name)}`;
  };
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (sortedJson(a[i]) !== sortedJson(b[i])) return `object ${i + 1}: toolkit ${label(a[i])} ≠ argocd ${label(b[i])}`;
  }
  return undefined;
}

function sortedJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) : v,
  );
}
