import { availableParallelism } from 'node:os';
import { chalk } from '../core/exec/terminal.ts';
import type { TaskGraph } from '@nx/devkit';
import { errorLine } from '../core/model/errors.ts';

export interface BatchTask<T> {
  id: string;
  project: string;
  options: T;
  /** Appends to this task's terminal output (what Nx prints for it and caches with it). */
  write: (text: string) => void;
}

export interface BatchResult {
  task: string;
  result: { success: boolean; terminalOutput: string; startTime: number; endTime: number };
}

/**
 * Nx batch mode (`batchImplementation` + `preferBatch` in executors.json): Nx hands every task of one executor in a
 * run to a single process, instead of forking one process per task that would each load the tooling, resolve the
 * workspace, find helm and decrypt secrets again. `open` does that shared work once; `run` does one task. Tasks run
 * concurrently (the helm processes they start are the work; one per core), in dependency order within the batch,
 * and each result is reported as soon as it is known so Nx caches and prints it.
 */
export async function* runBatch<T, S>(
  taskGraph: TaskGraph,
  inputs: Record<string, T>,
  open: () => Promise<S>,
  run: (shared: S, task: BatchTask<T>) => Promise<unknown>,
): AsyncGenerator<BatchResult> {
  const ids = Object.keys(taskGraph.tasks);
  const shared = open().then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, err }),
  );
  const settled = new Map<string, Promise<boolean>>();
  const runOne = async (id: string): Promise<BatchResult> => {
    const startTime = Date.now();
    let output = '';
    const write = (text: string) => {
      output += text;
    };
    let success = false;
    const deps = inBatchDependencies(taskGraph, id);
    const outcomes = await Promise.all(deps.map((dep) => settled.get(dep)!));
    const failed = deps.filter((_, i) => !outcomes[i]);
    const opened = await shared;
    try {
      if (failed.length > 0) throw new Error(`not run: ${failed.join(', ')} failed`);
      if (!opened.ok) throw opened.err;
      await run(opened.value, { id, project: taskGraph.tasks[id].target.project, options: inputs[id], write });
      success = true;
    } catch (err) {
      write(chalk.red(`✖ ${errorLine(err)}\n`));
    }
    return { task: id, result: { success, terminalOutput: output, startTime, endTime: Date.now() } };
  };
  yield* pooled(topologicalOrder(taskGraph, ids), availableParallelism(), (id) => {
    const result = runOne(id);
    settled.set(
      id,
      result.then((r) => r.result.success),
    );
    return result;
  });
}

function inBatchDependencies(taskGraph: TaskGraph, id: string): string[] {
  return (taskGraph.dependencies[id] ?? []).map((edge) => edge.id).filter((dep) => dep in taskGraph.tasks);
}

/** Dependencies before dependents, so a task started by the pool never waits on one not yet started. */
function topologicalOrder(taskGraph: TaskGraph, ids: string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (id: string) => {
    if (seen.has(id)) return;
    seen.add(id);
    inBatchDependencies(taskGraph, id).forEach(visit);
    order.push(id);
  };
  ids.forEach(visit);
  return order;
}

/** At most `limit` calls in flight; results in completion order. `fn` must not reject. */
async function* pooled<I, R>(items: I[], limit: number, fn: (item: I) => Promise<R>): AsyncGenerator<R> {
  const running = new Map<number, Promise<[number, R]>>();
  let next = 0;
  const start = () => {
    const index = next++;
    running.set(
      index,
      fn(items[index]).then((result) => [index, result]),
    );
  };
  while (next < items.length && running.size < limit) start();
  while (running.size > 0) {
    const [index, result] = await Promise.race(running.values());
    running.delete(index);
    if (next < items.length) start();
    yield result;
  }
}
