import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { HomelabError } from '../model/errors.ts';
import type { Release, ReleaseSource } from '../model/types.ts';
import { errorSummary } from '../exec/invocation.ts';
import { runTool } from '../exec/process.ts';
import { helmTimedOut, helmTimeoutMs, kustomizeHelm, type Helm } from '../helm/helm.ts';
import { extractedChart } from '../helm/chart-cache.ts';
import { fetchChart } from '../helm/chart-fetch.ts';
import { isRecord } from '../workspace/yaml-docs.ts';
import { KUSTOMIZATION_FILES } from '../resolve/argocd/kustomize.ts';
import { editKustomization, hasEdits, type BuildEnv } from './kustomize-edit.ts';

export type KustomizeSource = Extract<ReleaseSource, { kind: 'kustomize' }>;

export interface KustomizeTools {
  kubectl: string;
  helm: Helm;
}

/** The kustomization file of a directory (absolute), undefined when there is none. */
export function kustomizationFile(dir: string): string | undefined {
  return KUSTOMIZATION_FILES.map((name) => path.join(dir, name)).find((file) => statSync(file, { throwIfNoEntry: false })?.isFile());
}

/**
 * The argv after `kubectl`: ArgoCD's `kustomize build <path> <kustomize.buildOptions>`, plus, when the build options
 * enable helm, the Application's (else the cluster's) kube version and API versions as ArgoCD adds them, and the helm
 * kustomize must run.
 */
export function kustomizeArgs(dir: string, source: KustomizeSource, release: Release, helmCommand: string | undefined): string[] {
  const options = source.buildOptions.split(/\s+/).filter(Boolean);
  const args = ['kustomize', dir, ...options];
  if (!source.buildOptions.includes('--enable-helm')) return args;
  const kubeVersion = /^v?(\d+(?:\.\d+)*)/.exec(release.kubeVersion ?? '')?.[1];
  if (kubeVersion) args.push('--helm-kube-version', kubeVersion);
  for (const apiVersion of release.apiVersions) args.push('--helm-api-versions', apiVersion);
  if (helmCommand && !options.some((o) => o.startsWith('--helm-command'))) args.push('--helm-command', helmCommand);
  return args;
}

/**
 * `kubectl kustomize` run as ArgoCD's repo-server runs `kustomize build` for the Application: its `source.kustomize`
 * edits applied to the kustomization first (kustomize-edit.ts), and each `helmCharts` chart it would pull from a
 * repository found already pulled where kustomize looks first, copied there from the chart cache (fetched on a miss,
 * offline once cached). The user's repository is never written: with edits or pulled charts, the build runs in a
 * temporary tree of links to the repository (scratchTree), removed afterwards. Returns kustomize's output as it
 * prints it.
 */
export async function renderKustomize(root: string, release: Release, source: KustomizeSource, tools: KustomizeTools): Promise<string> {
  const dir = path.resolve(root, source.path);
  const where = `${release.cluster}/${release.name} (${source.path})`;
  const file = kustomizationFile(dir);
  if (!file) throw new HomelabError(`${where}: no kustomization.yaml in ${source.path}`, 'point source.path at a directory with a kustomization.yaml');
  const enablesHelm = source.buildOptions.includes('--enable-helm');
  const helmCommand = enablesHelm ? await kustomizeHelm(tools.helm, await kustomizeVersion(tools.kubectl)) : undefined;
  const edited = hasEdits(source.options) ? editedKustomization(file, source, release, where) : undefined;
  // Without --enable-helm kustomize refuses helmCharts itself: nothing to fetch for it.
  const pulled = enablesHelm ? await pulledCharts(source, tools.helm) : new Map<string, string>();
  const writes = new Map(edited === undefined ? [] : [[path.relative(root, file), edited]]);
  const tree = writes.size > 0 || pulled.size > 0 ? scratchTree(root, [source.path, ...source.reads], writes, pulled) : undefined;
  const buildDir = tree ? path.join(tree, source.path) : dir;
  try {
    const timeoutMs = helmTimeoutMs('render');
    const result = await runTool(tools.kubectl, kustomizeArgs(buildDir, source, release, helmCommand), { cwd: tree ?? root, timeoutMs });
    if (result.timedOut) throw helmTimedOut(`kubectl kustomize ${source.path}`, timeoutMs);
    if (result.exitCode !== 0) {
      const summary = errorSummary(result.stderr)
        .split(tree ?? '\0')
        .join(root);
      throw new HomelabError(
        `kubectl kustomize failed for ${where}: ${summary}`,
        `fix the kustomization, then run kubectl kustomize ${source.path} to see the full error`,
      );
    }
    return result.stdout;
  } finally {
    if (tree) rmSync(tree, { recursive: true, force: true });
  }
}

/** The kustomization with the Application's edits, as the text the build reads. */
function editedKustomization(file: string, source: KustomizeSource, release: Release, where: string): string {
  const doc: unknown = parse(readFileSync(file, 'utf8'), { version: '1.1' }) ?? {};
  if (!isRecord(doc)) throw new HomelabError(`${file}: expected a mapping`, 'fix the kustomization');
  return stringify(editKustomization(doc, source.options, buildEnv(release, source), path.dirname(file), where));
}

/** ArgoCD's build environment for the Application, what `${ARGOCD_APP_…}` in its kustomize options expand to. */
export function buildEnv(release: Release, source: KustomizeSource): BuildEnv {
  return {
    ARGOCD_APP_NAME: release.application,
    ARGOCD_APP_NAMESPACE: release.namespace,
    ARGOCD_APP_PROJECT_NAME: release.project,
    ARGOCD_APP_SOURCE_REPO_URL: source.repoURL,
    ARGOCD_APP_SOURCE_PATH: source.path,
    ARGOCD_APP_SOURCE_TARGET_REVISION: source.targetRevision,
  };
}

/**
 * Each chart kustomize would pull, as its directory in the scratch tree and its extracted copy in the chart cache;
 * one after the other, so a miss offline always names the first chart kustomize would pull.
 */
async function pulledCharts(source: KustomizeSource, helm: Helm): Promise<Map<string, string>> {
  const charts = new Map<string, string>();
  for (const pull of source.pulls) {
    const cached = await fetchChart(helm, { repoURL: pull.repoURL, chart: pull.chart, revision: pull.version });
    charts.set(pull.dir, await extractedChart(cached));
  }
  return charts;
}

/**
 * A temporary directory that looks like the repository. kustomize resolves symlinks before it roots a kustomization
 * (and its root-only load restrictor checks real paths), so the directories a build roots at (`mirrored`: its own and
 * those it reads) are real directories whose files are hard links to the originals (a hard link is the same file, not
 * a copy; across filesystems the file is copied); every directory on the way to them is real too, and every other
 * entry a symlink to the original. `writes` are files with new text (the edited kustomization); `placed` are
 * directories copied in the same way from elsewhere (charts from the chart cache, where kustomize looks before
 * pulling). All paths workspace-relative.
 */
function scratchTree(root: string, mirrored: string[], writes: Map<string, string>, placed: Map<string, string>): string {
  const tree = mkdtempSync(path.join(tmpdir(), 'homelab-kustomize-'));
  const wanted = [...mirrored, ...writes.keys(), ...placed.keys()].map((p) => p.split(path.sep).join('/'));
  const isMirrored = (rel: string) => mirrored.some((dir) => dir === '' || rel === dir || rel.startsWith(`${dir}/`));
  const onTheWay = (rel: string) => wanted.some((p) => p.startsWith(`${rel}/`));
  const mirror = (rel: string): void => {
    for (const entry of readdirSync(path.join(root, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      const source = path.join(root, child);
      const target = path.join(tree, child);
      const inside = isMirrored(child);
      if (writes.has(child)) continue;
      if (entry.isDirectory() && (inside ? entry.name !== 'node_modules' && !entry.name.startsWith('.') : onTheWay(child))) {
        mkdirSync(target);
        mirror(child);
      } else if (inside && !entry.isDirectory()) {
        sameFile(source, target);
      } else {
        symlinkSync(source, target);
      }
    }
  };
  const copy = (from: string, to: string): void => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (entry.isDirectory()) copy(path.join(from, entry.name), path.join(to, entry.name));
      else sameFile(path.join(from, entry.name), path.join(to, entry.name));
    }
  };
  try {
    mirror('');
    for (const [file, text] of writes) writeFileSync(path.join(tree, file), text);
    for (const [dir, from] of placed) copy(from, path.join(tree, dir));
  } catch (err) {
    rmSync(tree, { recursive: true, force: true });
    throw err;
  }
  return tree;
}

function sameFile(source: string, target: string): void {
  try {
    linkSync(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EXDEV' && code !== 'EPERM') throw err;
    copyFileSync(source, target);
  }
}

const kustomizeVersions = new Map<string, Promise<string>>();

/** The kustomize built into a kubectl (`kubectl version --client -o json`), '' when it does not say. */
export function kustomizeVersion(kubectl: string): Promise<string> {
  let version = kustomizeVersions.get(kubectl);
  if (!version) {
    version = runTool(kubectl, ['version', '--client', '-o', 'json'], { timeoutMs: helmTimeoutMs('version') }).then((result) => {
      try {
        const parsed: unknown = JSON.parse(result.stdout);
        return isRecord(parsed) && typeof parsed.kustomizeVersion === 'string' ? parsed.kustomizeVersion : '';
      } catch {
        return '';
      }
    });
    kustomizeVersions.set(kubectl, version);
  }
  return version;
}
