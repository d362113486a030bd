// template <chart|release|cluster/release>: render exactly what ArgoCD renders, without Nx.
import { template } from '../../core/commands/template.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { command, warn } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} <chart|release|cluster/release> [options]

Renders the release(s) exactly as ArgoCD would (helm template with the Application's release name,
namespace, value files, values and parameters), reading the ArgoCD manifests directly; Nx is not used.
Secret values are masked unless --reveal is given on a terminal.

Options:
  --cluster <name>     only releases of this cluster directory (clusters/<name>)
  --output-dir <dir>   write <dir>/<cluster>/<release>.yaml per release (always masked)
  --keyless            placeholders instead of decrypted secrets (no age key needed)
  --reveal             print decrypted Secret values (only to a terminal)
  -h, --help           this help

Example:
  {cmd} monitoring | bat -l yaml
`,
  options: {
    cluster: { type: 'string' },
    'output-dir': { type: 'string' },
    keyless: { type: 'boolean' },
    reveal: { type: 'boolean' },
  } as const,
  async run({ values, positionals, root, cmd }) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new HomelabError(`${cmd} takes exactly one chart or release`, `e.g. ${cmd} monitoring`);
    if (values.reveal && !process.stdout.isTTY) {
      throw new HomelabError('--reveal prints secrets and only writes to a terminal', 'drop --reveal when piping or redirecting');
    }
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    await template(ws, { target, cluster: values.cluster, outputDir: values['output-dir'], keyless: values.keyless, reveal: values.reveal }, (text) =>
      process.stdout.write(text),
    );
  },
});
