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
