// hack/status <chart|release>: Helm release state and the ArgoCD Application's sync and health.
import { status } from '../../tools/homelab/src/core/commands/status.ts';
import { openWorkspace } from '../../tools/homelab/src/core/workspace.ts';
import { clusterRequest, requireTarget } from '../lib/cluster.ts';
import { main, warn, workspaceRoot, write } from '../lib/main.ts';

await main({
  usage: `
Usage: hack/status <chart|release|cluster/release> [options]

Per release: the Helm release state (or "no Helm release": ArgoCD-managed objects carry none) and the
ArgoCD Application's sync and health, read on the declared kube-context.

Options:
  --cluster <name>       only releases of this cluster directory (clusters/<name>)
  --context <name>       use this kube-context instead of the declared one (printed loudly; the declared
                         server is still checked)
  --kubeconfig <file>    kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  -h, --help             this help

Example:
  hack/status arr
`,
  options: {
    cluster: { type: 'string' },
    context: { type: 'string' },
    kubeconfig: { type: 'string' },
  } as const,
  async run({ values, positionals }) {
    const target = requireTarget('status', positionals);
    const ws = await openWorkspace(workspaceRoot);
    ws.warnings.forEach(warn);
    await status(ws, clusterRequest(target, values), write);
  },
});
