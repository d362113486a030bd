// The shell every cluster command shares: the common options, one chart or release, the workspace.
import type { ParseArgsOptionsConfig } from 'node:util';
import { openTargets, type ClusterRequest } from '../core/commands/cluster.ts';
import { HomelabError } from '../core/model/errors.ts';
import { openWorkspace, type Workspace } from '../core/resolve/workspace.ts';
import type { Release } from '../core/model/types.ts';
import { selection, selectionHelp, selectionOptions, runSelected } from './selection.ts';
import { selectsMany } from '../core/commands/select.ts';
import { command, type Command, type CommandArgs, type Values, warn, write } from './shell.ts';

export const clusterOptions = {
  cluster: { type: 'string' },
  context: { type: 'string' },
  // kubectl's and helm's spelling, typed from habit: the same option, just as guarded.
  'kube-context': { type: 'string' },
  kubeconfig: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const;

const clusterHelp = `  --cluster <name>       only releases of this cluster directory (clusters/<name>)
  --context <name>       use this kube-context instead of the declared one (printed loudly; the declared
                         server is still checked); --kube-context <name> is the same
  --kubeconfig <file>    kubeconfig to read instead of $KUBECONFIG / ~/.kube/config
  --dry-run              print the exact helm/kubectl invocations; run nothing, contact no cluster
  -h, --help             this help`;

type Shared = typeof clusterOptions & typeof selectionOptions;

/**
 * A cluster command: `usage` holds `{options}` where the shared options are described; `run` gets the opened
 * workspace, the shared ClusterRequest for one chart or release, the command's own option values and where to
 * write. With `many`, the command also takes several releases, --all and the selectors: `run` then runs once per
 * release (given `<cluster>/<release>`), in wave order.
 */
export function clusterCommand<O extends ParseArgsOptionsConfig>(spec: {
  /** Reads the cluster only: no --dry-run. */
  readOnly?: boolean;
  /** The chart acted on when none is named (the bootstrap's chart). */
  defaultTarget?: string;
  usage: string;
  options: O;
  many?: {
    /** The verb of the progress titles and failure lines. */
    action: string;
    /** Lines of each release's output the progress view keeps (default all). */
    outputLines?: number;
    /** Uninstall: the highest wave first. */
    reverse?: boolean;
    /** Refusals that need no cluster, for the whole selection before anything (uninstall's tier 0). */
    refuse?(releases: Release[], args: CommandArgs<O & Shared>): void;
    /** Once the clusters are guarded, before the first release: uninstall's one confirmation of the whole set. */
    confirm?(releases: Release[], request: Omit<ClusterRequest, 'target'>, args: CommandArgs<O & Shared>): Promise<void>;
    /** The output is data (status -o json): no progress lines; `after` prints it. */
    data?(args: CommandArgs<O & Shared>): boolean;
  };
  /** Once the command ran (on one release or many): status -o prints the records it collected. */
  after?(args: CommandArgs<O & Shared>): void;
  run(ws: Workspace, request: ClusterRequest, args: CommandArgs<O & Shared>, write: (text: string) => void): Promise<number | void>;
}): Command<O & Shared> {
  const help = spec.readOnly ? clusterHelp.replace(/^ {2}--dry-run.*\n/m, '') : clusterHelp;
  return command({
    usage: spec.usage.replace('{options}', spec.many ? `${help}\n${selectionHelp}` : help),
    // Without `many` the selection flags are not options: parseArgs refuses them as unknown.
    options: { ...clusterOptions, ...(spec.many ? selectionOptions : {}), ...spec.options } as O & Shared,
    async run(args) {
      // parseArgs types generic options loosely: the shared ones are known to be there.
      const shared = args.values as Values<Shared> & { namespace?: string };
      const ws = await openWorkspace(args.root);
      ws.warnings.forEach(warn);
      if (spec.readOnly && shared['dry-run']) throw new HomelabError(`${args.cmd} only reads the cluster and has no --dry-run`, 'drop --dry-run');
      const chosen = selection(args.positionals, shared);
      if (!spec.many || !selectsMany(chosen)) {
        const exitCode = await spec.run(
          ws,
          clusterRequest(requireTarget(args.cmd, args.positionals, spec.defaultTarget, Boolean(spec.many)), shared),
          args,
          write,
        );
        spec.after?.(args);
        return exitCode;
      }
      const { many } = spec;
      const request = clusterRequest('', shared);
      const exitCode = await runSelected(
        ws,
        chosen,
        {
          action: many.action,
          failFast: shared['fail-fast'],
          outputLines: many.outputLines,
          reverse: many.reverse,
          ...(many.data?.(args) ? { view: 'quiet' as const } : {}),
          before: async (releases) => {
            many.refuse?.(releases, args);
            // The selection's cluster is guarded (and probed) first, as one release's would be: a refusal stops the
            // whole run before any release. Each release prints where it acts itself.
            await openTargets(ws, releases, request, () => {});
            await many.confirm?.(releases, request, args);
          },
        },
        (release, out) => spec.run(ws, { ...request, target: `${release.cluster}/${release.name}`, cluster: release.cluster }, args, out),
      );
      spec.after?.(args);
      return exitCode;
    },
  });
}

function requireTarget(cmd: string, positionals: string[], defaultTarget: string | undefined, many: boolean): string {
  if (positionals.length === 0 && defaultTarget) return defaultTarget;
  if (positionals.length === 0 && many) throw new HomelabError(`${cmd} needs a chart or release`, `e.g. ${cmd} monitoring, or ${cmd} --all`);
  if (positionals.length !== 1) throw new HomelabError(`${cmd} takes exactly one chart or release`, `e.g. ${cmd} monitoring`);
  return positionals[0];
}

export function clusterRequest(target: string, values: Values<typeof clusterOptions>): ClusterRequest {
  const { context, 'kube-context': kubeContext } = values;
  if (context !== undefined && kubeContext !== undefined && context !== kubeContext) {
    throw new HomelabError(`--context ${context} and --kube-context ${kubeContext} disagree`, 'give one of them');
  }
  return { target, cluster: values.cluster, context: context ?? kubeContext, kubeconfig: values.kubeconfig, dryRun: values['dry-run'] };
}

/**
 * Ctrl-C reaches helm too (the terminal signals the whole foreground process group) and helm answers it by undoing
 * its change (--rollback-on-failure / --atomic). Exiting at once would leave that running unseen: SIGINT and SIGTERM
 * only abort here (no further release starts), the command waits for helm, then fails in one line saying what state
 * `states` finds the releases in; `statusCommand` is how to look again.
 */
export async function waitingForHelm<T>(body: (abort: AbortSignal) => Promise<T>, states: () => Promise<string>, statusCommand: string): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    if (!controller.signal.aborted) warn(`${signal}: waiting for helm to finish (it undoes an unfinished change)…`);
    controller.abort(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: T | undefined;
  try {
    result = await body(controller.signal);
  } catch (err) {
    // helm's own failure report (context canceled) is not the news: the state it left is.
    if (!controller.signal.aborted) throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const signal = controller.signal.reason as NodeJS.Signals | undefined;
  if (signal) {
    throw new HomelabError(
      `interrupted by ${signal}; helm has finished: ${await states()}`,
      `check it with ${statusCommand}, then run the install again`,
      signal === 'SIGINT' ? 130 : 143,
    );
  }
  return result as T;
}

/** A flag restricted to a few words: refused in one line rather than handed to helm. */
export function oneOf<T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined || (allowed as readonly string[]).includes(value)) return value as T | undefined;
  throw new HomelabError(`--${flag} ${value} is not one of ${allowed.join(', ')}`, 'see --help');
}
