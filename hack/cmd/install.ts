// hack/install <chart|release>: helm upgrade --install exactly as ArgoCD deploys it, bypassing ArgoCD and Nx.
import { install } from '../../tools/homelab/src/core/commands/install.ts';
import { openWorkspace } from '../../tools/homelab/src/core/workspace.ts';
import { clusterRequest, oneOf, requireTarget } from '../lib/cluster.ts';
import { main, warn, workspaceRoot, write } from '../lib/main.ts';

await main({
  usage: `
Usage: hack/install <chart|release|cluster/release> [options]

helm upgrade --install of the release exactly as ArgoCD deploys it (release name, namespace, value files,
values, parameters; secrets decrypted in memory and piped on stdin), with --take-ownership, a wait and
rollback on failure. Only on the kube-context declared in clusters/<cluster>/cluster.yaml.
ArgoCD shows the app OutOfSync until git catches up; with automated selfHeal it reverts the change.

Options:
  --cluster <name>       only releases of this cluster directory (clusters/<name>)
  --context <name>       use this kube-context instead of the declared one (printed loudly; the declared
                         server is still checked)
  --kubeconfig <file>    kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  --dry-run              print the exact helm/kubectl invocations; run nothing, contact no cluster
  -h, --help             this help
  --wait <watcher|legacy>  how helm waits for readiness (Helm 4; Helm 3 always --wait)
  --timeout <duration>     e.g. 90s, 10m (default 5m)
  --helm-dry-run <client|server>  let helm itself dry-run the upgrade
  --recover                roll back a release stuck in pending-* to its last good revision first

Example:
  hack/install monitoring --dry-run && hack/install monitoring
`,
  options: {
    cluster: { type: 'string' },
    context: { type: 'string' },
    kubeconfig: { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'string' },
    timeout: { type: 'string' },
    'helm-dry-run': { type: 'string' },
    recover: { type: 'boolean' },
  } as const,
  async run({ values, positionals }) {
    const target = requireTarget('install', positionals);
    const ws = await openWorkspace(workspaceRoot);
    ws.warnings.forEach(warn);
    await install(
      ws,
      {
        ...clusterRequest(target, values),
        wait: oneOf('wait', values.wait, ['watcher', 'legacy']),
        timeout: values.timeout,
        helmDryRun: oneOf('helm-dry-run', values['helm-dry-run'], ['client', 'server']),
        recover: values.recover,
      },
      write,
    );
  },
});
