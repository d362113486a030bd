import { HomelabError } from './errors.ts';
import { isValidNamespace, NAMESPACE_RULE } from './namespaces.ts';
import { createRelease } from './release.ts';
import type { Release } from './types.ts';

/** helm refuses longer release names (it derives label values and Secret names from them). */
const HELM_RELEASE_NAME_MAX = 53;

/** A pull request number as typed (`--pr 42`) or as Nx passes it (a number). */
export function parsePullRequest(value: string | number | undefined): number {
  const text = String(value ?? '').trim();
  if (!/^[1-9]\d{0,8}$/.test(text)) {
    throw new HomelabError(
      value === undefined ? 'a preview needs the pull request number' : `--pr ${text}: not a pull request number`,
      'pass --pr <n>, e.g. --pr 42 (in CI: github.event.pull_request.number)',
    );
  }
  return Number(text);
}

/**
 * The release a preview installs: the same chart, values and everything ArgoCD would use, under the name
 * `<release>-pr-<n>` and in the namespace of that name, so helm renders `.Release.Name` and `.Release.Namespace` as
 * a second, independent copy and applies every object without a namespace of its own there.
 */
export function previewRelease(release: Release, pr: number): Release {
  const name = `${release.name}-pr-${pr}`;
  if (name.length > HELM_RELEASE_NAME_MAX || !isValidNamespace(name)) {
    throw new HomelabError(
      `${release.cluster}/${release.name}: the preview name ${name} is no helm release name and namespace (at most ${HELM_RELEASE_NAME_MAX} characters; ${NAMESPACE_RULE})`,
      'give its Application a shorter helm.releaseName',
    );
  }
  return createRelease({ ...release, name, namespace: name });
}
