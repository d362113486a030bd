// preview <release...> --pr <n>: a copy of each release per pull request in its own namespace, or --teardown.
import { DEFAULT_TIMEOUT } from '../../core/cluster/helm-release.ts';
import { preview, previewStates } from '../../core/commands/preview.ts';
import { openWorkspace } from '../../core/resolve/workspace.ts';
import { oneOf, waitingForHelm } from '../cluster-shell.ts';
import { command, warn, write } from '../shell.ts';

export default command({
  usage: `
Usage: {cmd} <chart|release|cluster/release>... --pr <n> [options]

A preview environment of a pull request: each release copied as <release>-pr-<n> into the namespace of that
name on its cluster's declared kube-context, with install's helm path (values and secrets as ArgoCD gives them,
--create-namespace, a wait and rollback on failure). A release whose copy would share objects with the release
itself (cluster-scoped ones such as Namespaces, or objects a template pins to a namespace) is not previewed; the
line says which objects. --teardown uninstalls the copies and deletes their namespaces.

Options:
  --pr <n>                 the pull request number (required)
  --teardown               remove the previews of --pr instead of installing them
  --cluster <name>         only releases of this cluster directory (clusters/<name>)
  --context <name>         use this kube-context instead of the declared one (printed loudly; the declared
                           server is still checked)
  --kubeconfig <file>      kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  --dry-run                print the exact helm/kubectl invocations; run nothing, contact no cluster
  --wait <watcher|legacy>  how helm waits for readiness (Helm 4; Helm 3 always --wait)
  --timeout <duration>     e.g. 90s, 10m (default ${DEFAULT_TIMEOUT})
  --summary <file>         append the result as a markdown table (a pull request comment, a job summary)
  -h, --help               this help

Examples:
  {cmd} monitoring networking --pr 42 --cluster home --dry-run
  {cmd} monitoring networking --pr 42 --cluster lab
  {cmd} monitoring networking --pr 42 --cluster lab --teardown
`,
  options: {
    pr: { type: 'string' },
    teardown: { type: 'boolean' },
    cluster: { type: 'string' },
    context: { type: 'string' },
    kubeconfig: { type: 'string' },
    'dry-run': { type: 'boolean' },
    wait: { type: 'string' },
    timeout: { type: 'string' },
    summary: { type: 'string' },
  } as const,
  async run({ values, positionals, root }) {
    const ws = await openWorkspace(root);
    ws.warnings.forEach(warn);
    const request = {
      targets: positionals,
      pr: values.pr,
      teardown: values.teardown,
      cluster: values.cluster,
      context: values.context,
      kubeconfig: values.kubeconfig,
      dryRun: values['dry-run'],
      wait: oneOf('wait', values.wait, ['watcher', 'legacy']),
      timeout: values.timeout,
      summary: values.summary,
    };
    // As install: Ctrl-C lets helm finish undoing its change, then says what state the previews are in.
    if (request.dryRun) await preview(ws, request, write);
    else
      await waitingForHelm(
        (abort) => preview(ws, { ...request, abort }, write),
        () => previewStates(ws, request),
        'helm list --all-namespaces',
      );
  },
});
