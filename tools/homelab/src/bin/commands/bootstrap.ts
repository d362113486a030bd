// bootstrap [chart]: the Nx bootstrap target without Nx: ArgoCD, the bootstrap chart and the root app-of-apps.
import { bootstrap } from '../../core/commands/bootstrap.ts';
import { commandOptions } from '../../core/commands/options.ts';
import { clusterCommand, oneOf } from '../cluster-shell.ts';
import { write } from '../shell.ts';

export default clusterCommand({
  defaultTarget: 'system',
  usage: `
Usage: {cmd} [bootstrap chart, default system] [options]

From an empty cluster to ArgoCD syncing this repository, the same steps and progress as the Nx bootstrap
target: the age key Secret ArgoCD's helm-secrets reads, ArgoCD from the chart its Application pins, the
bootstrap chart, then the root app-of-apps. Every step converges: run it again after a failure.
Only on the kube-context declared in clusters/<cluster>/cluster.yaml.

Options:
{options}
  --wait <watcher|legacy>     how helm waits for readiness (Helm 4; Helm 3 always --wait)
  --timeout <duration>        e.g. 90s, 10m (default ${commandOptions.bootstrap.timeout.default})
  --argocd-chart-repo <url>   fetch the argo-cd chart from this mirror (also $HOMELAB_ARGOCD_CHART_REPO)
  --recover                   roll back releases stuck in pending-* first

Example:
  {cmd} --dry-run && {cmd}
`,
  options: {
    wait: { type: 'string' },
    timeout: { type: 'string' },
    'argocd-chart-repo': { type: 'string' },
    recover: { type: 'boolean' },
  } as const,
  async run(ws, request, { values }) {
    await bootstrap(
      ws,
      {
        cluster: request.cluster,
        context: request.context,
        kubeconfig: request.kubeconfig,
        dryRun: request.dryRun,
        bootstrapChart: request.target,
        argocdChartRepo: values['argocd-chart-repo'],
        wait: oneOf('wait', values.wait, ['watcher', 'legacy']),
        timeout: values.timeout,
        recover: values.recover,
      },
      write,
    );
  },
});
