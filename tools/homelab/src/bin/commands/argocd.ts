// argocd <sync|refresh|resume> <chart|release>: ArgoCD's everyday actions through the Application object (kubectl).
import { argocd, type ArgocdAction } from '../../core/commands/argocd.ts';
import { HomelabError } from '../../core/model/errors.ts';
import { clusterCommand } from '../cluster-shell.ts';
import { command } from '../shell.ts';

const ACTIONS: readonly ArgocdAction[] = ['sync', 'refresh', 'resume'];

/** The command of one action (usage and options are the same for every action). */
function actionCommand(action: ArgocdAction) {
  return clusterCommand({
    usage: `
Usage: {cmd} <sync|refresh|resume> <chart|release|cluster/release>... [options]   (--all, --wave <n>, --tier <tier>)

ArgoCD's common actions without the argocd CLI or a login: one JSON merge patch on the release's
Application (kubectl patch, on the declared kube-context), printed before it is sent.

Subcommands:
  sync      start a sync now, as argocd app sync does (the Application's syncOptions and retry,
            hook strategy); refused while another operation runs
  refresh   compare with git again (annotation argocd.argoproj.io/refresh=normal; --hard: hard)
  resume    put back the automated sync a {prefix}install --pause-sync turned off, exactly as it was
            (saved in the annotation homelab.dev/paused-sync-policy), and the parents paused with it

A release no Application deploys (a chart deployed by the convention) is refused: ArgoCD has nothing to act on.

Options:
{options}
  --hard                   refresh: regenerate the manifests (hard refresh)
  --prune                  sync: delete what git no longer declares
  -n, --namespace <ns>     only releases deploying there; the Application decides the namespace

Examples:
  {cmd} refresh monitoring
  {cmd} sync monitoring --dry-run && {cmd} sync monitoring
  {cmd} resume home/monitoring
`,
    options: {
      hard: { type: 'boolean' },
      prune: { type: 'boolean' },
      namespace: { type: 'string', short: 'n' },
    } as const,
    many: { action: `argocd ${action}` },
    async run(ws, shared, { values, prefix }, write) {
      if (values.hard && action !== 'refresh') throw new HomelabError(`--hard is for refresh, not ${action}`, 'drop --hard');
      if (values.prune && action !== 'sync') throw new HomelabError(`--prune is for sync, not ${action}`, 'drop --prune');
      await argocd(ws, { ...shared, namespace: values.namespace, action, hard: values.hard, prune: values.prune, commandPrefix: prefix }, write);
    },
  });
}

const help = actionCommand('sync');

/** The action comes first; the command of that action sees the rest. */
export default command({
  usage: help.usage,
  options: help.options,
  async run(args) {
    const [action, ...rest] = args.positionals;
    if (!ACTIONS.includes(action as ArgocdAction)) {
      throw new HomelabError(action ? `unknown action ${action}` : `${args.cmd} needs an action`, `one of ${ACTIONS.join(', ')}; see --help`);
    }
    return actionCommand(action as ArgocdAction).run({ ...args, positionals: rest, cmd: `${args.cmd} ${action}` });
  },
});
