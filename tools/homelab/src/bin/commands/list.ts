// list: every release of the repository in one table (offline; --live asks the clusters too).
import { formatData, OUTPUT_FORMATS } from '../../core/commands/data-output.ts';
import { formatList, listReleases } from '../../core/commands/list.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { clusterOptions, clusterRequest, oneOf } from '../cluster-shell.ts';
import { command, type Values, warn, write } from '../shell.ts';

const { 'dry-run': _dryRun, ...guardOptions } = clusterOptions;

export default command({
  usage: `
Usage: {cmd} [options]

Every release, per cluster in sync-wave order: cluster, wave, tier, namespace, release, source kind (chart,
upstream, directory, kustomize), chart (its directory, <repoURL>/<chart>, or the manifests' path), version
(Chart.yaml version or the Application's targetRevision) and render: the sha256 (12 digits) of the release's
file in dist/rendered/ as the render target (or template --output-dir dist/rendered) last wrote it, masked or
keyless; - when there is none (list never renders). Broken Applications follow as BROKEN lines with their reason.
Offline: no cluster, no key.

Options:
  --cluster <name>         only this cluster directory
  --live                   also ask each cluster, on its declared kube-context (guarded as every cluster
                           command): the Helm release status and the Application's sync/health (and a paused sync);
                           one cluster at a time, so with several clusters name one with --cluster
  --context <name>         with --live: this kube-context instead of the declared one (--kube-context is the same)
  --kubeconfig <file>      with --live: kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  -o, --output <json|yaml> the rows as data: {releases: [...], findings: [...]}
  -h, --help               this help

Examples:
  {cmd}
  {cmd} --live --cluster home
  {cmd} -o json | jq -r '.releases[] | select(.render == null) | .release'
`,
  options: { ...guardOptions, live: { type: 'boolean' }, output: { type: 'string', short: 'o' } } as const,
  async run({ root, values, positionals, cmd }) {
    if (positionals.length > 0) throw new HomelabError(`${cmd} takes no chart or release`, `filter with --cluster, or ${cmd} -o json | jq`);
    const format = oneOf('output', values.output, OUTPUT_FORMATS);
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    const request = { ...clusterRequest('', values as Values<typeof clusterOptions>), live: values.live };
    // As data, stdout is the document only: the lines naming the clusters asked go to stderr.
    const listed = await listReleases(ws, request, format ? (text) => process.stderr.write(text) : write);
    if (format) write(formatData(format, { releases: listed.rows, findings: listed.findings }));
    else write(formatList(listed, Boolean(values.live)));
  },
});
