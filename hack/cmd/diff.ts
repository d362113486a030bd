// hack/diff <chart|release>: the render against the live cluster (kubectl diff --server-side), masked.
import { diff } from '../../tools/homelab/src/core/commands/diff.ts';
import { clusterScript } from '../lib/cluster.ts';
import { write } from '../lib/main.ts';

await clusterScript({
  name: 'diff',
  usage: `
Usage: hack/diff <chart|release|cluster/release> [options]

Renders the release as ArgoCD would and compares it with the live cluster through
kubectl diff --server-side -f - on the declared kube-context. Output is masked.
Exit code: 0 no drift, 1 drift, 2 error.

Options:
{options}

Example:
  hack/diff monitoring
`,
  options: {},
  async run(ws, request) {
    const result = await diff(ws, request, write);
    return result.drift ? 1 : 0;
  },
});
