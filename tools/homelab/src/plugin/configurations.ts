import { createRequire } from 'node:module';
import type { PreTasksExecution, ProjectGraph } from '@nx/devkit';

/** @nx/devkit when a configuration is checked: loading it with the plugin costs every graph computation 400 modules. */
const devkit = (): typeof import('@nx/devkit') => createRequire(import.meta.url)('@nx/devkit');

const EXECUTOR_PREFIX = '@homelab/nx:';

/**
 * Nx runs `nx run monitoring:template:nope` as if no configuration had been typed: the task graph falls back to the
 * default configuration, so the task, its hash and its cache entry are those of the plain target and no executor
 * can tell (its context, environment and task graph all say "no configuration"). This hook gets the Nx command
 * line before any task runs or is replayed from the cache, and refuses a configuration our targets do not have.
 */
export const refuseUnknownConfiguration: PreTasksExecution = (_options, context) => {
  const command = parseCommand(context.argv.slice(2));
  // `project:target` with no -c names no configuration: the common case loads neither @nx/devkit nor the graph.
  if (!command || (command.kind === 'one' && command.configuration === undefined && command.spec.split(':').length < 3)) return;
  const problem = unknownConfiguration(command, devkit().readCachedProjectGraph());
  if (!problem) return;
  const error = new Error(problem);
  // Without a stack Nx prints the message alone, not "pass --verbose to see the stacktrace".
  error.stack = undefined;
  throw error;
};

type Command = { kind: 'one'; spec: string; configuration?: string } | { kind: 'many'; targets: string[]; configuration: string };

/** `run <project:target[:configuration]>` (or the bare specifier, or `<target> <project>`), `run-many`/`affected -t …`, with `-c`. */
export function parseCommand(args: string[]): Command | undefined {
  const end = args.indexOf('--');
  const own = end < 0 ? args : args.slice(0, end);
  const configuration = flag(own, ['-c', '--configuration'])[0];
  const [first, second] = own;
  if (first === 'run-many' || first === 'affected') {
    const targets = flag(own, ['-t', '--target', '--targets']).flatMap((t) => t.split(','));
    return configuration !== undefined && targets.length > 0 ? { kind: 'many', targets, configuration } : undefined;
  }
  const spec = first === 'run' ? second : first;
  if (spec?.includes(':')) return { kind: 'one', spec, configuration };
  // `nx <target> <project> -c x`, Nx's short form; anything else (`nx show project x`) names no such target.
  if (first !== 'run' && configuration !== undefined && first !== undefined && second !== undefined && !second.startsWith('-')) {
    return { kind: 'one', spec: `${second}:${first}`, configuration };
  }
  return undefined;
}

/** Values of a flag, as `-c x`, `-c=x`, `--configuration x` or `--configuration=x`. */
function flag(args: string[], names: string[]): string[] {
  const values: string[] = [];
  for (const [i, arg] of args.entries()) {
    const name = names.find((n) => arg === n || arg.startsWith(`${n}=`));
    if (name === undefined) continue;
    const value = arg === name ? args[i + 1] : arg.slice(name.length + 1);
    if (value !== undefined) values.push(value);
  }
  return values;
}

/** The one line refusing the command, or undefined when every configuration asked for exists (or is not ours). */
export function unknownConfiguration(command: Command, graph: ProjectGraph): string | undefined {
  if (command.kind === 'one') {
    let parsed: ReturnType<typeof import('@nx/devkit').parseTargetString>;
    try {
      parsed = devkit().parseTargetString(command.spec, graph);
    } catch {
      return undefined; // not a target of this workspace: Nx says so itself
    }
    const requested = parsed.configuration ?? command.configuration;
    const target = graph.nodes[parsed.project]?.data.targets?.[parsed.target];
    if (requested === undefined || !target?.executor?.startsWith(EXECUTOR_PREFIX)) return undefined;
    const known = Object.keys(target.configurations ?? {});
    if (known.includes(requested)) return undefined;
    const name = `${parsed.project}:${parsed.target}`;
    return known.length > 0
      ? `${name} has no configuration "${requested}" — use one of: ${known.map((c) => `${name}:${c}`).join(', ')}, or ${name} alone`
      : `${name} has no configuration "${requested}" and takes none — run ${name}`;
  }
  const targets = Object.values(graph.nodes).flatMap((node) => command.targets.map((t) => node.data.targets?.[t]).filter((t) => t !== undefined));
  if (!targets.some((t) => t.executor?.startsWith(EXECUTOR_PREFIX))) return undefined;
  const known = [...new Set(targets.flatMap((t) => Object.keys(t.configurations ?? {})))].sort();
  if (known.includes(command.configuration)) return undefined;
  return `no ${command.targets.join('/')} target has a configuration "${command.configuration}" — use one of: ${known.join(', ') || '(none: drop -c)'}`;
}
