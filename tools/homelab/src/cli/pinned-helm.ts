// CI's helm: prints `HELM_BIN=<path>` of the pinned helm (core/helm/pinned-helm.ts) for "$GITHUB_ENV", so a runner's
// own helm on PATH never renders. Refuses when the helm it finds is not the pinned version.
import { PINNED_HELM } from '../core/helm/pinned-helm.ts';
import { pinnedHelm } from '../core/helm/helm.ts';
import { errorLine, HomelabError } from '../core/model/errors.ts';

try {
  const helm = await pinnedHelm();
  if (helm.version !== PINNED_HELM.version) {
    throw new HomelabError(
      `${helm.bin} (${helm.source}) is helm ${helm.version}, not the pinned ${PINNED_HELM.version}`,
      'make tools/homelab/src/core/helm/pinned-helm.ts and the kubectl-layer package name the same helm release',
    );
  }
  process.stdout.write(`HELM_BIN=${helm.bin}\n`);
  process.stderr.write(`helm ${helm.version} (${helm.source}): ${helm.bin}\n`);
} catch (err) {
  process.stderr.write(`✖ ${errorLine(err)}\n`);
  process.exitCode = 1;
}
