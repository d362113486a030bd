// status <chart|release>: Helm release state and the ArgoCD Application's sync and health.
import { status } from '../../core/commands/status.ts';
import { clusterCommand } from '../cluster-shell.ts';
import { write } from '../shell.ts';

export default clusterCommand({
  readOnly: true,
  usage: `
Usage: {cmd} <chart|release|cluster/release> [options]

Per release: the Helm release state (or "no Helm release": ArgoCD-managed objects carry none) and the
ArgoCD Application's sync and health, read on the declared kube-context.

Options:
{options}

Example:
  {cmd} arr
`,
  options: {},
  async run(ws, request) {
    await status(ws, request, write);
  },
});
