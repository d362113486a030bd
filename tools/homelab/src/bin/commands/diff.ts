// diff <chart|release>: the render against the live cluster (as kubectl diff --server-side shows it), masked.
import { diff } from '../../core/commands/diff.ts';
import { clusterCommand } from '../cluster-shell.ts';
import { overlayHelp, overlayOf, overlayOptions } from '../overlay.ts';

export default clusterCommand({
  usage: `
Usage: {cmd} <chart|release|cluster/release>... [options]   ({cmd} --all, --wave <n>, --tier <tier>)

Renders the release as ArgoCD would and compares it with the live cluster on the declared
kube-context, as kubectl diff --server-side would, in memory: kubectl reads the render on stdin
(get, and a server-side apply dry run, per namespace the chart renders into) and writes nothing
to disk. Output is masked. Exit code: 0 no drift, 1 drift, 2 error.

Options:
{options}
  -n, --namespace <ns>     only releases deploying there; the Application decides the namespace, another is refused
${overlayHelp}

Example:
  {cmd} monitoring
  {cmd} --all
`,
  options: { namespace: { type: 'string', short: 'n' }, ...overlayOptions } as const,
  many: { action: 'diff' },
  async run(ws, request, { values }, write) {
    const result = await diff(ws, { ...request, namespace: values.namespace, overlay: overlayOf(values) }, write);
    return result.drift ? 1 : 0;
  },
});
