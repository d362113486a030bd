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
  const namespaces = namespacesByName(all).get(`${release.cluster}/${release.name}`) ?? [];
  const clash = namespaces.some((namespace) => namespace !== release.namespace);
  return clash ? `${release.cluster}/${release.namespace}/${release.name}.yaml` : `${release.cluster}/${release.name}.yaml`;
}

/** `<cluster>/<release>` → the namespaces it goes to, once per release list: the plugin asks for every release. */
const namespacesOf = new WeakMap<readonly Release[], Map<string, string[]>>();

function namespacesByName(all: readonly Release[]): Map<string, string[]> {
  let byName = namespacesOf.get(all);
  if (!byName) {
    byName = new Map();
    for (const r of all) {
      const key = `${r.cluster}/${r.name}`;
      byName.set(key, [...new Set([...(byName.get(key) ?? []), r.namespace])]);
    }
    namespacesOf.set(all, byName);
  }
  return byName;
}
