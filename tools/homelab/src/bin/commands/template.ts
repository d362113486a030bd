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
  -n, --namespace <ns> only releases deploying there; the Application decides the namespace, another is refused
  --show-only <file>   only this chart template, e.g. templates/deployment.yaml (repeatable; helm --show-only);
                       the output starts with a comment saying it differs from ArgoCD's render
  -h, --help           this help

Example:
  {cmd} monitoring | bat -l yaml
`,
  options: {
    cluster: { type: 'string' },
    'output-dir': { type: 'string' },
    keyless: { type: 'boolean' },
    reveal: { type: 'boolean' },
    namespace: { type: 'string', short: 'n' },
    'show-only': { type: 'string', multiple: true },
  } as const,
  async run({ values, positionals, root, cmd }) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new HomelabError(`${cmd} takes exactly one chart or release`, `e.g. ${cmd} monitoring`);
    if (values.reveal && !process.stdout.isTTY) {
      throw new HomelabError('--reveal prints secrets and only writes to a terminal', 'drop --reveal when piping or redirecting');
    }
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    const request = {
      target,
      cluster: values.cluster,
      namespace: values.namespace,
      showOnly: values['show-only'],
      outputDir: values['output-dir'],
      keyless: values.keyless,
      reveal: values.reveal,
    };
    await template(ws, request, (text) => process.stdout.write(text));
  },
});
