import { isValidNamespace, NAMESPACE_RULE } from '../model/namespaces.ts';
import type { RepoFiles } from '../workspace/repo-files.ts';
import type { Release } from '../model/types.ts';
import { isRecord, parseYamlDocument } from '../workspace/yaml-docs.ts';
import { annotationsOf, applicationOf, gitSourcePaths, whereDeclared, type Findings } from './findings.ts';
import type { CheckedResolution } from './resolution.ts';

/** Chart.yaml annotation marking a chart that no Application deploys on purpose. */
export const NOT_DEPLOYED_ANNOTATION = 'homelab.dev/deployed';
/** Application annotation confirming a namespace other than the chart's name. */
export const NAMESPACE_ANNOTATION = 'homelab.dev/namespace';

/**
 * Every application chart is deployed by some Application (or says it is not), and a chart that says so is
 * not deployed after all. A chart counts as deployed when an Application's source path names it, even when
 * that Application fails to resolve (the resolver reported that already).
 */
export async function checkDeployed(state: CheckedResolution, files: RepoFiles, findings: Findings): Promise<void> {
  const deployers = new Map<string, string>();
  for (const release of state.resolution.releases) {
    if (release.origin !== 'convention') deployers.set(release.chartDir, whereDeclared(release));
  }
  for (const app of state.applications) {
    for (const path of gitSourcePaths(app.doc)) if (!deployers.has(path)) deployers.set(path, `${app.file}: Application ${app.name}`);
  }
  for (const chart of state.charts) {
    if (chart.type === 'library') continue;
    const file = `${chart.dir}/Chart.yaml`;
    const meta = parseYamlDocument((await files.text(file)) ?? '', file);
    const marked = isRecord(meta) && isRecord(meta.annotations) ? meta.annotations[NOT_DEPLOYED_ANNOTATION] : undefined;
    const deployer = deployers.get(chart.dir);
    if (marked === false) {
      findings.add(
        'deployed',
        `${file}: annotation ${NOT_DEPLOYED_ANNOTATION} is the boolean false`,
        `quote it: ${NOT_DEPLOYED_ANNOTATION}: "false" (Chart.yaml annotations are strings)`,
      );
    } else if (marked === 'false' && deployer) {
      findings.add(
        'deployed',
        `${file}: chart ${chart.name} is annotated ${NOT_DEPLOYED_ANNOTATION}: "false", but ${deployer} deploys it`,
        'remove the annotation, or the Application',
      );
    } else if (marked !== 'false' && !deployer) {
      // Only a chart in a directory an ApplicationSet excludes has no release at all (not even the convention one).
      const parked = !state.resolution.releases.some((r) => r.chartDir === chart.dir);
      findings.add(
        'deployed',
        `${chart.dir}: chart ${chart.name} is deployed by no Application in any cluster${parked ? ' (an ApplicationSet excludes its directory)' : ''}`,
        `add an Application for it under a cluster directory (or let an ApplicationSet generate one), or mark it with the Chart.yaml annotation ${NOT_DEPLOYED_ANNOTATION}: "false"`,
      );
    }
  }
}

/**
 * Paths the resolver does not check: manifest directories Applications point at (app-of-apps roots), files of
 * helm.fileParameters, and the git generator paths of ApplicationSets (one matching nothing generates nothing,
 * or excludes nothing). Returns the releases whose file parameters are missing (they cannot render).
 */
export async function checkPaths(state: CheckedResolution, files: RepoFiles, findings: Findings): Promise<Set<Release>> {
  const broken = new Set<Release>();
  for (const app of state.applications) {
    for (const path of gitSourcePaths(app.doc)) {
      const inCluster = state.clusters.some((c) => path === c.dir || path.startsWith(`${c.dir}/`));
      if (inCluster && !(await files.isDir(path))) {
        findings.add(
          'paths',
          `${app.file}: Application ${app.name}: source path ${path} does not exist`,
          'point spec.source.path at an existing directory of manifests or a chart',
        );
      }
    }
  }
  for (const release of state.resolution.releases) {
    for (const parameter of release.fileParameters) {
      if (!(await files.isFile(parameter.path))) {
        broken.add(release);
        findings.add(
          'paths',
          `${whereDeclared(release)}: helm.fileParameters ${parameter.name}: file ${parameter.path} does not exist`,
          `create it or fix the path (relative to ${release.chartDir})`,
        );
      }
    }
  }
  for (const appSet of state.applicationSets) {
    const name = isRecord(appSet.doc.metadata) ? String(appSet.doc.metadata.name ?? '') : '';
    const spec = isRecord(appSet.doc.spec) ? appSet.doc.spec : {};
    for (const git of gitGenerators(spec.generators)) {
      for (const [key, dialect, kind] of [
        ['directories', 'go', 'dir'],
        ['files', 'pathspec', 'file'],
      ] as const) {
        for (const item of Array.isArray(git[key]) ? git[key] : []) {
          if (!isRecord(item) || typeof item.path !== 'string' || /\{\{|\$/.test(item.path)) continue;
          const pattern = item.path.replace(/^\.?\//, '');
          if ((await files.glob(pattern, dialect, kind)).length > 0) continue;
          const what = kind === 'dir' ? 'directory' : 'file';
          findings.add(
            'paths',
            `${appSet.file}: ApplicationSet ${name}: git generator ${key} path ${item.path}${item.exclude === true ? ' (exclude)' : ''} matches no ${what}`,
            item.exclude === true ? 'fix the path or drop the exclude entry: it excludes nothing' : `fix the path: no Application is generated from it`,
          );
        }
      }
    }
  }
  return broken;
}

/** Git generators, including those nested in matrix and merge generators. */
function gitGenerators(generators: unknown): Record<string, unknown>[] {
  if (!Array.isArray(generators)) return [];
  return generators.filter(isRecord).flatMap((g) => {
    if (isRecord(g.git)) return [g.git];
    const nested = isRecord(g.matrix) ? g.matrix : isRecord(g.merge) ? g.merge : undefined;
    return nested ? gitGenerators(nested.generators) : [];
  });
}

/**
 * Namespaces are DNS-1123 labels, and a chart's namespace is its name unless its Application confirms another
 * with the annotation `homelab.dev/namespace: <namespace>`.
 */
export function checkNamespaces(state: CheckedResolution, findings: Findings): void {
  for (const release of state.resolution.releases) {
    if (release.origin === 'convention') continue;
    // An upstream chart, a directory or a kustomization has no chart name of this repository to follow: only the label rule applies.
    if (release.source) {
      if (!isValidNamespace(release.namespace)) {
        findings.add(
          'namespace',
          `${release.definedIn[0]}: Application ${release.application}: namespace "${release.namespace}" is not a valid DNS-1123 label`,
          NAMESPACE_RULE,
        );
      }
      continue;
    }
    if (!isValidNamespace(release.namespace)) {
      findings.add('namespace', `${whereDeclared(release)}: namespace "${release.namespace}" is not a valid DNS-1123 label`, NAMESPACE_RULE);
      continue;
    }
    if (release.namespace === release.chart) continue;
    const app = applicationOf(state.applications, release);
    const confirmed = app ? annotationsOf(app.doc)[NAMESPACE_ANNOTATION] : undefined;
    if (confirmed === release.namespace) continue;
    findings.add(
      'namespace',
      confirmed === undefined
        ? `${whereDeclared(release)} deploys chart ${release.chart} into namespace ${release.namespace}, not ${release.chart} (namespace = chart name)`
        : `${whereDeclared(release)} deploys chart ${release.chart} into namespace ${release.namespace}, but its annotation ${NAMESPACE_ANNOTATION} says ${String(confirmed)}`,
      `set spec.destination.namespace: ${release.chart}, or confirm the exception with the Application annotation ${NAMESPACE_ANNOTATION}: "${release.namespace}"`,
    );
  }
}
