import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { errorSummary, shellQuote } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import { helmTimeoutMs, kustomizeHelm, type Helm } from '../helm/helm.ts';
import { errorLine, HomelabError } from '../model/errors.ts';
import type { Release } from '../model/types.ts';
import { resolveKubectl } from '../cluster/kube.ts';
import { readDirectorySource, type DirectorySource } from '../render/directory.ts';
import { buildEnv, kustomizationFile, kustomizeArgs, kustomizeVersion, type KustomizeSource } from '../render/kustomize.ts';
import { installKustomizeHint, resolveKustomize, type Kustomize } from '../render/kustomize-binary.ts';
import { envsubst, hasEdits, type Fail } from '../render/kustomize-edit.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
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
 * --enable-helm, the kube version, API versions and helm ArgoCD passes), run on the repository as it is. With
 * `source.kustomize` edits, ArgoCD's `kustomize edit` commands run first, for real, in a scratch copy of the
 * repository (argoEdits). Builds that pull charts are not run here: a pull needs the network.
 */
export async function kubectlKustomize(root: string, release: Release, source: KustomizeSource, helm: Helm): Promise<ArgocdRun> {
  if (source.pulls.length > 0)
    return { command: '', skip: `helmCharts pulled from a repository (${source.pulls.map((p) => p.chart).join(', ')}): kustomize would pull them` };
  const edits = hasEdits(source.options);
  const scratch = edits ? await mkdtemp(path.join(tmpdir(), 'homelab-verify-kustomize-')) : undefined;
  try {
    let shown: string[] = [];
    const repo = scratch ?? root;
    if (scratch) {
      // verbatimSymlinks: a relative link stays inside the copy, so no edit can write through it into the repository.
      await cp(root, scratch, { recursive: true, verbatimSymlinks: true, filter: (from) => from === root || !NOT_COPIED.has(path.basename(from)) });
      const edited = await argoEdits(scratch, release, source).catch((err: unknown) => ({ command: '', error: errorLine(err) }));
      if (!('shown' in edited)) return edited;
      shown = edited.shown;
    }
    const kubectl = await resolveKubectl();
    const enablesHelm = source.buildOptions.includes('--enable-helm');
    const helmCommand = enablesHelm ? await kustomizeHelm(helm, await kustomizeVersion(kubectl)) : undefined;
    const dir = path.join(repo, source.path);
    const args = kustomizeArgs(dir, source, release, helmCommand);
    shown.push(`kubectl ${args.map((a) => (a === dir ? `$REPO/${source.path}` : a === helmCommand ? 'helm' : shellQuote(a))).join(' ')}`);
    const command = shown.join(' && ');
    const timeoutMs = helmTimeoutMs('render');
    const result = await runTool(kubectl, args, { cwd: repo, timeoutMs });
    if (result.timedOut) return { command, error: `timed out after ${timeoutMs} ms` };
    if (result.exitCode !== 0) return { command, error: errorSummary(result.stderr) };
    return { command, stdout: result.stdout };
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** What the scratch copy leaves out: installed packages, tool caches and history, which no kustomization reads. */
const NOT_COPIED = new Set(['node_modules', '.git', '.nx']);

/**
 * ArgoCD's edits of the kustomization (util/kustomize/kustomize.go `Build`), in its order, run with a real kustomize
 * in `<repo>/<path>`: `kustomize edit set nameprefix|namesuffix|image|replicas`, `edit add label|annotation`,
 * `edit set namespace`, the patches appended to the file (kustomize has no edit command for them), `edit add
 * component`. Values are expanded over ArgoCD's build environment where ArgoCD expands them. Returns the commands as
 * shell lines, or why they failed or cannot run here.
 */
async function argoEdits(
  repo: string,
  release: Release,
  source: KustomizeSource,
): Promise<{ shown: string[] } | { command: string; skip: string } | { command: string; error: string }> {
  const o = source.options;
  const dir = path.join(repo, source.path);
  const env = buildEnv(release, source);
  const fail: Fail = (why, hint) => {
    throw new HomelabError(`source.kustomize ${why}`, hint);
  };
  const expand = (value: unknown) => envsubst(String(value), env, fail);
  const strings = (value: unknown) => (Array.isArray(value) ? value : []);
  const entries = (value: unknown) => Object.entries(isRecord(value) ? value : {}).map(([k, v]) => `${k}:${v === null ? '' : String(v)}`);
  const edits: string[][] = [];
  if (o.namePrefix) edits.push(['set', 'nameprefix', '--', String(o.namePrefix)]);
  if (o.nameSuffix) edits.push(['set', 'namesuffix', '--', String(o.nameSuffix)]);
  if (strings(o.images).length > 0) edits.push(['set', 'image', ...strings(o.images).map(expand)]);
  if (strings(o.replicas).length > 0) {
    edits.push(['set', 'replicas', ...strings(o.replicas).map((r) => (isRecord(r) ? `${String(r.name)}=${Number.parseInt(String(r.count), 10)}` : String(r)))]);
  }
  const labels = isRecord(o.commonLabels) ? Object.fromEntries(Object.entries(o.commonLabels).map(([k, v]) => [k, expand(v ?? '')])) : {};
  if (Object.keys(labels).length > 0) {
    const flags = [o.forceCommonLabels && '--force', o.labelWithoutSelector && '--without-selector', o.labelIncludeTemplates && '--include-templates'];
    edits.push(['add', 'label', ...flags.filter((f): f is string => typeof f === 'string'), ...entries(labels)]);
  }
  const annotations = isRecord(o.commonAnnotations) ? o.commonAnnotations : {};
  if (Object.keys(annotations).length > 0) {
    const values = o.commonAnnotationsEnvsubst ? Object.fromEntries(Object.entries(annotations).map(([k, v]) => [k, expand(v ?? '')])) : annotations;
    edits.push(['add', 'annotation', ...(o.forceCommonAnnotations ? ['--force'] : []), ...entries(values)]);
  }
  if (o.namespace) edits.push(['set', 'namespace', '--', String(o.namespace)]);
  const patches = strings(o.patches);
  const components = strings(o.components)
    .map(String)
    .filter((c) => !o.ignoreMissingComponents || existsSync(path.resolve(dir, c)));

  let kustomize: Kustomize;
  try {
    kustomize = await resolveKustomize();
  } catch (err) {
    return { command: '', skip: `source.kustomize edits need kustomize edit: ${errorLine(err)}` };
  }
  if (kustomize.major < 5 && (o.labelWithoutSelector || o.labelIncludeTemplates)) {
    return {
      command: '',
      skip: `labelWithoutSelector/labelIncludeTemplates need kustomize 5 (${kustomize.bin} is ${kustomize.version}): ${installKustomizeHint}`,
    };
  }
  const shown = [`cd $REPO/${source.path}`];
  const timeoutMs = helmTimeoutMs('render');
  const run = async (args: string[]): Promise<string | undefined> => {
    shown.push(`kustomize edit ${args.map(shellQuote).join(' ')}`);
    const result = await runTool(kustomize.bin, ['edit', ...args], { cwd: dir, timeoutMs });
    if (result.timedOut) return `timed out after ${timeoutMs} ms`;
    return result.exitCode === 0 ? undefined : errorSummary(result.stderr || result.stdout);
  };
  for (const args of edits) {
    const error = await run(args);
    if (error) return { command: shown.join(' && '), error: `kustomize edit failed: ${error}` };
  }
  if (patches.length > 0) {
    const file = kustomizationFile(dir);
    if (!file) return { command: shown.join(' && '), error: `no kustomization in ${source.path}` };
    const doc: unknown = parse(await readFile(file, 'utf8'));
    if (!isRecord(doc)) return { command: shown.join(' && '), error: `${source.path}: the kustomization is not a mapping` };
    doc.patches = [...strings(doc.patches), ...patches];
    await writeFile(file, stringify(doc));
    shown.push(": 'patches appended to the kustomization (kustomize edit has no command for them)'");
  }
  if (components.length > 0) {
    const error = await run(['add', 'component', ...components]);
    if (error) return { command: shown.join(' && '), error: `kustomize edit failed: ${error}` };
  }
  shown.push('cd $REPO');
  return { shown };
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
