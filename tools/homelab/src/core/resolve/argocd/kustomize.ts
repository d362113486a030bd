import { posix } from 'node:path';
import { HomelabError } from '../../model/errors.ts';
import type { RepoFiles } from '../../workspace/repo-files.ts';
import type { ValueFile } from '../../model/types.ts';
import { isRecord, optString, parseYamlDocument, stringList } from '../../workspace/yaml-docs.ts';

/** The names kustomize accepts for a kustomization file, in its order of preference. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** Kustomization fields that only declare helm inflation (everything else transforms the output). */
const INFLATION_ONLY = new Set(['apiVersion', 'kind', 'helmCharts', 'helmGlobals']);

export interface Kustomization {
  /** Workspace-relative kustomization file. */
  file: string;
  /** Its directory: the kustomization root every relative path starts from. */
  dir: string;
  doc: Record<string, unknown>;
}

/** One `helmCharts` entry of a kustomization, as the `helm template` kustomize runs for it (see inflation below). */
export interface HelmInflation {
  /** Workspace-relative chart directory: `<dir>/<helmGlobals.chartHome ?? charts>/<name>`. */
  chartDir: string;
  releaseName: string;
  /** `namespace`, '' when absent (helm then renders with its default namespace). */
  namespace: string;
  /** `valuesFile` (default the chart's values.yaml) unless valuesMerge is replace, then additionalValuesFiles. */
  valueFiles: ValueFile[];
  /** `valuesInline`, applied after the values file. */
  valuesObject?: Record<string, unknown>;
  includeCRDs: boolean;
  skipTests: boolean;
  kubeVersion?: string;
  apiVersions: string[];
  /** Top-level kustomization fields that transform helm's output after inflation (not modelled). */
  transforms: string[];
}

/** The kustomization of a directory (undefined when it has none). */
export async function readKustomization(dir: string, files: RepoFiles): Promise<Kustomization | undefined> {
  for (const name of KUSTOMIZATION_FILES) {
    const file = dir === '' ? name : `${dir}/${name}`;
    const text = await files.text(file);
    if (text === undefined) continue;
    const doc = parseYamlDocument(text, file);
    if (!isRecord(doc)) throw new HomelabError(`${file}: expected a mapping`, 'see https://kubectl.docs.kubernetes.io/references/kustomize/kustomization/');
    return { file, dir, doc };
  }
  return undefined;
}

/**
 * `kustomize build --enable-helm` (what ArgoCD runs for such a source) inflates each `helmCharts` entry with
 * `helm template <releaseName> <chartHome>/<name> [--namespace] -f <values> [--api-versions] [--kube-version]
 * [--include-crds] [--skip-tests]` (kustomize api/types/helmchartargs.go AsHelmArgs), where `<values>` is the
 * values file (default the chart's values.yaml) with `valuesInline` merged over it, then `additionalValuesFiles`.
 * The same render as helm's own `-f <valuesFile> -f <valuesInline>`, except for kustomize's merge quirks
 * (a `null` inline value does not delete a key; YAML 1.1 keys such as `y` are read as booleans).
 * Entries whose inflation cannot be reproduced are refused: a remote chart (`repo`), no `releaseName`
 * (helm would generate a random name), `nameTemplate`, `skipHooks`, `valuesMerge: merge` (inline values under
 * the file's), inline values together with additional files (their order differs from helm's).
 */
export async function helmInflations(kustomization: Kustomization, files: RepoFiles): Promise<HelmInflation[]> {
  const { doc, file, dir } = kustomization;
  const entries = doc.helmCharts ?? [];
  if (!Array.isArray(entries)) throw new HomelabError(`${file}: helmCharts must be a list`, 'e.g. helmCharts: [{ name: mychart, releaseName: mychart }]');
  const globals = isRecord(doc.helmGlobals) ? doc.helmGlobals : {};
  const chartHome = optString(globals.chartHome, `${file}: helmGlobals.chartHome`) || 'charts';
  const transforms = Object.keys(doc).filter((key) => !INFLATION_ONLY.has(key));
  const inside = (path: string) => normalize(posix.join(dir, path));

  return Promise.all(
    entries.map(async (entry, index): Promise<HelmInflation> => {
      const where = `${file}: helmCharts[${index}]`;
      if (!isRecord(entry)) throw new HomelabError(`${where} must be a mapping`, 'give it at least name and releaseName');
      const refuse = (why: string, hint: string): never => {
        throw new HomelabError(`${where}: ${why}`, hint);
      };
      const name = optString(entry.name, `${where}.name`) || refuse('name is missing', 'name the chart directory under the chart home');
      if (entry.repo !== undefined)
        refuse(
          `chart ${name} is pulled from ${String(entry.repo)}, which is not modelled`,
          'vendor the chart into the repository (a chart directory) and drop repo',
        );
      const releaseName =
        optString(entry.releaseName, `${where}.releaseName`) || refuse('releaseName is missing: helm would generate a random one', 'set releaseName');
      if (entry.nameTemplate !== undefined) refuse('nameTemplate is not supported', 'use releaseName');
      if (entry.skipHooks === true) refuse('skipHooks (helm --no-hooks) is not supported', 'drop skipHooks, or move the hooks out of the chart');
      const merge = optString(entry.valuesMerge, `${where}.valuesMerge`) || 'override';
      if (!['override', 'replace', 'merge'].includes(merge))
        refuse(`valuesMerge "${merge}" is not one of override, replace, merge`, 'use override (the default)');
      if (merge === 'merge')
        refuse('valuesMerge: merge (inline values under the values file) is not modelled', 'use override (the default), with the inline values winning');
      const inline = entry.valuesInline;
      if (inline !== undefined && inline !== null && !isRecord(inline)) refuse('valuesInline must be a mapping', 'write valuesInline: { key: value }');
      const additional = stringList(entry.additionalValuesFiles, `${where}.additionalValuesFiles`);
      const hasInline = isRecord(inline) && Object.keys(inline).length > 0;
      if (hasInline && additional.length > 0) {
        refuse(
          'valuesInline together with additionalValuesFiles is not modelled (kustomize applies the inline values before the additional files)',
          'move the inline values into a values file listed last',
        );
      }
      const chartDir = inside(posix.join(chartHome, name));
      if (posix.isAbsolute(chartHome) || chartDir === '..' || chartDir.startsWith('../../'))
        refuse(`chart home ${chartHome} is outside the repository`, 'keep the charts in the repository, relative to the kustomization');
      if (!(await files.isFile(`${chartDir}/Chart.yaml`)))
        refuse(`no chart at ${chartDir} (${posix.join(chartHome, name)})`, 'fix helmGlobals.chartHome or the chart name');
      const valuesFile = optString(entry.valuesFile, `${where}.valuesFile`);
      // As written (relative to the kustomization root), or the default the chart brings.
      const written = [...(hasInline && merge === 'replace' ? [] : [valuesFile || posix.join(chartHome, name, 'values.yaml')]), ...additional];
      const valueFiles: ValueFile[] = [];
      for (const raw of written) {
        const path = inside(raw);
        if (posix.isAbsolute(raw) || path === '..' || path.startsWith('../../'))
          refuse(`value file ${raw} is outside the repository`, 'keep value files in the repository, relative to the kustomization');
        if (!(await files.isFile(path))) refuse(`value file ${raw} (${path}) does not exist`, `create it or fix the path (relative to ${dir || '.'})`);
        valueFiles.push({ raw, path, secret: false });
      }
      const kubeVersion = optString(entry.kubeVersion, `${where}.kubeVersion`);
      return {
        chartDir,
        releaseName,
        namespace: optString(entry.namespace, `${where}.namespace`),
        valueFiles,
        ...(hasInline ? { valuesObject: inline as Record<string, unknown> } : {}),
        includeCRDs: entry.includeCRDs === true,
        skipTests: entry.skipTests === true,
        ...(kubeVersion ? { kubeVersion } : {}),
        apiVersions: stringList(entry.apiVersions, `${where}.apiVersions`),
        transforms,
      };
    }),
  );
}

function normalize(p: string): string {
  const n = posix.normalize(p).replace(/\/+$/, '');
  return n === '.' ? '' : n;
}
