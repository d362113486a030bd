// template <chart|release|cluster/release>...: render exactly what ArgoCD renders, without Nx.
import { refuseUnmaskedSecrets, releaseComment, template } from '../../core/commands/template.ts';
import { selectsMany } from '../../core/commands/select.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { overlayHelp, overlayOf, overlayOptions } from '../overlay.ts';
import { runSelected, selection, selectionHelp, selectionOptions } from '../selection.ts';
import { command, warn } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} <chart|release|cluster/release>... [options]   ({cmd} --all, --wave <n>, --tier <tier>)

Renders the release(s) exactly as ArgoCD would (helm template with the Application's release name,
namespace, value files, values and parameters), reading the ArgoCD manifests directly; Nx is not used.
Secret values are masked unless --reveal is given on a terminal. Several releases print as one YAML
stream in wave order, each after a "# Release <cluster>/<release>" comment; one that fails to render
is reported on stderr at the end and the others still print.

Options:
  --cluster <name>     only releases of this cluster directory (clusters/<name>)
  --output-dir <dir>   write <dir>/<cluster>/<release>.yaml per release (always masked)
  --keyless            placeholders instead of decrypted secrets (no age key needed)
  --unmasked           with --keyless only: Secret data as rendered (placeholders, never a secret), to compare
                       byte for byte with helm template; refused without --keyless
  --reveal             print decrypted Secret values (only to a terminal)
  -n, --namespace <ns> only releases deploying there; the Application decides the namespace, another is refused
  --show-only <file>   only this chart template, e.g. templates/deployment.yaml (repeatable; helm --show-only);
                       the output starts with a comment saying it differs from ArgoCD's render
${overlayHelp}
${selectionHelp}
  -h, --help           this help

Example:
  {cmd} monitoring | bat -l yaml
  {cmd} monitoring --set grafana.replicas=2 -f my-values.yaml
  {cmd} --tier apps --keyless > apps.yaml
  {cmd} home/monitoring --keyless --unmasked > ours.yaml   # compare with helm template, placeholders piped in
`,
  options: {
    cluster: { type: 'string' },
    'output-dir': { type: 'string' },
    keyless: { type: 'boolean' },
    unmasked: { type: 'boolean' },
    reveal: { type: 'boolean' },
    namespace: { type: 'string', short: 'n' },
    'show-only': { type: 'string', multiple: true },
    ...overlayOptions,
    ...selectionOptions,
  } as const,
  async run({ values, positionals, root, cmd }) {
    if (values.reveal && !process.stdout.isTTY) {
      throw new HomelabError('--reveal prints secrets and only writes to a terminal', 'drop --reveal when piping or redirecting');
    }
    refuseUnmaskedSecrets(values);
    const chosen = selection(positionals, values);
    if (!selectsMany(chosen) && positionals.length !== 1) {
      throw new HomelabError(`${cmd} takes a chart or release`, `e.g. ${cmd} monitoring, or ${cmd} --all`);
    }
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    const request = {
      cluster: values.cluster,
      namespace: values.namespace,
      showOnly: values['show-only'],
      overlay: overlayOf(values),
      outputDir: values['output-dir'],
      keyless: values.keyless,
      unmasked: values.unmasked,
      reveal: values.reveal,
    };
    const stdout = (text: string) => void process.stdout.write(text);
    if (!selectsMany(chosen)) return void (await template(ws, { ...request, target: positionals[0] }, stdout));
    // The output is the manifests: no progress lines in it, only each release's render after its comment.
    return runSelected(ws, chosen, { action: 'template', failFast: values['fail-fast'], view: 'quiet' }, async (release, out) => {
      if (!request.outputDir) out(releaseComment(release));
      await template(ws, { ...request, target: `${release.cluster}/${release.name}`, cluster: release.cluster }, out);
    });
  },
});
