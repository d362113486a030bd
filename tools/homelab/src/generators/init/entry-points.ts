import { posix } from 'node:path';
import { argoObjects } from '../../core/resolve/argocd/manifests.ts';
import {
  argocdAppsDependencyValues,
  isArgocdAppsValues,
  kustomizationInputs,
  rendersArgoObjects,
  rootKind,
  sourcePaths,
} from '../../core/resolve/argocd/roots.ts';
import type { RepoFiles } from '../../core/workspace/repo-files.ts';
import { isRecord, parseYamlDocuments } from '../../core/workspace/yaml-docs.ts';

/** A root init found, and why it believes ArgoCD starts there. */
export interface EntryPoint {
  /** Workspace-relative file or directory (cluster.yaml `roots` entry). */
  path: string;
  /** Where it was found, for init's report. */
  reason: string;
}

/** Install scripts: shell scripts, Makefiles, task runners. */
const SCRIPT = /(^|\/)(Makefile|makefile|GNUmakefile|justfile|Justfile|Taskfile\.ya?ml|[^/]+\.(sh|bash|mk))$/;
const HELMFILE = /(^|\/)helmfile(\.d\/[^/]+)?\.ya?ml$/;
/** A command in a script that applies or renders something once (kubectl apply, kustomize build, helm install …). */
const APPLYING = /\b(kubectl\s+(apply|create|kustomize)|kustomize\s+build|helm\s+(template|install|upgrade))\b/;

/**
 * Where a repository's ArgoCD objects start when no plain manifest in the tree is the root, as real repositories
 * keep it: an Application (or a kustomization, or an app-of-apps chart) applied once by an install script; the
 * `argocd-apps` chart's values, installed by a script or by helmfile; an app-of-apps chart whose own template
 * deploys the chart itself. `files` lists every file; `manifestFiles` are the ones holding ArgoCD objects.
 */
export async function findEntryPoints(files: RepoFiles, all: string[], chartDirs: string[], manifestFiles: string[]): Promise<EntryPoint[]> {
  const found = new Map<string, string>();
  const add = async (path: string, reason: string) => {
    if (found.has(path)) return;
    try {
      const kind = await rootKind(path, files);
      // A chart applied by a script is a root only when it renders Applications (not `helm install cilium …`).
      if (kind === 'chart' && !(await rendersArgoObjects(path, files))) return;
      // Nor is a kustomization that installs ArgoCD itself (`kubectl apply -k bootstrap/argocd`).
      if (kind === 'kustomization' && !(await buildsApplications(path, files))) return;
      found.set(path, reason);
    } catch {
      // Not something ArgoCD objects come from.
    }
  };
  const inChart = (f: string) => chartDirs.some((d) => f.startsWith(`${d}/`));

  for (const script of all.filter((f) => SCRIPT.test(f) && !inChart(f))) {
    const lines = ((await files.text(script)) ?? '').split('\n');
    const vars = assignments(lines);
    for (const [i, line] of lines.entries()) {
      if (!APPLYING.test(line)) continue;
      for (const candidate of pathsIn(expand(line, vars), posix.dirname(script), all)) await add(candidate, `${script}:${i + 1}`);
    }
  }
  for (const helmfile of all.filter((f) => HELMFILE.test(f))) {
    for (const values of await argocdAppsValuesOfHelmfile(helmfile, files)) await add(values, `${helmfile} (argocd-apps release)`);
  }
  // argocd-apps values nobody names (installed by hand, as its README shows).
  for (const file of all.filter((f) => /\.ya?ml$/.test(f) && !inChart(f) && !found.has(f))) {
    const text = (await files.text(file)) ?? '';
    if (!/^(applications|applicationsets):/m.test(text)) continue;
    const doc = parseQuietly(text, file)[0];
    if (isArgocdAppsValues(doc) && looksLikeArgoEntries(doc)) await add(file, 'argocd-apps values');
  }
  // An umbrella chart installing ArgoCD whose argocd-apps dependency holds the Applications (whatever installs it).
  for (const dir of chartDirs) {
    if (found.has(dir)) continue;
    const values = await argocdAppsDependencyValues(dir, files).catch(() => undefined);
    if (values && looksLikeArgoEntries(values)) await add(dir, 'chart with argocd-apps values');
  }
  // An app-of-apps chart deploying itself, when no manifest deploys it.
  const deployed = new Set<string>();
  for (const file of manifestFiles) {
    for (const o of argoObjects(parseQuietly((await files.text(file)) ?? '', file), file)) for (const p of sourcePaths(o.doc)) deployed.add(p);
  }
  for (const dir of chartDirs) {
    if (deployed.has(dir) || found.has(dir)) continue;
    if (await deploysItself(dir, files)) await add(dir, 'app-of-apps chart deploying itself');
  }
  return [...found].map(([path, reason]) => ({ path, reason }));
}

/** Simple variable assignments of a script or Makefile (`CLUSTER ?= prod`, `export ENV=lab`, `DIR := k8s`). */
function assignments(lines: string[]): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of lines) {
    const m = /^\s*(?:export\s+)?([A-Za-z_]\w*)\s*(?:\?|:|::)?=\s*["']?([\w./-]+)["']?\s*$/.exec(line);
    if (m) vars.set(m[1], m[2]);
  }
  return vars;
}

/** `$(VAR)`, `${VAR}`, `$VAR` and `${VAR:-default}` replaced by the script's own value for them (or the default). */
function expand(line: string, vars: Map<string, string>): string {
  return line.replace(/\$(?:\((\w+)\)|\{(\w+)(?::-([^}]*))?\}|(\w+))/g, (whole, a?: string, b?: string, fallback?: string, c?: string) => {
    const name = a ?? b ?? c ?? '';
    return vars.get(name) ?? fallback ?? whole;
  });
}

/** Repository paths a script line names: relative to the repository root or to the script, `$VAR/` prefixes dropped. */
function pathsIn(line: string, scriptDir: string, all: string[]): string[] {
  const out: string[] = [];
  const tokens = line
    .replace(/\s#.*$/, '')
    .split(/[\s=]+/)
    .map((t) => t.replace(/^['"]|['"]$/g, '').replace(/^(\$\{?[\w]+\}?|\$\([^)]*\))\//, ''));
  for (const token of tokens) {
    if (!/^[\w./-]+$/.test(token) || !/[/.]/.test(token) || token.startsWith('-')) continue;
    for (const base of ['', scriptDir === '.' ? '' : scriptDir]) {
      const path = posix.normalize(posix.join(base, token)).replace(/\/+$/, '');
      if (path.startsWith('..') || path === '.') continue;
      if (all.includes(path) || all.some((f) => f.startsWith(`${path}/`))) out.push(path);
    }
  }
  return [...new Set(out)];
}

/** The values files of helmfile releases of the argocd-apps chart, relative to the repository root. */
async function argocdAppsValuesOfHelmfile(helmfile: string, files: RepoFiles): Promise<string[]> {
  const out: string[] = [];
  for (const doc of parseQuietly((await files.text(helmfile)) ?? '', helmfile)) {
    const releases = isRecord(doc) && Array.isArray(doc.releases) ? doc.releases : [];
    for (const release of releases.filter(isRecord)) {
      if (typeof release.chart !== 'string' || !/(^|\/)argocd-apps$/.test(release.chart)) continue;
      for (const values of Array.isArray(release.values) ? release.values : []) {
        if (typeof values === 'string') out.push(posix.normalize(posix.join(posix.dirname(helmfile), values)));
      }
    }
  }
  return out;
}

/** argocd-apps values whose entries are Applications (a destination or a source) or ApplicationSets (generators). */
function looksLikeArgoEntries(doc: Record<string, unknown>): boolean {
  const entries = [doc.applications, doc.applicationsets].flatMap((e) => (Array.isArray(e) ? e : isRecord(e) ? Object.values(e) : []));
  return entries.some((e) => isRecord(e) && (isRecord(e.destination) || isRecord(e.source) || Array.isArray(e.sources) || Array.isArray(e.generators)));
}

/** A kustomization with an ArgoCD object among the files its build reads. */
async function buildsApplications(dir: string, files: RepoFiles): Promise<boolean> {
  for (const file of await kustomizationInputs(dir, files)) if (isArgoManifest((await files.text(file)) ?? '')) return true;
  return false;
}

/** Text holding a top-level ArgoCD Application or ApplicationSet (not a CRD naming the kind). */
function isArgoManifest(text: string): boolean {
  return /^apiVersion:\s*argoproj\.io\//m.test(text) && /^kind:\s*["']?Application(Set)?["']?\s*$/m.test(text);
}

/** A chart whose templates render an Application with the chart's own directory as its path. */
async function deploysItself(chartDir: string, files: RepoFiles): Promise<boolean> {
  if (!(await rendersArgoObjects(chartDir, files))) return false;
  // `path: <dir>` in block or flow style (`{path: <dir>}`).
  const path = new RegExp(`(^|[\\s{,])path:\\s*["']?/?${chartDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/?["']?\\s*($|[,}])`, 'm');
  for (const file of await files.walk(`${chartDir}/templates`, 'file')) if (path.test((await files.text(file)) ?? '')) return true;
  return path.test((await files.text(`${chartDir}/values.yaml`)) ?? '');
}

function parseQuietly(text: string, file: string): unknown[] {
  try {
    return parseYamlDocuments(text, file);
  } catch {
    return []; // not ours to judge: a broken unrelated file
  }
}
