// status <chart|release>: Helm release state and the ArgoCD Application's sync and health.
import { formatData, OUTPUT_FORMATS } from '../../core/commands/data-output.ts';
import { status } from '../../core/commands/status.ts';
import { statusRecord } from '../../core/commands/status-record.ts';
import { clusterCommand, oneOf } from '../cluster-shell.ts';
import { write } from '../shell.ts';

/** The records of every release the run covered (one or many), printed once at the end with -o. */
const records: ReturnType<typeof statusRecord>[] = [];

export default clusterCommand({
  readOnly: true,
  usage: `
Usage: {cmd} <chart|release|cluster/release>... [options]   ({cmd} --all, --wave <n>, --tier <tier>)

Per release: the Helm release state (or "no Helm release": ArgoCD-managed objects carry none) and the
ArgoCD Application's sync and health, read on the declared kube-context.

Options:
{options}
  -o, --output <json|yaml> the statuses as data: one list of records (cluster, release, namespace, chart, wave,
                           tier, helm {status, revision, chart, updated} or null, argocd {application, state,
                           sync, health, revision, paused} or null)

Example:
  {cmd} arr
  {cmd} --all -o json | jq -r '.[] | select(.argocd.sync != "Synced") | .release'
`,
  options: { output: { type: 'string', short: 'o' } } as const,
  many: { action: 'status', data: ({ values }) => values.output !== undefined },
  after({ values }) {
    const format = oneOf('output', values.output, OUTPUT_FORMATS);
    if (format) write(formatData(format, records));
  },
  async run(ws, request, { values }, out) {
    const format = oneOf('output', values.output, OUTPUT_FORMATS);
    const statuses = await status(ws, request, format ? () => {} : out);
    records.push(...statuses.map(statusRecord));
  },
});
