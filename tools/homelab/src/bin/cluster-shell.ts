// The shell every cluster command shares: the common options, one chart or release, the workspace.
import type { ParseArgsOptionsConfig } from 'node:util';
import type { ClusterRequest } from '../core/commands/cluster.ts';
import { HomelabError } from '../core/model/errors.ts';
import { openWorkspace, type Workspace } from '../core/resolve/workspace.ts';
import { command, type Command, type CommandArgs, type Values, warn } from './shell.ts';

const clusterOptions = {
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

/**
 * A cluster command: `usage` holds `{options}` where the shared options are described; `run` gets the opened
 * workspace, the shared ClusterRequest and the command's own option values.
 */
export function clusterCommand<O extends ParseArgsOptionsConfig>(spec: {
  /** Reads the cluster only: no --dry-run. */
  readOnly?: boolean;
  /** The chart acted on when none is named (the bootstrap's chart). */
  defaultTarget?: string;
  usage: string;
  options: O;
  run(ws: Workspace, request: ClusterRequest, args: CommandArgs<O & typeof clusterOptions>): Promise<number | void>;
}): Command<O & typeof clusterOptions> {
  return command({
    usage: spec.usage.replace('{options}', spec.readOnly ? clusterHelp.replace(/^ {2}--dry-run.*\n/m, '') : clusterHelp),
    options: { ...clusterOptions, ...spec.options },
    async run(args) {
      // parseArgs types generic options loosely: the shared ones are known to be there.
      const shared = args.values as Values<typeof clusterOptions>;
      const ws = await openWorkspace(args.root);
      ws.warnings.forEach(warn);
      if (spec.readOnly && shared['dry-run']) throw new HomelabError(`${args.cmd} only reads the cluster and has no --dry-run`, 'drop --dry-run');
      return spec.run(ws, clusterRequest(requireTarget(args.cmd, args.positionals, spec.defaultTarget), shared), args);
    },
  });
}

function requireTarget(cmd: string, positionals: string[], defaultTarget?: string): string {
  if (positionals.length === 0 && defaultTarget) return defaultTarget;
  if (positionals.length !== 1) throw new HomelabError(`${cmd} takes exactly one chart or release`, `e.g. ${cmd} monitoring`);
  return positionals[0];
}

function clusterRequest(target: string, values: Values<typeof clusterOptions>): ClusterRequest {
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
