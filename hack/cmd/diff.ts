// hack/diff <chart|release>: the render against the live cluster (kubectl diff --server-side), masked.
import { diff } from '../../tools/homelab/src/core/commands/diff.ts';
import { openWorkspace } from '../../tools/homelab/src/core/workspace.ts';
import { clusterRequest, requireTarget } from '../lib/cluster.ts';
import { main, warn, workspaceRoot, write } from '../lib/main.ts';

await main({
  usage: `
Usage: hack/diff <chart|release|cluster/release> [options]

Renders the release as ArgoCD would and compares it with the live cluster through
kubectl diff --server-side -f - on the declared kube-context. Output is masked.
Exit code: 0 no drift, 1 drift, 2 error.

Options:
  --cluster <name>       only releases of this cluster directory (clusters/<name>)
  --context <name>       use this kube-context instead of the declared one (printed loudly; the declared
                         server is still checked)
  --kubeconfig <file>    kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  --dry-run              print the exact helm/kubectl invocations; run nothing, contact no cluster
  -h, --help             this help

Example:
  hack/diff monitoring
`,
  options: {
    cluster: { type: 'string' },
    context: { type: 'string' },
    kubeconfig: { type: 'string' },
    'dry-run': { type: 'boolean' },
  } as const,
  async run({ values, positionals }) {
    const target = requireTarget('diff', positionals);
    const ws = await openWorkspace(workspaceRoot);
    ws.warnings.forEach(warn);
    const result = await diff(ws, clusterRequest(target, values), write);
    return result.drift ? 1 : 0;
  },
});
