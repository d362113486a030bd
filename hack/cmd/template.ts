// hack/template <chart|release|cluster/release>: render exactly what ArgoCD renders, without Nx.
import { template } from '../../tools/homelab/src/core/commands/template.ts';
import { HomelabError } from '../../tools/homelab/src/core/model/errors.ts';
import { openWorkspace } from '../../tools/homelab/src/core/resolve/workspace.ts';
import { main, warn, workspaceRoot } from '../lib/main.ts';

await main({
  usage: `
Usage: hack/template <chart|release|cluster/release> [options]

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
  hack/template monitoring | bat -l yaml
`,
  options: {
    cluster: { type: 'string' },
    'output-dir': { type: 'string' },
    keyless: { type: 'boolean' },
    reveal: { type: 'boolean' },
  } as const,
  async run({ values, positionals }) {
    const [target] = positionals;
    if (!target || positionals.length > 1) throw new HomelabError('hack/template takes exactly one chart or release', 'e.g. hack/template monitoring');
    if (values.reveal && !process.stdout.isTTY) {
      throw new HomelabError('--reveal prints secrets and only writes to a terminal', 'drop --reveal when piping or redirecting');
    }
    const ws = await openWorkspace(workspaceRoot);
    ws.warnings.forEach(warn);
    await template(ws, { target, cluster: values.cluster, outputDir: values['output-dir'], keyless: values.keyless, reveal: values.reveal }, (text) =>
      process.stdout.write(text),
    );
  },
});
