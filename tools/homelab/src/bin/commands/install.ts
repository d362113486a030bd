// install <chart|release>: helm upgrade --install exactly as ArgoCD deploys it, bypassing ArgoCD and Nx.
import { install, releaseStates } from '../../core/commands/install.ts';
import { commandOptions } from '../../core/commands/options.ts';
import { clusterCommand, oneOf, waitingForHelm } from '../cluster-shell.ts';
import { overlayHelp, overlayOf, overlayOptions } from '../overlay.ts';

export default clusterCommand({
  usage: `
Usage: {cmd} <chart|release|cluster/release>... [options]   ({cmd} --all, --wave <n>, --tier <tier>)

helm upgrade --install of the release exactly as ArgoCD deploys it (release name, namespace, value files,
values, parameters; secrets decrypted in memory and piped on stdin), with --take-ownership, a wait and
rollback on failure. Only on the kube-context declared in clusters/<cluster>/cluster.yaml.
ArgoCD shows the app OutOfSync until git catches up; with automated selfHeal it reverts the change.

Options:
{options}
  -n, --namespace <ns>     only releases deploying there; the Application decides the namespace, another is refused
  --wait <watcher|legacy>  how helm waits for readiness (Helm 4; Helm 3 always --wait)
  --timeout <duration>     e.g. 90s, 10m (default ${commandOptions.install.timeout.default})
  --helm-dry-run <client|server>  let helm itself dry-run the upgrade
  --recover                roll back a release stuck in pending-* to its last good revision first
${overlayHelp}
  --pause-sync             turn the Application's automated sync and self-heal off first (and its
                           parent app-of-apps'), so ArgoCD leaves the install alone; {prefix}argocd resume
                           puts them back exactly as they were

Example:
  {cmd} monitoring --dry-run && {cmd} monitoring
`,
  options: {
    wait: { type: 'string' },
    timeout: { type: 'string' },
    'helm-dry-run': { type: 'string' },
    recover: { type: 'boolean' },
    'pause-sync': { type: 'boolean' },
    namespace: { type: 'string', short: 'n' },
    ...overlayOptions,
  } as const,
  many: { action: 'install', outputLines: 8 },
  async run(ws, shared, { values, prefix }, write) {
    const request = { ...shared, namespace: values.namespace, overlay: overlayOf(values) };
    const flags = {
      wait: oneOf('wait', values.wait, ['watcher', 'legacy']),
      timeout: values.timeout,
      helmDryRun: oneOf('helm-dry-run', values['helm-dry-run'], ['client', 'server']),
      recover: values.recover,
      pauseSync: values['pause-sync'],
      commandPrefix: prefix,
    };
    // A dry run runs nothing, so Ctrl-C has nothing to wait for (and no cluster is asked afterwards).
    if (request.dryRun) await install(ws, { ...request, ...flags }, write);
    else
      await waitingForHelm(
        (abort) => install(ws, { ...request, ...flags, abort }, write),
        () => releaseStates(ws, request),
        `${prefix}status`,
      );
  },
});
