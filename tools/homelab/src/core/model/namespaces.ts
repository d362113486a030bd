import { HomelabError } from './errors.ts';
import type { Release } from './types.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAMESPACE_RULE = "use at most 63 characters: lowercase letters, digits and '-', starting and ending with a letter or digit";

/** Kubernetes namespaces are DNS-1123 labels; helm renders any string, so only the API server would object. */
export function isValidNamespace(namespace: string): boolean {
  return namespace.length <= 63 && DNS1123_LABEL.test(namespace);
}

/** Refuses a release whose namespace no cluster accepts, naming the file that sets it. */
export function assertValidNamespace(release: Release): void {
  if (isValidNamespace(release.namespace)) return;
  const where =
    release.origin === 'convention'
      ? `${release.chartDir}: chart ${release.chart} (no Application: namespace = chart name)`
      : `${release.definedIn[0] ?? release.chartDir}: Application ${release.application}`;
  throw new HomelabError(`${where}: namespace "${release.namespace}" is not a valid DNS-1123 label`, NAMESPACE_RULE);
}
