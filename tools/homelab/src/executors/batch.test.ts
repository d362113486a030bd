import { availableParallelism } from 'node:os';
import type { TaskGraph } from '@nx/devkit';
import { describe, expect, it } from 'vitest';
import { runBatch, type BatchResult } from './batch.ts';

/** A task graph of project:target tasks; `deps` maps a task to the tasks it depends on. */
function graph(ids: string[], deps: Record<string, string[]> = {}): TaskGraph {
  const task = (id: string) => ({ id, target: { project: id.split(':')[0], target: id.split(':')[1] }, overrides: {}, outputs: [], cache: true });
  return {
    roots: ids.filter((id) => !deps[id]?.length),
    tasks: Object.fromEntries(ids.map((id) => [id, task(id)])),
    dependencies: Object.fromEntries(ids.map((id) => [id, (deps[id] ?? []).map((dep) => ({ id: dep }))])),
    continuousDependencies: Object.fromEntries(ids.map((id) => [id, []])),
  } as unknown as TaskGraph;
}

async function collect(results: AsyncGenerator<BatchResult>): Promise<BatchResult[]> {
  const out: BatchResult[] = [];
  for await (const r of results) out.push(r);
  return out;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('runBatch', () => {
  it('opens the shared state once, runs tasks at most one per core at a time, reports each as it completes', async () => {
    const ids = Array.from({ length: 8 }, (_, i) => `c${i}:render`);
    const slots = Math.min(availableParallelism(), ids.length);
    let opened = 0;
    let running = 0;
    let peak = 0;
    const finished: string[] = [];
    // c0, started first, ends only once every other task has ended (an event, not a longer sleep: a loaded machine
    // fires timers late); on a single core it cannot wait for tasks that start after it.
    let othersLeft = ids.length - 1;
    let othersEnded!: () => void;
    const allOthersEnded = new Promise<void>((resolve) => (othersEnded = resolve));
    const results = await collect(
      runBatch(
        graph(ids),
        {},
        async () => (opened += 1),
        async (_shared, task) => {
          running += 1;
          peak = Math.max(peak, running);
          if (task.project === 'c0' && slots > 1) await allOthersEnded;
          else await sleep(5);
          task.write(`${task.project} done\n`);
          running -= 1;
          finished.push(task.id);
          if (task.project !== 'c0' && --othersLeft === 0) othersEnded();
        },
      ),
    );
    expect(opened).toBe(1);
    expect(peak).toBe(slots);
    expect(results.map((r) => r.task)).toEqual(finished);
    expect(results.map((r) => r.task).sort()).toEqual([...ids].sort());
    if (slots > 1) expect(results.at(-1)!.task).toBe('c0:render');
    expect(results.every((r) => r.result.success && r.result.terminalOutput === `${r.task.split(':')[0]} done\n`)).toBe(true);
  });

  it('runs a task after the tasks it depends on in the batch, and not at all when one of them failed', async () => {
    const order: string[] = [];
    const results = await collect(
      runBatch(
        graph(['app:deps', 'lib:deps', 'other:deps'], { 'app:deps': ['lib:deps'] }),
        {},
        async () => undefined,
        async (_s, task) => {
          await sleep(task.project === 'lib' ? 30 : 1);
          order.push(task.project);
          if (task.project === 'lib') throw new Error('lib is broken');
        },
      ),
    );
    const byTask = Object.fromEntries(results.map((r) => [r.task, r.result]));
    expect(order).not.toContain('app');
    expect(byTask['lib:deps']).toMatchObject({ success: false });
    expect(byTask['lib:deps'].terminalOutput).toContain('lib is broken');
    expect(byTask['app:deps']).toMatchObject({ success: false });
    expect(byTask['app:deps'].terminalOutput).toContain('not run: lib:deps failed');
    expect(byTask['other:deps']).toMatchObject({ success: true });
  });

  it('fails every task with the error when the shared state cannot be opened', async () => {
    const results = await collect(
      runBatch(
        graph(['a:render', 'b:render']),
        {},
        async () => {
          throw new Error('no workspace here');
        },
        async () => undefined,
      ),
    );
    expect(results.map((r) => [r.result.success, r.result.terminalOutput.includes('no workspace here')])).toEqual([
      [false, true],
      [false, true],
    ]);
  });
});
