// hack/status <chart|release>: Helm release state and the ArgoCD Application's sync and health.
import { status } from '../../tools/homelab/src/core/commands/status.ts';
import { clusterScript } from '../lib/cluster.ts';
import { write } from '../lib/main.ts';

await clusterScript({
  name: 'status',
  readOnly: true,
  usage: `
Usage: hack/status <chart|release|cluster/release> [options]

Per release: the Helm release state (or "no Helm release": ArgoCD-managed objects carry none) and the
ArgoCD Application's sync and health, read on the declared kube-context.

Options:
{options}

Example:
  hack/status arr
`,
  options: {},
  async run(ws, request) {
    await status(ws, request, write);
  },
});
