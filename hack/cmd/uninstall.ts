// hack/uninstall <chart|release>: helm uninstall, safely (confirmation, tier 0 refused, data kept).
import { uninstall } from '../../tools/homelab/src/core/commands/uninstall.ts';
import { terminalConfirm } from '../../tools/homelab/src/core/terminal.ts';
import { openWorkspace } from '../../tools/homelab/src/core/workspace.ts';
import { clusterRequest, oneOf, requireTarget } from '../lib/cluster.ts';
import { main, warn, workspaceRoot, write } from '../lib/main.ts';

await main({
  usage: `
Usage: hack/uninstall <chart|release|cluster/release> [options]

helm uninstall of the release on its declared kube-context. Asks for confirmation on a terminal, refuses
tier 0 (the system chart, sync waves <= 0) without --force, and keeps PersistentVolumeClaims and other
state holders unless --delete-data. An ArgoCD-managed app has no Helm release; ArgoCD recreates what
git declares unless the Application is removed from git first.

Options:
  --cluster <name>       only releases of this cluster directory (clusters/<name>)
  --context <name>       use this kube-context instead of the declared one (printed loudly; the declared
                         server is still checked)
  --kubeconfig <file>    kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  --dry-run              print the exact helm/kubectl invocations; run nothing, contact no cluster
  -h, --help             this help
  --yes                    do not ask (required when there is no terminal)
  --force                  allow tier 0
  --delete-data            delete PVCs and other state with the release
  --wait <watcher|legacy>  wait for the deletion (Helm 4)
  --timeout <duration>     e.g. 90s, 10m

Example:
  hack/uninstall jellyfin --dry-run && hack/uninstall jellyfin
`,
  options: {
    cluster: { type: 'string' },
    context: { type: 'string' },
    kubeconfig: { type: 'string' },
    'dry-run': { type: 'boolean' },
    yes: { type: 'boolean' },
    force: { type: 'boolean' },
    'delete-data': { type: 'boolean' },
    wait: { type: 'string' },
    timeout: { type: 'string' },
  } as const,
  async run({ values, positionals }) {
    const target = requireTarget('uninstall', positionals);
    const ws = await openWorkspace(workspaceRoot);
    ws.warnings.forEach(warn);
    await uninstall(
      ws,
      {
        ...clusterRequest(target, values),
        yes: values.yes,
        force: values.force,
        deleteData: values['delete-data'],
        wait: oneOf('wait', values.wait, ['watcher', 'legacy']),
        timeout: values.timeout,
        confirm: terminalConfirm(),
      },
      write,
    );
  },
});
