import type { Release } from './types.ts';

/** What a release must name; everything else has ArgoCD's default for an Application that does not set it. */
export type ReleaseFields = Pick<Release, 'cluster' | 'name' | 'chart' | 'chartDir' | 'namespace'> & Partial<Release>;

/**
 * The one place a `Release` is assembled, so a field added to the type gets its default here once instead of in every
 * hand-written literal. Optional fields given as `undefined` are left out, as ArgoCD leaves out an unset one.
 */
export function createRelease(fields: ReleaseFields): Release {
  const release: Release = {
    application: '',
    origin: 'convention',
    definedIn: [],
    project: 'default',
    valueFiles: [],
    parameters: [],
    fileParameters: [],
    ignoreMissingValueFiles: false,
    skipCrds: false,
    skipSchemaValidation: false,
    skipTests: false,
    apiVersions: [],
    wave: 0,
    syncPolicy: { automated: false, selfHeal: false, prune: false },
    ...fields,
  };
  for (const key of ['values', 'valuesObject', 'kubeVersion'] as const) if (release[key] === undefined) delete release[key];
  return release;
}

/**
 * Where a release's render goes under an output directory: `<cluster>/<release>.yaml`, or
 * `<cluster>/<namespace>/<release>.yaml` when another release of that cluster has the same name (two Applications may
 * install one release name into two namespaces; their files must not overwrite each other).
 */
export function renderFile(release: Release, all: readonly Release[]): string {
  const clash = all.some((r) => r !== release && r.cluster === release.cluster && r.name === release.name && r.namespace !== release.namespace);
  return clash ? `${release.cluster}/${release.namespace}/${release.name}.yaml` : `${release.cluster}/${release.name}.yaml`;
}
