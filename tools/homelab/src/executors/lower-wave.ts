import type { ExecutorContext, TaskGraph } from '@nx/devkit';

/**
 * The install option that carries where a task came from. Every install target sets it to its own chart, and its
 * lower-wave edges forward it (`options: 'forward'`): a task Nx adds only because a higher wave depends on it
 * carries that chart's name in its overrides, while a task the user named (`nx run`, `nx run-many`) is created
 * from the command line alone and carries none.
 */
export const FOR_CHART = 'forChart';

/**
 * The chart the user asked to install when this task is only one of its lower waves (through any chain of them);
 * undefined when the user asked for this task.
 */
export function lowerWaveOf(context: ExecutorContext): string | undefined {
  const graph = context.taskGraph;
  if (!graph) return undefined;
  const id = Object.keys(graph.tasks).find((key) => {
    const { project, target, configuration } = graph.tasks[key].target;
    return project === context.projectName && target === context.targetName && (configuration || undefined) === (context.configurationName || undefined);
  });
  return id ? pulledBy(graph, id) : undefined;
}

/**
 * A task without a mark of its own (the bootstrap behind the bootstrap chart's noop install) is a lower wave when
 * every task of its project that depends on it is one.
 */
function pulledBy(graph: TaskGraph, id: string): string | undefined {
  const task = graph.tasks[id];
  const mark = task.overrides[FOR_CHART];
  if (typeof mark === 'string') {
    if (mark === task.target.project) return undefined;
    // The mark names the install that pulled this one in, itself maybe a lower wave of the chart the user named.
    const source = Object.keys(graph.tasks).find((key) => graph.tasks[key].target.project === mark && graph.tasks[key].target.target === task.target.target);
    return (source && pulledBy(graph, source)) || mark;
  }
  const dependents = Object.keys(graph.dependencies).filter(
    (key) => key !== id && graph.tasks[key]?.target.project === task.target.project && graph.dependencies[key].some((edge) => edge.id === id),
  );
  const sources = dependents.map((key) => pulledBy(graph, key));
  return sources.length > 0 && sources.every(Boolean) ? sources[0] : undefined;
}

/** What a skipped lower-wave task prints instead of acting. */
export function lowerWaveLine(project: string, action: string, pulledByChart: string): string {
  return `${project}: lower wave of ${pulledByChart}, ${action} (pass --withLowerWaves to install lower waves too)\n`;
}
